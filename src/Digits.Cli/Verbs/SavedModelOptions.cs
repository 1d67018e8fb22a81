using CommandLine;

namespace Digits.Cli.Verbs;

/// <summary>Flags of the verbs that run a saved model on a dataset's test set (evaluate, report).</summary>
internal abstract class SavedModelOptions : DeviceOptions, IDataOptions
{
    [Option("model", Required = true, MetaValue = "FILE", HelpText = "The model file written by digits train.")]
    [Topic("Model")]
    public string Model { get; set; } = "";

    [Option("dataset", HelpText = "Dataset whose test set is evaluated: mnist, fashion-mnist, kmnist, csv:PATH[,TESTPATH] or folder:DIR (its test/ part, else the seeded 10 % of each class train held out; class folders are matched to the model's class names).")]
    [Topic("Data", "the model's own")]
    public string? Dataset { get; set; }

    [Option("skip-bad", HelpText = "For folder:DIR: report and leave out the images that cannot be read (or show no digit) instead of stopping at the first.")]
    [Topic("Data", "off")]
    public bool SkipBad { get; set; }

    [Option("data", MetaValue = "DIR", HelpText = "Folder holding the dataset files. Else $DIGITS_DATA, else ~/.cache/digits.")]
    [Topic("Data", "$DIGITS_DATA or ~/.cache/digits")]
    public string? Data { get; set; }

    [Option("no-download", HelpText = "Fail instead of downloading missing dataset files.")]
    [Topic("Data", "off")]
    public bool NoDownload { get; set; }
}
