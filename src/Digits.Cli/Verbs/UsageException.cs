namespace Digits.Cli.Verbs;

/// <summary>A command-line value that is out of range or malformed: printed as one line, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
