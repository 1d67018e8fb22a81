using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Digits.Core.Files;

namespace Digits.Core.Model;

/// <summary>
/// The rules for a file Digits writes atomically (a model, a checkpoint, a report): its temporary name beside it,
/// which kinds of existing file it may replace, how stale temporaries of killed runs are found, and how a write
/// failure is put into words.
/// </summary>
public static partial class OutputFile
{
    /// <summary>The longest file name (in UTF-8 bytes) Linux, macOS and Windows file systems all accept.</summary>
    public const int MaxNameBytes = 255;

    /// <summary>
    /// The temporary file <paramref name="path"/> is written to before it is renamed over it:
    /// <c>.{name}.{pid}.tmp</c> in the same folder, with the name cut short (never the pid) when the whole would
    /// be longer than <see cref="MaxNameBytes"/>, so a legal output name always has a legal temporary name.
    /// </summary>
    public static string TemporaryPath(string path, int processId)
    {
        string full = Path.GetFullPath(path);
        string name = Path.GetFileName(full), suffix = $".{processId}.tmp";
        int budget = MaxNameBytes - 1 - suffix.Length;
        if (Encoding.UTF8.GetByteCount(name) > budget)
        {
            var kept = new StringBuilder();
            int bytes = 0;
            foreach (var rune in name.EnumerateRunes())
            {
                if (bytes + rune.Utf8SequenceLength > budget) break;
                bytes += rune.Utf8SequenceLength;
                kept.Append(rune.ToString());
            }
            name = kept.ToString();
        }
        return Path.Combine(Path.GetDirectoryName(full)!, $".{name}{suffix}");
    }

    /// <summary>This process's temporary file for <paramref name="path"/>.</summary>
    public static string TemporaryPath(string path) => TemporaryPath(path, Environment.ProcessId);

    [GeneratedRegex(@"^\..*\.(?<pid>[0-9]{1,10})\.tmp$")]
    private static partial Regex TemporaryName();

    /// <summary>
    /// Deletes the temporary files for <paramref name="path"/> (see <see cref="TemporaryPath(string, int)"/>) that
    /// processes no longer running left behind (a run killed while it saved). A temporary of a live process is
    /// left alone: that run is still writing it. Best effort: what cannot be deleted stays. Returns how many went.
    /// </summary>
    public static int RemoveStaleTemporaries(string path)
    {
        string full = Path.GetFullPath(path);
        string? folder = Path.GetDirectoryName(full);
        if (folder is null || !Directory.Exists(folder)) return 0;
        int removed = 0;
        try
        {
            foreach (string file in Directory.EnumerateFiles(folder, ".*.tmp"))
            {
                var m = TemporaryName().Match(Path.GetFileName(file));
                if (!m.Success || !int.TryParse(m.Groups["pid"].ValueSpan, out int pid) || pid == Environment.ProcessId ||
                    !string.Equals(TemporaryPath(full, pid), file, StringComparison.Ordinal) || IsRunning(pid))
                    continue;
                if (TryDelete(file)) removed++;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return removed;
    }

    /// <summary>Whether a process with this id is running now (a reused id counts as running: nothing is deleted).</summary>
    public static bool IsRunning(int processId)
    {
        try
        {
            using var process = Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>
    /// Null when <paramref name="path"/> does not exist or is a regular file (or a link to one); otherwise what it is
    /// ("a folder", "a character device", "a named pipe", …; see <see cref="FileChecks"/>). Digits replaces only
    /// regular files: renaming a temporary over <c>/dev/null</c> would replace the device node with a file.
    /// </summary>
    public static string? NotARegularFile(string path) => FileChecks.NotARegularFile(path);

    /// <summary>
    /// Writes <paramref name="bytes"/> to <paramref name="path"/> atomically, as <see cref="SafeTensors.Write"/> does:
    /// a temporary file in the same folder, flushed to disk, renamed over the target, the folder synced. A crash
    /// leaves the old file or the new one, never half of one.
    /// </summary>
    /// <exception cref="IOException">the folder cannot be written, or <paramref name="path"/> exists and is not a
    /// regular file (never replaced).</exception>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        string full = Path.GetFullPath(path);
        if (NotARegularFile(full) is { } kind)
            throw new IOException($"{full} is {kind}, not a regular file; Digits writes only regular files and never replaces anything else");
        string temp = TemporaryPath(full);
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
            DirectorySync.Flush(Path.GetDirectoryName(full)!);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>ENOSPC (Linux 28, macOS 28) as .NET reports it in <see cref="Exception.HResult"/>, or Windows'
    /// ERROR_DISK_FULL / ERROR_HANDLE_DISK_FULL.</summary>
    public static bool IsDiskFull(Exception e) =>
        e is IOException && (e.HResult is 28 or unchecked((int)0x80070070) or unchecked((int)0x80070027) ||
                             e.Message.Contains("No space left on device", StringComparison.OrdinalIgnoreCase));

    /// <summary>Why a write failed, as words for a sentence: "the disk is full (no space left on device)", or the
    /// system's message without the path it repeats (never the temporary file's name, which the user never
    /// gave).</summary>
    public static string Reason(Exception e)
    {
        if (IsDiskFull(e)) return "the disk is full (no space left on device)";
        if (e is UnauthorizedAccessException) return "permission denied";
        // ENOENT on creating a file: the folder is gone, or a file system (/proc, /sys) that makes no new files.
        if (e is FileNotFoundException or DirectoryNotFoundException)
            return "no such file or directory: the folder is gone or takes no new files";
        string message = e.Message;
        int quote = message.IndexOf(" : '", StringComparison.Ordinal); // ".NET: "Message : 'path'"
        if (quote > 0) message = message[..quote];
        return message.TrimEnd('.');
    }

    private static bool TryDelete(string path)
    {
        try
        {
            File.Delete(path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
