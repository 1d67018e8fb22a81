using System.Diagnostics;
using Digits.Tests.Cli;
using Xunit;

namespace Digits.Tests.Export;

/// <summary>
/// The NuGet package as a user gets it: <c>dotnet pack</c> of Digits.Api (from the build this test run already made),
/// a new console project that references the package from a local folder, with the README's C# example as its
/// Program.cs, built and run on a trained model and a test PNG. Offline: the package sources are the local folder
/// and the machine's NuGet cache (where the package's dependencies already are, since the repository restored them).
/// </summary>
public sealed class PackageTests(QuickModel quick) : IClassFixture<QuickModel>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("digits-package-").FullName;

    /// <summary>A version no earlier run used, so the NuGet cache never serves a stale copy; removed afterwards.</summary>
    private readonly string _version = $"0.0.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";

#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    private static string PackagesFolder => Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p
        ? p : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    public void Dispose()
    {
        Directory.Delete(_dir, recursive: true);
        string cached = Path.Combine(PackagesFolder, "digits.api", _version);
        if (Directory.Exists(cached)) Directory.Delete(cached, recursive: true);
        string id = Path.GetDirectoryName(cached)!;
        if (Directory.Exists(id) && !Directory.EnumerateFileSystemEntries(id).Any()) Directory.Delete(id);
    }

    [Fact]
    public void The_README_example_runs_against_the_packed_package()
    {
        string root = RepositoryRoot();
        string feed = Path.Combine(_dir, "feed"), consumer = Path.Combine(_dir, "consumer");
        Directory.CreateDirectory(consumer);
        var clock = Stopwatch.StartNew();
        var (code, output) = Dotnet(root, "pack", Path.Combine(root, "src", "Digits.Api"), "-c", Configuration, "--no-build",
            "-o", feed, $"-p:PackageVersion={_version}", "-p:BuildProjectReferences=false");
        Assert.True(code == 0, $"dotnet pack failed:\n{output}");
        string package = Path.Combine(feed, $"Digits.Api.{_version}.nupkg");
        Assert.True(File.Exists(package), output);
        using (var zip = System.IO.Compression.ZipFile.OpenRead(package))
        {
            var entries = zip.Entries.Select(e => e.FullName).ToHashSet();
            foreach (string name in new[] { "README.md", "lib/net10.0/Digits.Api.dll", "lib/net10.0/Digits.Api.xml",
                         "lib/net10.0/Digits.Core.dll", "lib/net10.0/Digits.Core.xml", "lib/net10.0/Digits.Cpu.dll",
                         "lib/net10.0/Digits.Imaging.dll" })
                Assert.Contains(name, entries);
        }
        double packSeconds = clock.Elapsed.TotalSeconds;

        File.WriteAllText(Path.Combine(consumer, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{feed}" />
                <add key="machine" value="{PackagesFolder}" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(consumer, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Digits.Api" Version="{_version}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(consumer, "Program.cs"), ReadmeExample(root));
        File.Copy(quick.Path, Path.Combine(consumer, "model.safetensors"));
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Fixtures", "redrawn", "0000_rgb.png"), Path.Combine(consumer, "seven.png"));

        (code, output) = Dotnet(consumer, "run", "-c", "Release");
        TestContext.Current.SendDiagnosticMessage($"pack {packSeconds:0.0} s, consumer restore+build+run " +
                                                  $"{clock.Elapsed.TotalSeconds - packSeconds:0.0} s");
        Assert.True(code == 0, $"the consumer failed:\n{output}");
        Assert.Matches(@"seven\.png: 7 \([0-9.]+ ?%\)", output);
        Assert.Contains("blank: ", output);
    }

    /// <summary>The first C# block under "### The C# library" in the README, as written there.</summary>
    internal static string ReadmeExample(string root)
    {
        string readme = File.ReadAllText(Path.Combine(root, "README.md"));
        int section = readme.IndexOf("### The C# library", StringComparison.Ordinal);
        Assert.True(section >= 0, "README.md has no '### The C# library' section");
        int start = readme.IndexOf("```csharp\n", section, StringComparison.Ordinal) + "```csharp\n".Length;
        int end = readme.IndexOf("```", start, StringComparison.Ordinal);
        return readme[start..end];
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Digits.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no Digits.sln above {AppContext.BaseDirectory}");
    }

    private static (int Code, string Output) Dotnet(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        foreach (var a in args) start.ArgumentList.Add(a);
        // The test host runs under `dotnet test`; MSBuild's variables from that run must not steer this one.
        foreach (string key in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)).ToList())
            start.Environment.Remove(key);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(4)))
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"dotnet {string.Join(' ', args)} timed out after 4 minutes\n{stdout.Result}{stderr.Result}");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
