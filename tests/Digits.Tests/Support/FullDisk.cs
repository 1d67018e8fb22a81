using System.Diagnostics;
using Xunit;

namespace Digits.Tests.Support;

/// <summary>
/// A real full disk for the write-failure tests: a tmpfs of one page (4 KiB) mounted on a folder, so that a write
/// needing more room fails inside the kernel with ENOSPC — the <see cref="IOException"/> "No space left on device"
/// (HResult 28) that .NET throws on a full disk — wherever the writer happens to be. Nothing in the code under test
/// knows it is being tested. Mounting needs root on Linux: elsewhere the test is skipped with that reason, and with
/// CI=true (CI runs as root) it fails instead. Dispose unmounts, leaving the folder as it was before.
/// </summary>
public sealed class FullDisk : IDisposable
{
    private bool _mounted;

    private FullDisk(string folder) => Folder = folder;

    /// <summary>The folder the full file system is mounted on.</summary>
    public string Folder { get; }

    /// <summary>Mounts an empty one-page tmpfs on <paramref name="folder"/> (created if missing). Write what should
    /// already be there, then <see cref="Fill"/>.</summary>
    public static FullDisk Mount(string folder)
    {
        string reason;
        if (!OperatingSystem.IsLinux()) reason = "a full disk is made with a tmpfs mount (Linux)";
        else
        {
            Directory.CreateDirectory(folder);
            var (code, output) = Run("mount", "-t", "tmpfs", "-o", "size=4k,mode=0755", "digits-full-disk", folder);
            if (code == 0) return new FullDisk(folder) { _mounted = true };
            reason = $"a full disk is made by mounting a one-page tmpfs, which needs root (mount: {output.Trim()})";
        }
        if (TestBackends.IsCi) Assert.Fail($"{reason}; CI=true requires it");
        Assert.Skip(reason);
        return null!;
    }

    /// <summary>Takes the room that is left, if any, with a hidden file <c>.full</c>: from now on every byte written
    /// into the folder fails. Files written before stay whole.</summary>
    public void Fill()
    {
        long free = new DriveInfo(Folder).AvailableFreeSpace;
        if (free > 0) File.WriteAllBytes(Path.Combine(Folder, ".full"), new byte[free]);
        Assert.Equal(0, new DriveInfo(Folder).AvailableFreeSpace);
    }

    public void Dispose()
    {
        if (!_mounted) return;
        _mounted = false;
        var (code, output) = Run("umount", Folder);
        Assert.True(code == 0, $"umount {Folder}: {output}");
    }

    private static (int Code, string Output) Run(string command, params string[] args)
    {
        var info = new ProcessStartInfo(command)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (string arg in args) info.ArgumentList.Add(arg);
        try
        {
            using var process = Process.Start(info)!;
            string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, $"{command} could not be run: {e.Message}");
        }
    }
}
