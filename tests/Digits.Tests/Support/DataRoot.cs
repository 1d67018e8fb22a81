using System.Runtime.CompilerServices;
using Digits.Core.Data;

namespace Digits.Tests.Support;

/// <summary>
/// Makes a relative <c>DIGITS_DATA</c> mean what the user meant when typing the test command. <c>dotnet test</c> runs
/// the tests with the test binaries' folder as working directory, so <c>DIGITS_DATA=../shared/data</c> typed at the
/// repository root (as the README says) would resolve to <c>tests/Digits.Tests/bin/Release/shared/data</c>. Before any
/// test runs, a relative value is resolved against the directory the command was typed in — <c>$PWD</c>, which
/// the shell exports and <c>dotnet test</c> passes down unchanged — and written back as an absolute path, so the
/// tests, the in-process CLI (which resolves against the working directory, like a user's shell) and child
/// processes all see the same folder.
/// </summary>
internal static class DataRoot
{
    [ModuleInitializer]
    internal static void MakeAbsolute()
    {
        string? value = Environment.GetEnvironmentVariable(DataLocator.EnvironmentVariable);
        if (Resolve(value, Environment.GetEnvironmentVariable("PWD"), Environment.CurrentDirectory) is { } absolute &&
            absolute != value)
            Environment.SetEnvironmentVariable(DataLocator.EnvironmentVariable, absolute);
    }

    /// <summary><paramref name="value"/> made absolute against <paramref name="typedIn"/> (the shell's directory) when
    /// that is an absolute path, else against <paramref name="currentDirectory"/>; null for an unset value.</summary>
    public static string? Resolve(string? value, string? typedIn, string currentDirectory)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        if (Path.IsPathRooted(value)) return Path.GetFullPath(value);
        string basePath = !string.IsNullOrEmpty(typedIn) && Path.IsPathRooted(typedIn) && Directory.Exists(typedIn)
            ? typedIn : currentDirectory;
        return Path.GetFullPath(value, basePath);
    }

    /// <summary>Why the data tests skip without <c>DIGITS_DATA</c>: one reason for all of them, so the run's summary
    /// says it in one line.</summary>
    public const string NotSetReason =
        "DIGITS_DATA is not set (run the tests with DIGITS_DATA=../shared/data, the folder holding mnist/ and fashion-mnist/)";

    /// <summary>True when <c>DIGITS_DATA</c> is set: then missing data is a failure, never a skip.</summary>
    public static bool IsSet => !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(DataLocator.EnvironmentVariable));

    /// <summary>Fails when the data was asked for (DIGITS_DATA set) or CI=true; else skips with the reason.</summary>
    public static void Unavailable(string reason)
    {
        if (IsSet) Xunit.Assert.Fail($"DIGITS_DATA is set but {reason}");
        if (TestBackends.IsCi) Xunit.Assert.Fail($"real data is required when CI=true: {reason}");
        Xunit.Assert.Skip($"real data unavailable: {reason}");
    }
}
