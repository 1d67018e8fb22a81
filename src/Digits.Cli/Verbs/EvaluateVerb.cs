using CommandLine;

namespace Digits.Cli.Verbs;

[Verb("evaluate", HelpText = "Report a saved model's test loss, accuracy and per-class accuracy.")]
internal sealed class EvaluateVerb : SavedModelOptions;
