namespace Digits.Cli.Verbs;

/// <summary>Process exit codes, documented in the README and in <c>digits --help</c>.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int RuntimeFailure = 1;
    public const int UsageOrInput = 2;
    public const int Interrupted = 130;
}
