using System.Runtime.InteropServices;
using System.Text;
using static Digits.Gpu.Cuda.NvrtcNative;

namespace Digits.Gpu.Cuda;

/// <summary>
/// Compiles the kernel source with NVRTC for one device: CUBIN for the device's own architecture
/// (<c>--gpu-architecture=sm_XY</c>) when this NVRTC knows it and has <c>nvrtcGetCUBIN</c>; otherwise PTX for
/// the newest virtual architecture it knows that is not newer than the device (<c>compute_XY</c>), which
/// the driver compiles at load. The OpenCL side's twin is <c>OpenClProgram</c>.
/// </summary>
internal static unsafe class CudaCompiler
{
    /// <summary>What to build: the options and whether the output is CUBIN (else PTX).</summary>
    public sealed record Target(string[] Options, bool Cubin, string Description);

    /// <summary>NVRTC's version, e.g. (13, 0).</summary>
    public static (int Major, int Minor) Version()
    {
        ThrowIfFailed(nvrtcVersion(out int major, out int minor));
        return (major, minor);
    }

    /// <summary>The target for a device of compute capability major.minor.</summary>
    public static Target For(int major, int minor, string definitions)
    {
        int arch = major * 10 + minor;
        int[]? known = SupportedArchitectures();
        bool cubin = HasCubin() && (known is null || known.Contains(arch));
        int virtualArch = arch;
        if (!cubin && known is { Length: > 0 })
            virtualArch = known.Where(a => a <= arch).DefaultIfEmpty(known.Min()).Max();
        string gpu = cubin ? $"--gpu-architecture=sm_{arch}" : $"--gpu-architecture=compute_{virtualArch}";
        string[] options = [gpu, .. definitions.Split(' ', StringSplitOptions.RemoveEmptyEntries)];
        return new Target(options, cubin, cubin ? $"sm_{arch} CUBIN" : $"compute_{virtualArch} PTX");
    }

    /// <summary>Compiles <paramref name="source"/>; the result is what <c>cuModuleLoadData</c> takes (PTX ends
    /// with its NUL).</summary>
    /// <exception cref="KernelCompilationException">NVRTC rejected the source; holds the whole log.</exception>
    public static byte[] Compile(string source, Target target, string compiler)
    {
        ThrowIfFailed(nvrtcCreateProgram(out nint raw, source, "digits_kernels.cu", 0, 0, 0));
        using var program = new NvrtcProgramHandle(raw);
        var options = target.Options.Select(o => Marshal.StringToCoTaskMemUTF8(o)).ToArray();
        int result;
        try
        {
            fixed (nint* pointers = options)
                result = nvrtcCompileProgram(raw, options.Length, (byte**)pointers);
        }
        finally
        {
            foreach (nint option in options) Marshal.FreeCoTaskMem(option);
        }
        if (result != Success)
            throw new KernelCompilationException(compiler, string.Join(' ', target.Options), Log(raw), Name(result),
                "nvrtcCompileProgram(program, options.Length, options)", result);
        if (target.Cubin)
        {
            ThrowIfFailed(nvrtcGetCUBINSize(raw, out nuint size));
            var cubin = new byte[size];
            fixed (byte* c = cubin) ThrowIfFailed(nvrtcGetCUBIN(raw, c));
            return cubin;
        }
        ThrowIfFailed(nvrtcGetPTXSize(raw, out nuint ptxSize));
        var ptx = new byte[ptxSize];
        fixed (byte* p = ptx) ThrowIfFailed(nvrtcGetPTX(raw, p));
        return ptx;
    }

    private static string Log(nint program)
    {
        if (nvrtcGetProgramLogSize(program, out nuint size) != Success || size <= 1) return "(no compiler log)";
        var bytes = new byte[size];
        fixed (byte* b = bytes)
            if (nvrtcGetProgramLog(program, b) != Success) return "(no compiler log)";
        return Encoding.UTF8.GetString(bytes).TrimEnd('\0', '\n', ' ');
    }

    /// <summary>The real architectures this NVRTC can build (75, 80, 86, 89, 90, …), or null before 11.2.</summary>
    private static int[]? SupportedArchitectures()
    {
        try
        {
            if (nvrtcGetNumSupportedArchs(out int count) != Success || count <= 0) return null;
            var archs = new int[count];
            fixed (int* a = archs)
                if (nvrtcGetSupportedArchs(a) != Success) return null;
            return archs;
        }
        catch (EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <summary>nvrtcGetCUBIN exists from NVRTC 11.1.</summary>
    private static bool HasCubin() => NativeLibraries.HasExport(NativeLibraries.Nvrtc, "nvrtcGetCUBIN");
}
