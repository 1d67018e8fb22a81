using CommandLine;

namespace Digits.Cli.Verbs;

[Verb("predict", HelpText = "Classify your own images (photos, scans, drawings: PNG, JPEG, WebP, GIF, BMP, PGM, PBM) or a test-set image with a saved model.")]
internal sealed class PredictVerb : IDataOptions
{
    /// <summary>Said under the flags in <c>digits predict --help</c>.</summary>
    public const string Notes =
        "IMAGE: PNG, JPEG (EXIF orientation honoured), WebP, GIF, BMP, ICO, PGM (P2/P5) or PBM (P1/P4), one digit each, " +
        "up to 16384 px a side. Each is made MNIST-like: uneven light removed, dark ink of any colour found (ruled lines " +
        "and specks dropped), cropped to the digit, scaled to 20 px, centered by mass in 28×28; a picture with no digit " +
        "says 'no digit found'.\n" +
        "Probabilities: the softmax of the logits for cross-entropy models; for mse models (sigmoid outputs) the " +
        "outputs divided by their sum, which ranks the same but is not a calibrated probability.";

    [Option("device", MetaValue = "DEVICE", HelpText = "Where the model runs: auto, cpu, cuda[:N], opencl[:N], ilgpu-cpu (a few images are fastest on the cpu).")]
    [Topic("Device", "cpu")]
    public string? Device { get; set; }

    [Option("threads", HelpText = "CPU threads for --device cpu (0 = every core).")]
    [Topic("Device", "0", Expected = "a whole number ≥ 0")]
    public int? Threads { get; set; }

    [Option("json", HelpText = "Print one JSON object per image: file, predicted, name, probabilities (every class).")]
    [Topic("Output", "off")]
    public bool Json { get; set; }

    [Option("quiet", HelpText = "Print only the predicted class per image.")]
    [Topic("Output", "off")]
    public bool Quiet { get; set; }

    [Option("model", Required = true, MetaValue = "FILE", HelpText = "The model file written by digits train.")]
    [Topic("Model")]
    public string Model { get; set; } = "";

    [Value(0, MetaName = "IMAGE", HelpText = "Image files: PNG, JPEG, WebP, GIF, BMP, ICO, PGM or PBM; photos of paper too. " +
                                              "Each is made MNIST-like: background light removed, cropped to the digit, scaled to 20 px, centered by mass in 28×28.")]
    public IEnumerable<string> Images { get; set; } = [];

    [Option("index", HelpText = "Also classify image N (0-based) of the model's dataset test set, with its true label.")]
    [Topic("Data", Expected = "a whole number ≥ 0")]
    public int? Index { get; set; }

    [Option("number", HelpText = "Read each IMAGE as a written number (digits side by side; touching digits are cut, a broken digit's pieces joined, with the model scoring each choice): prints the number and each digit's confidence.")]
    [Topic("Output", "off")]
    public bool Number { get; set; }

    [Option("show", HelpText = "Print the 28×28 input the model sees, as text.")]
    [Topic("Output", "off")]
    public bool Show { get; set; }

    [Option("data", MetaValue = "DIR", HelpText = "Folder holding the dataset files for --index. Else $DIGITS_DATA, else ~/.cache/digits.")]
    [Topic("Data", "$DIGITS_DATA or ~/.cache/digits")]
    public string? Data { get; set; }

    [Option("no-download", HelpText = "Fail instead of downloading missing dataset files for --index.")]
    [Topic("Data", "off")]
    public bool NoDownload { get; set; }

    /// <summary>Always the model's own dataset.</summary>
    public string? Dataset => null;
}
