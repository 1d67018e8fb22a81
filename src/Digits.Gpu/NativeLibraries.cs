using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Digits.Gpu;

/// <summary>
/// Finds the three native libraries the GPU backends bind to. <c>[LibraryImport]</c> declarations name a
/// logical library (<see cref="Cuda"/>, <see cref="Nvrtc"/>, <see cref="OpenCl"/>); the assembly's one
/// <see cref="NativeLibrary.SetDllImportResolver"/> hook maps each to its own ordered list of file names
/// (<see cref="Candidates"/>) and remembers the first that loads.
/// </summary>
internal static class NativeLibraries
{
    /// <summary>The CUDA driver API.</summary>
    public const string Cuda = "cuda";

    /// <summary>The CUDA run-time compiler.</summary>
    public const string Nvrtc = "nvrtc";

    /// <summary>The OpenCL ICD loader.</summary>
    public const string OpenCl = "OpenCL";

    private static readonly ConcurrentDictionary<string, (nint Handle, string? Path)> Loaded = new();

    static NativeLibraries() =>
        NativeLibrary.SetDllImportResolver(typeof(NativeLibraries).Assembly, Resolve);

    /// <summary>Makes sure the resolver is installed (runs the static constructor once).</summary>
    public static void EnsureResolver()
    {
    }

    /// <summary>The file names tried for <paramref name="library"/>, first to last.</summary>
    public static IReadOnlyList<string> Candidates(string library)
    {
        bool windows = OperatingSystem.IsWindows(), mac = OperatingSystem.IsMacOS();
        return library switch
        {
            Cuda => windows ? ["nvcuda.dll"] : ["libcuda.so.1", "libcuda.so"],
            Nvrtc => windows
                ? ["nvrtc64_130_0.dll", "nvrtc64_120_0.dll", "nvrtc64_112_0.dll"]
                : WithCudaFolders(["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so"]),
            OpenCl => windows ? ["OpenCL.dll"]
                : mac ? ["/System/Library/Frameworks/OpenCL.framework/OpenCL"]
                : ["libOpenCL.so.1", "libOpenCL.so"],
            _ => [],
        };
    }

    /// <summary>The name people know the library by, for "… not found" reasons.</summary>
    public static string DisplayName(string library) => Candidates(library) is [var first, ..] ? first : library;

    /// <summary>Loads <paramref name="library"/> (once) and says from where.</summary>
    public static bool TryLoad(string library, out string? path)
    {
        EnsureResolver();
        var entry = Loaded.GetOrAdd(library, Load);
        path = entry.Path;
        return entry.Handle != 0;
    }

    /// <summary>Whether the loaded <paramref name="library"/> exports <paramref name="entryPoint"/> (for entry
    /// points newer than the oldest version supported).</summary>
    public static bool HasExport(string library, string entryPoint) =>
        TryLoad(library, out _) && NativeLibrary.TryGetExport(Loaded[library].Handle, entryPoint, out _);

    private static (nint, string?) Load(string library)
    {
        foreach (string name in Candidates(library))
            if (NativeLibrary.TryLoad(name, out nint handle)) return (handle, name);
        return (0, null);
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) =>
        name is Cuda or Nvrtc or OpenCl ? Loaded.GetOrAdd(name, Load).Handle : 0;

    /// <summary>NVRTC is often installed beside the CUDA toolkit rather than on the loader's path.</summary>
    private static string[] WithCudaFolders(string[] names)
    {
        var folders = new List<string>();
        foreach (string variable in new[] { "CUDA_PATH", "CUDA_HOME" })
            if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } root)
                folders.Add(Path.Combine(root, "lib64"));
        folders.Add("/usr/local/cuda/lib64");
        var all = new List<string>(names);
        foreach (string folder in folders)
            foreach (string name in names)
                all.Add(Path.Combine(folder, name));
        return [.. all];
    }
}
