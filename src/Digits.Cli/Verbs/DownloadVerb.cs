using CommandLine;

namespace Digits.Cli.Verbs;

[Verb("download", HelpText = "Download datasets' files and verify their checksums: digits download [NAME...] (default mnist).")]
internal sealed class DownloadVerb
{
    [Value(0, MetaName = "NAME", HelpText = "Datasets to download: mnist, fashion-mnist, kmnist (as --dataset).")]
    public IEnumerable<string> Names { get; set; } = [];

    [Option("dataset", HelpText = "mnist, fashion-mnist or kmnist.")]
    [Topic("Data", "mnist")]
    public string? Dataset { get; set; }

    [Option("data", MetaValue = "DIR", HelpText = "Folder to download into. Else $DIGITS_DATA, else ~/.cache/digits.")]
    [Topic("Data", "$DIGITS_DATA or ~/.cache/digits")]
    public string? Data { get; set; }
}
