using System.Reflection;
using System.Runtime.InteropServices;

namespace Digits.Gpu;

/// <summary>
/// Maps the library names ILGPU (and <see cref="Cuda.CudaGraphs"/>) import, <c>cuda</c> and <c>OpenCL</c>, to the
/// files a driver-only machine has: <c>libcuda.so.1</c> and <c>libOpenCL.so.1</c> (.NET itself would probe only
/// <c>libcuda.so</c>, which only the CUDA toolkit installs). One resolver per assembly, installed once, before
/// any ILGPU context is created.
/// </summary>
internal static class NativeLibraries
{
    private static readonly Lock Gate = new();
    private static bool s_installed;

    /// <summary>The driver files tried for each import name, first to last.</summary>
    public static string[] Candidates(string name) => name switch
    {
        "cuda" => OperatingSystem.IsWindows() ? ["nvcuda.dll"] : ["libcuda.so.1", "libcuda.so"],
        "OpenCL" => OperatingSystem.IsWindows() ? ["OpenCL.dll"] : ["libOpenCL.so.1", "libOpenCL.so"],
        _ => [],
    };

    /// <summary>Installs the resolver on ILGPU's assembly and ours (once).</summary>
    public static void Install()
    {
        lock (Gate)
        {
            if (s_installed) return;
            s_installed = true;
            NativeLibrary.SetDllImportResolver(typeof(ILGPU.Context).Assembly, Resolve);
            NativeLibrary.SetDllImportResolver(typeof(NativeLibraries).Assembly, Resolve);
        }
    }

    /// <summary>Whether the driver library for <paramref name="name"/> loads here.</summary>
    public static bool Present(string name) => Load(name) != 0;

    /// <summary>The file that loads for <paramref name="name"/> (e.g. <c>libcuda.so.1</c>), or "".</summary>
    public static string Loaded(string name) =>
        Candidates(name).FirstOrDefault(f => NativeLibrary.TryLoad(f, out _)) ?? "";

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? path) => Load(name);

    private static nint Load(string name)
    {
        foreach (string file in Candidates(name))
            if (NativeLibrary.TryLoad(file, out nint handle)) return handle;
        return 0;
    }
}
