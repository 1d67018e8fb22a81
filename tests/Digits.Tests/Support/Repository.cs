namespace Digits.Tests.Support;

/// <summary>The repository's root folder (the one holding Digits.sln), found above the test binaries.</summary>
internal static class Repository
{
    public static string Root
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Digits.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("Digits.sln not found above the test binaries");
        }
    }
}
