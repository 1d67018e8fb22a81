using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Digits.Gpu.Cuda;

/// <summary>The NVRTC entry points the backend uses (<c>libnvrtc.so.13</c>, <c>.12</c>, …; see
/// <see cref="NativeLibraries"/>), with their C names. <c>nvrtcResult</c> is an <c>int</c>.</summary>
internal static unsafe partial class NvrtcNative
{
    public const int Success = 0;
    public const int ErrorCompilation = 6;

    static NvrtcNative() => NativeLibraries.EnsureResolver();

    [LibraryImport(NativeLibraries.Nvrtc)]
    public static partial int nvrtcVersion(out int major, out int minor);

    [LibraryImport(NativeLibraries.Nvrtc)]
    public static partial int nvrtcGetNumSupportedArchs(out int count);

    [LibraryImport(NativeLibraries.Nvrtc)]
    public static partial int nvrtcGetSupportedArchs(int* archs);

    [LibraryImport(NativeLibraries.Nvrtc, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int nvrtcCreateProgram(out nint program, string source, string name, int headerCount,
        nint headers, nint includeNames);

    [LibraryImport(NativeLibraries.Nvrtc)]
    public static partial int nvrtcDestroyProgram(ref nint program);

    [LibraryImport(NativeLibraries.Nvrtc)]
    public static partial int nvrtcCompileProgram(nint program, int optionCount, byte** options);

    [LibraryImport(NativeLibraries.Nvrtc)]
    public static partial int nvrtcGetProgramLogSize(nint program, out nuint size);

    [LibraryImport(NativeLibraries.Nvrtc)]
    public static partial int nvrtcGetProgramLog(nint program, byte* log);

    [LibraryImport(NativeLibraries.Nvrtc)]
    public static partial int nvrtcGetPTXSize(nint program, out nuint size);

    [LibraryImport(NativeLibraries.Nvrtc)]
    public static partial int nvrtcGetPTX(nint program, byte* ptx);

    [LibraryImport(NativeLibraries.Nvrtc)]
    public static partial int nvrtcGetCUBINSize(nint program, out nuint size);

    [LibraryImport(NativeLibraries.Nvrtc)]
    public static partial int nvrtcGetCUBIN(nint program, byte* cubin);

    [LibraryImport(NativeLibraries.Nvrtc)]
    public static partial nint nvrtcGetErrorString(int result);

    /// <summary>Throws <see cref="GpuException"/> named after <paramref name="result"/> unless it is NVRTC_SUCCESS.</summary>
    public static void ThrowIfFailed(int result, [CallerArgumentExpression(nameof(result))] string call = "")
    {
        if (result != Success) throw new GpuException(Name(result), "NVRTC call failed", call, result);
    }

    /// <summary>The result's name as NVRTC spells it, e.g. NVRTC_ERROR_COMPILATION.</summary>
    public static string Name(int result) =>
        Marshal.PtrToStringUTF8(nvrtcGetErrorString(result)) ?? $"NVRTC_ERROR_{result}";
}

/// <summary>An NVRTC program, destroyed once.</summary>
internal sealed class NvrtcProgramHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public NvrtcProgramHandle(nint raw) : base(ownsHandle: true) => SetHandle(raw);

    public nint Raw => handle;

    protected override bool ReleaseHandle()
    {
        nint raw = handle;
        return NvrtcNative.nvrtcDestroyProgram(ref raw) == NvrtcNative.Success;
    }
}
