using CommandLine;

namespace Digits.Cli.Verbs;

[Verb("augment", HelpText = "Show what the augmentation flags do: a grid of training digits and random distortions of them.")]
internal sealed class AugmentVerb
{
    /// <summary>Said under the flags in <c>digits augment --help</c>.</summary>
    public const string Notes =
        "The PNG has one row per digit: the training image, then its --variants distortions, each 28×28 image pixel " +
        "drawn as a --scale-up × --scale-up square, white digits on black as in MNIST. Cells are separated by lines " +
        "one image pixel wide: amber after the originals' column, gray elsewhere. So the image is " +
        "(variants + 1)·28·s + variants·s pixels wide and count·28·s + (count − 1)·s high, for s = --scale-up. " +
        "The distortions are the op digits train --augment runs on the device: the same flags give the same kinds of " +
        "distortion in training.";

    [Option("dataset", HelpText = "mnist, fashion-mnist or kmnist: the training set the digits come from.")]
    [Topic("Data", "mnist")]
    public string? Dataset { get; set; }

    [Option("data", MetaValue = "DIR", HelpText = "Folder holding the dataset files. Else $DIGITS_DATA, else ~/.cache/digits (downloaded there when missing).")]
    [Topic("Data", "$DIGITS_DATA or ~/.cache/digits")]
    public string? Data { get; set; }

    [Option("no-download", HelpText = "Fail instead of downloading missing dataset files.")]
    [Topic("Data", "off")]
    public bool NoDownload { get; set; }

    [Option("count", HelpText = "Training digits shown, one row each, picked at random with --seed.")]
    [Topic("Data", "8", Expected = "a whole number from 1 to 64")]
    public int? Count { get; set; }

    [Option("variants", HelpText = "Distorted copies of each digit, each with its own random draw.")]
    [Topic("Data", "7", Expected = "a whole number from 1 to 16")]
    public int? Variants { get; set; }

    [Option("seed", HelpText = "Seeds which digits are picked and the distortions drawn: the same seed gives the same picture.")]
    [Topic("Data", "1")]
    public ulong? Seed { get; set; }

    [Option("augment", MetaValue = "KINDS", HelpText = "affine (random rotation, scale, shear, shift), elastic (Simard et al. 2003: a random displacement field smoothed by a Gaussian of width --elastic-sigma, scaled by --elastic-alpha) or affine,elastic, as for digits train.")]
    [Topic("Augmentation", "affine,elastic")]
    public string? Augment { get; set; }

    [Option("rotate", MetaValue = "DEG", HelpText = "Affine: rotation drawn uniformly in ±DEG degrees.")]
    [Topic("Augmentation", "15", Expected = "degrees in [0, 180]")]
    public float? Rotate { get; set; }

    [Option("scale", MetaValue = "S", HelpText = "Affine: scale drawn uniformly in [1−S, 1+S].")]
    [Topic("Augmentation", "0.15", Expected = "a number in [0, 1), e.g. 0.15")]
    public float? Scale { get; set; }

    [Option("shear", MetaValue = "DEG", HelpText = "Affine: horizontal shear angle drawn uniformly in ±DEG degrees.")]
    [Topic("Augmentation", "10", Expected = "degrees in [0, 45]")]
    public float? Shear { get; set; }

    [Option("translate", MetaValue = "PX", HelpText = "Affine: shift drawn uniformly in ±PX pixels on each axis.")]
    [Topic("Augmentation", "2", Expected = "pixels in [0, 28]")]
    public float? Translate { get; set; }

    [Option("elastic-sigma", MetaValue = "PX", HelpText = "Elastic: width σ of the Gaussian that smooths the displacement field (larger = smoother, more global bends).")]
    [Topic("Augmentation", "6", Expected = "pixels in (0, 10]")]
    public float? ElasticSigma { get; set; }

    [Option("elastic-alpha", MetaValue = "PX", HelpText = "Elastic: strength α, the factor on the smoothed field (Simard 2003 used 34 with σ = 4).")]
    [Topic("Augmentation", "36", Expected = "pixels in [0, 100]")]
    public float? ElasticAlpha { get; set; }

    [Option("device", MetaValue = "DEVICE", HelpText = "Where the augmentation op runs: cpu, cuda[:N], opencl[:N], ilgpu-cpu (the GPU kernels on ILGPU's CPU accelerator), reference or auto.")]
    [Topic("Device", "cpu")]
    public string? Device { get; set; }

    [Option("output", MetaValue = "FILE", HelpText = "The PNG to write. Written to a temporary file and renamed; only a regular file is written or replaced.")]
    [Topic("Output", "augment.png")]
    public string? Output { get; set; }

    [Option("scale-up", HelpText = "PNG pixels per image pixel, on each axis.")]
    [Topic("Output", "4", Expected = "a whole number from 1 to 8")]
    public int? ScaleUp { get; set; }

    [Option("show", HelpText = "Also print the grid in the terminal with block characters (each character two image pixels wide and four high), one line of digits per row: the original, │, then its variants.")]
    [Topic("Output", "off")]
    public bool Show { get; set; }
}
