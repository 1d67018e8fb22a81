using CommandLine;

namespace Digits.Cli.Verbs;

[Verb("report", HelpText = "Write a self-contained HTML report of a saved model: loss and accuracy curves, confusion heat map, misclassified digits.")]
internal sealed class ReportVerb : SavedModelOptions
{
    [Option("out", Required = true, MetaValue = "DIR", HelpText = "Folder to write index.html into (created if missing).")]
    [Topic("Output")]
    public string Out { get; set; } = "";
}
