using System.Globalization;
using System.Text;
using Digits.Cli.Verbs;
using Digits.Core.Model;

namespace Digits.Cli.Commands;

/// <summary>
/// The checks of an <c>--output</c> file that <c>train</c>, <c>export</c> and <c>import</c> write, made before any
/// work so that nothing is lost to them: not a folder, device, pipe or socket (only regular files are written, and
/// nothing else is replaced); a name the file system takes; a folder that exists and can be written, where the
/// temporary file the save uses (<see cref="OutputFile.TemporaryPath(string)"/>) is created and removed, so its
/// name is legal too. Temporaries that killed runs left for this output (<see cref="OutputFile.RemoveStaleTemporaries"/>)
/// are removed on the way.
/// </summary>
internal static class OutputCheck
{
    /// <summary>Checks <paramref name="output"/> for <c>digits <paramref name="verb"/></c>.</summary>
    /// <exception cref="UsageException">it cannot be written; one line naming <c>--output</c> and why.</exception>
    public static void Require(string output, string verb)
    {
        if (OutputFile.NotARegularFile(output) is { } kind)
            throw new UsageException(kind == "a folder" ? $"--output: {output} is a folder; give a file name"
                : $"--output: {output} is {kind}, not a regular file; digits {verb} writes only regular files and " +
                  "never replaces anything else");
        string full = Path.GetFullPath(output);
        int nameBytes = Encoding.UTF8.GetByteCount(Path.GetFileName(full));
        if (nameBytes > OutputFile.MaxNameBytes)
            throw new UsageException($"--output: the file name is {nameBytes} bytes long; file systems take at most " +
                                     $"{OutputFile.MaxNameBytes}");
        string folder = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(folder)) throw new UsageException($"--output: folder {folder} does not exist");
        OutputFile.RemoveStaleTemporaries(full);
        RemoveStaleWriteProbes(folder);
        string probe = OutputFile.TemporaryPath(full);
        try
        {
            new FileStream(probe, FileMode.Create, FileAccess.Write, FileShare.None).Dispose();
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--output: cannot write in {folder} ({OutputFile.Reason(e)})");
        }
    }

    /// <summary>Earlier versions probed the folder with <c>.digits-write-test-{pid}</c>; a run killed right then
    /// left it behind. Those of processes no longer running go.</summary>
    private static void RemoveStaleWriteProbes(string folder)
    {
        try
        {
            foreach (string file in Directory.EnumerateFiles(folder, ".digits-write-test-*"))
                if (int.TryParse(Path.GetFileName(file)[".digits-write-test-".Length..], NumberStyles.None,
                        CultureInfo.InvariantCulture, out int pid) && !OutputFile.IsRunning(pid))
                    File.Delete(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
