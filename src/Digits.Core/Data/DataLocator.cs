namespace Digits.Core.Data;

/// <summary>
/// The data root a run uses and why (<paramref name="Source"/>: "DataLocator.Resolve(folder)" when a folder was given,
/// "DIGITS_DATA" or "the user cache folder"). A named dataset's files are looked for in <c>&lt;Root&gt;/&lt;folder&gt;/</c> (e.g.
/// <c>$DIGITS_DATA/mnist/train-images-idx3-ubyte.gz</c>), then directly in <c>&lt;Root&gt;/</c> for users who give
/// the dataset folder itself; in each folder under the published .gz name, then under the
/// uncompressed name (without .gz). Downloads go to <c>&lt;Root&gt;/&lt;folder&gt;/</c>.
/// </summary>
public sealed record DataLocation(string Root, string Source)
{
    /// <summary>The folders searched for <paramref name="info"/>'s files, in order.</summary>
    public IReadOnlyList<string> FoldersFor(DatasetInfo info) => [DownloadFolder(info), Root];

    /// <summary>Where downloads of <paramref name="info"/> go: <c>&lt;Root&gt;/&lt;folder&gt;</c>.</summary>
    public string DownloadFolder(DatasetInfo info) => Path.Combine(Root, info.Folder);

    /// <summary>The path of <paramref name="fileName"/> (a published .gz name) for <paramref name="info"/>, or null
    /// when no folder of <see cref="FoldersFor"/> holds it under either name.</summary>
    public string? Find(DatasetInfo info, string fileName)
    {
        string raw = fileName.EndsWith(".gz", StringComparison.Ordinal) ? fileName[..^3] : fileName;
        foreach (string folder in FoldersFor(info))
            foreach (string name in (string[])[fileName, raw])
                if (File.Exists(Path.Combine(folder, name)))
                    return Path.Combine(folder, name);
        return null;
    }

    public override string ToString() => $"{Root} (from {Source})";
}

/// <summary>
/// Decides the data root: the folder given, if any, else <c>$DIGITS_DATA</c>, else the user's cache folder —
/// <c>$XDG_CACHE_HOME/digits</c> or <c>~/.cache/digits</c> on Linux and macOS, <c>%LOCALAPPDATA%\digits</c> on
/// Windows. The first that is set wins; later ones are not searched (so a stale cache cannot shadow an explicit
/// choice, and an explicit choice is where downloads go). Empty values count as unset.
/// </summary>
public static class DataLocator
{
    /// <summary>The environment variable naming the data root.</summary>
    public const string EnvironmentVariable = "DIGITS_DATA";

    /// <summary><see cref="DataLocation.Source"/> when the folder was given to <see cref="Resolve"/>.</summary>
    public const string GivenFolder = $"{nameof(DataLocator)}.{nameof(Resolve)}(folder)";

    /// <summary>The root for this run: <paramref name="folder"/> when given. <paramref name="environment"/> and
    /// <paramref name="windows"/> replace the process environment and OS for tests. Relative paths are made absolute
    /// against the working directory.</summary>
    public static DataLocation Resolve(string? folder, Func<string, string?>? environment = null,
        bool? windows = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        if (!string.IsNullOrWhiteSpace(folder)) return new(Path.GetFullPath(folder), GivenFolder);
        if (environment(EnvironmentVariable) is { Length: > 0 } fromEnv)
            return new(Path.GetFullPath(fromEnv), EnvironmentVariable);
        return new(CacheRoot(environment, windows ?? OperatingSystem.IsWindows()), "the user cache folder");
    }

    /// <summary>The per-user cache root: <c>%LOCALAPPDATA%\digits</c> (Windows), else
    /// <c>$XDG_CACHE_HOME/digits</c> when that is an absolute path, else <c>$HOME/.cache/digits</c>.</summary>
    public static string CacheRoot(Func<string, string?>? environment = null, bool? windows = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        if (windows ?? OperatingSystem.IsWindows())
            return Path.Combine(NonEmpty(environment("LOCALAPPDATA"))
                ?? Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "digits");
        if (NonEmpty(environment("XDG_CACHE_HOME")) is { } xdg && Path.IsPathRooted(xdg))
            return Path.Combine(xdg, "digits");
        string home = NonEmpty(environment("HOME")) ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(home, ".cache", "digits");
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
