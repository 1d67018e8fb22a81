namespace Digits.Cli.Verbs;

/// <summary>Groups an option under a heading in <c>--help</c> and states its default as shown to users.
/// A test checks each stated default against what the command really uses.</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class TopicAttribute(string name, string? defaultText = null) : Attribute
{
    public string Name { get; } = name;
    public string? DefaultText { get; } = defaultText;

    /// <summary>What a value must be, for error messages ("a number > 0"); else the type says it.</summary>
    public string? Expected { get; init; }
}

/// <summary>A command-line value that is out of range or malformed: printed as one line, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>A failure while the command ran (a file that could not be written: disk full, folder gone): printed as
/// one line, exit code 1. Usage and input errors, found before the work starts, are <see cref="UsageException"/>.</summary>
internal sealed class RuntimeFailureException(string message) : Exception(message);

/// <summary>Process exit codes, documented in the README and in <c>digits --help</c>.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int RuntimeFailure = 1;
    public const int UsageOrInput = 2;
    public const int Interrupted = 130;
}
