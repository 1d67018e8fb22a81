using CommandLine;

namespace Digits.Cli.Verbs;

[Verb("report", HelpText = "Write a self-contained HTML report of a saved model: loss and accuracy curves, confusion heat map, misclassified digits.")]
internal sealed class ReportVerb : DeviceOptions, IDataOptions
{
    [Option("model", Required = true, MetaValue = "FILE", HelpText = "The model file written by digits train.")]
    [Topic("Model")]
    public string Model { get; set; } = "";

    [Option("out", Required = true, HelpText = "Folder to write index.html into (created if missing).")]
    [Topic("Output")]
    public string Out { get; set; } = "";

    [Option("dataset", HelpText = "Dataset whose test set is evaluated.")]
    [Topic("Data", "the model's own")]
    public string? Dataset { get; set; }

    [Option("data", MetaValue = "DIR", HelpText = "Folder holding the dataset files. Else $DIGITS_DATA, else ~/.cache/digits.")]
    [Topic("Data", "$DIGITS_DATA or ~/.cache/digits")]
    public string? Data { get; set; }

    [Option("no-download", HelpText = "Fail instead of downloading missing dataset files.")]
    [Topic("Data", "off")]
    public bool NoDownload { get; set; }
}
