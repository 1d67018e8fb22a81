using System.Globalization;
using Digits.Cli.Verbs;
using Digits.Core.Backends;
using Digits.Core.Data;
using Digits.Core.Model;
using Digits.Core.Training;

namespace Digits.Cli.Commands;

/// <summary>
/// <c>digits augment</c>: picks <c>--count</c> training digits with <c>--seed</c>, runs each one <c>--variants</c>
/// times through the device's augmentation op (<see cref="DeviceAugmenter"/>, as <c>digits train --augment</c> does)
/// and writes the originals and their distortions as a PNG grid (<see cref="AugmentGrid"/>), atomically.
/// </summary>
internal sealed class AugmentCommand(AugmentVerb verb, TextWriter stdout, TextWriter stderr)
{
    public const int DefaultCount = 8, MaxCount = 64, DefaultVariants = 7, MaxVariants = 16;
    public const int DefaultScaleUp = 4, MaxScaleUp = 8;
    public const string DefaultKinds = "affine,elastic", DefaultOutput = "augment.png", DefaultDevice = "cpu";
    public const ulong DefaultSeed = 1;

    /// <summary>The global step the draws are made at (counter[1]); the seed alone varies them.</summary>
    public const int Step = 0;

    /// <summary>What <see cref="SeededRandom.ForPurpose"/> is keyed with to pick the digits.</summary>
    public const string PickPurpose = "augment: pick digits";

    public int Run()
    {
        int count = Range("count", verb.Count ?? DefaultCount, 1, MaxCount);
        int variants = Range("variants", verb.Variants ?? DefaultVariants, 1, MaxVariants);
        int scaleUp = Range("scale-up", verb.ScaleUp ?? DefaultScaleUp, 1, MaxScaleUp);
        ulong seed = verb.Seed ?? DefaultSeed;
        var options = AugmentFlags.Build(verb.Augment ?? DefaultKinds, verb.Rotate, verb.Scale, verb.Shear,
                          verb.Translate, verb.ElasticSigma, verb.ElasticAlpha)
                      ?? throw new UsageException($"--augment {verb.Augment}: nothing to show; use affine, elastic " +
                                                  "or affine,elastic");
        string datasetName = verb.Dataset ?? "mnist";
        var info = DatasetCatalog.Find(datasetName)
                   ?? throw new UsageException($"--dataset: '{datasetName}' is not mnist, fashion-mnist or kmnist");
        string output = verb.Output ?? DefaultOutput;
        RequireWritable(output);

        // The device is opened first, so a device that is not there is refused before the data is read.
        float[] originals, distorted;
        int[] picked;
        Dataset train;
        string deviceName;
        using (var device = DeviceSelector.Open(verb.Device ?? DefaultDevice, null))
        {
            deviceName = device.Backend.Name;
            train = DataLoading.Load(new DatasetSpec.Named(info), verb.Data, !verb.NoDownload, 0, seed, stderr,
                CancellationToken.None).Train;
            picked = Pick(count, train.Count, seed);
            count = picked.Length;
            originals = train.Subset(picked, train.Name).Images;
            distorted = Distort(device.Backend, options, seed, originals, count, variants, train.Height, train.Width);
        }

        var grid = new AugmentGrid(count, variants, train.Height, train.Width, scaleUp);
        byte[] png = grid.Png(originals, distorted);
        string full = Path.GetFullPath(output);
        try
        {
            OutputFile.WriteAllBytes(full, png);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RuntimeFailureException($"could not write {output}: {OutputFile.Reason(e)}");
        }
        if (verb.Show) stdout.Write(grid.Text(originals, distorted));
        stdout.WriteLine(TerminalText.Escape($"wrote {full}: {count} {info.Name} training images (#{string.Join(", #", picked)}) " +
                                             $"and {variants} distortions of each, seed {seed}, on {deviceName}: {Describe(options)}"));
        return ExitCodes.Success;
    }

    /// <summary>The <paramref name="count"/> distinct training indices shown, in the order drawn.</summary>
    public static int[] Pick(int count, int total, ulong seed)
    {
        var random = SeededRandom.ForPurpose(seed, PickPurpose);
        var chosen = new HashSet<int>();
        var picked = new int[Math.Min(count, total)];
        for (int k = 0; k < picked.Length;)
        {
            int i = random.NextInt(total);
            if (chosen.Add(i)) picked[k++] = i;
        }
        return picked;
    }

    /// <summary>Runs each of the <paramref name="count"/> images of <paramref name="originals"/> (count, H·W)
    /// through the augmentation op <paramref name="variants"/> times: the batch is count·variants images, image
    /// d·variants + v a copy of original d, so each copy gets its own row's draw. Returns (count·variants, H·W).</summary>
    public static float[] Distort(IBackend backend, AugmentOptions options, ulong seed, float[] originals, int count,
        int variants, int height, int width)
    {
        int pixels = height * width, batch = count * variants;
        var repeated = new float[batch * pixels];
        for (int d = 0; d < count; d++)
            for (int v = 0; v < variants; v++)
                originals.AsSpan(d * pixels, pixels).CopyTo(repeated.AsSpan((d * variants + v) * pixels, pixels));
        using var x = backend.Allocate<float>(repeated.Length);
        using var y = backend.Allocate<float>(repeated.Length);
        using var counter = backend.Allocate<int>(3);
        using var augmenter = new DeviceAugmenter(backend, options, seed, height, width, batch);
        backend.Upload<float>(repeated, x.View());
        backend.Upload<int>([0, Step, -1], counter.View());
        try
        {
            augmenter.Apply(x.View(), counter.View(), batch, y.View());
        }
        catch (NotSupportedException e)
        {
            throw new UsageException($"--device {backend.Name}: the augmentation op does not run on this device yet " +
                                     $"({e.Message}); --device cpu runs it");
        }
        var result = new float[repeated.Length];
        backend.Download(y.View(), result);
        return result;
    }

    /// <summary>"affine (rotate ±15°, scale ±0.15, shear ±10°, shift ±2 px), elastic (σ 6 px, α 36 px)".</summary>
    public static string Describe(AugmentOptions o)
    {
        static string N(float value) => value.ToString("0.###", CultureInfo.InvariantCulture);
        var parts = new List<string>();
        if (o.Affine)
            parts.Add($"affine (rotate ±{N(o.RotationDegrees)}°, scale ±{N(o.Scale)}, shear ±{N(o.ShearDegrees)}°, " +
                      $"shift ±{N(o.TranslatePixels)} px)");
        if (o.Elastic) parts.Add($"elastic (σ {N(o.ElasticSigma)} px, α {N(o.ElasticAlpha)} px)");
        return string.Join(", ", parts);
    }

    private static int Range(string flag, int value, int min, int max) =>
        value >= min && value <= max ? value
            : throw new UsageException($"--{flag} must be a whole number from {min} to {max}, got {value}");

    /// <summary>Refuses, before any work, an <c>--output</c> that is not a regular file or whose folder is missing.</summary>
    /// <exception cref="UsageException">it cannot be written.</exception>
    private static void RequireWritable(string output)
    {
        string full = Path.GetFullPath(output);
        if (OutputFile.NotARegularFile(full) is { } kind)
            throw new UsageException($"--output {output} is {kind}; augment writes only regular files");
        if (!Directory.Exists(Path.GetDirectoryName(full)))
            throw new UsageException($"--output {output}: the folder {Path.GetDirectoryName(full)} does not exist");
    }
}
