using CommandLine;

namespace Digits.Cli.Verbs;

[Verb("devices", HelpText = "List every backend: what it found, or why it is unavailable.")]
internal sealed class DevicesVerb
{
    [Option("json", HelpText = "Print JSON instead of text.")]
    [Topic("Output", "off")]
    public bool Json { get; set; }
}
