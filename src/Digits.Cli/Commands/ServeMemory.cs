using System.Runtime.InteropServices;

namespace Digits.Cli.Commands;

/// <summary>
/// Makes the native memory of uploads and decoded pixels go back to the operating system when it is freed. glibc's
/// malloc serves a block of at least its mmap threshold (128 KiB) from its own mapping and unmaps it on free, but
/// raises that threshold to the size of each such block freed (up to 32 MiB, mallopt(3)); after a few uploads of a few
/// MB their buffers come from its arenas instead and stay there, fragmented: eight rounds of eight 16 MB uploads left
/// <c>digits serve</c> at 223 MB resident, growing, instead of about 100 MB. Fixing the threshold at its default
/// (<c>mallopt(M_MMAP_THRESHOLD, 128 KiB)</c>, which also stops the adjusting) keeps every large block mapped on its own.
/// Other C libraries are left as they are.
/// </summary>
internal static partial class ServeMemory
{
    private const int MmapThresholdParameter = -3; // M_MMAP_THRESHOLD in glibc's malloc.h
    private const int MmapThreshold = 128 * 1024;

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int Mallopt(int parameter, int value);

    /// <summary>Sets glibc's mmap threshold for this process; does nothing elsewhere.</summary>
    public static void ReturnLargeBlocks()
    {
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            Mallopt(MmapThresholdParameter, MmapThreshold);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            // not glibc (musl has no mallopt): its allocator keeps its own policy
        }
    }
}
