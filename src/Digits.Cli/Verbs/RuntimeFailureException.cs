namespace Digits.Cli.Verbs;

/// <summary>A failure while the command ran (a file that could not be written: disk full, folder gone): printed as
/// one line, exit code 1. Usage and input errors, found before the work starts, are <see cref="UsageException"/>.</summary>
internal sealed class RuntimeFailureException(string message) : Exception(message);
