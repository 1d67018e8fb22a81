using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Digits.Gpu.Cuda;

/// <summary>
/// The CUDA driver API entry points the backend uses (<c>libcuda.so.1</c>, see <see cref="NativeLibraries"/>),
/// with their C names, 64-bit: <c>CUdeviceptr</c> is <c>ulong</c>, every other handle <c>nint</c>, a
/// <c>CUdevice</c> an <c>int</c>, <c>CUresult</c> an <c>int</c>.
/// </summary>
internal static unsafe partial class CudaNative
{
    public const int Success = 0;
    public const int ErrorOutOfMemory = 2;
    public const int ErrorNoDevice = 100;

    public const int AttributeMaxThreadsPerBlock = 1, AttributeClockRate = 13, AttributeMultiprocessorCount = 16,
        AttributeComputeCapabilityMajor = 75, AttributeComputeCapabilityMinor = 76;

    public const int FunctionAttributeMaxThreadsPerBlock = 0;
    public const uint StreamNonBlocking = 1;

    /// <summary>CU_STREAM_CAPTURE_MODE_THREAD_LOCAL: only this thread's unsafe calls break the capture.</summary>
    public const int StreamCaptureModeThreadLocal = 1;

    static CudaNative() => NativeLibraries.EnsureResolver();

    [LibraryImport(NativeLibraries.Cuda)]
    public static partial int cuInit(uint flags);

    [LibraryImport(NativeLibraries.Cuda)]
    public static partial int cuDriverGetVersion(out int version);

    [LibraryImport(NativeLibraries.Cuda)]
    public static partial int cuDeviceGetCount(out int count);

    [LibraryImport(NativeLibraries.Cuda)]
    public static partial int cuDeviceGet(out int device, int ordinal);

    [LibraryImport(NativeLibraries.Cuda)]
    public static partial int cuDeviceGetName(byte* name, int length, int device);

    [LibraryImport(NativeLibraries.Cuda)]
    public static partial int cuDeviceGetAttribute(out int value, int attribute, int device);

    [LibraryImport(NativeLibraries.Cuda)]
    public static partial int cuDeviceTotalMem_v2(out nuint bytes, int device);

    [LibraryImport(NativeLibraries.Cuda)]
    public static partial int cuDevicePrimaryCtxRetain(out nint context, int device);

    [LibraryImport(NativeLibraries.Cuda)]
    public static partial int cuDevicePrimaryCtxRelease_v2(int device);

    [LibraryImport(NativeLibraries.Cuda)]
    public static partial int cuCtxSetCurrent(nint context);

    [LibraryImport(NativeLibraries.Cuda)]
    public static partial int cuCtxSynchronize();

    [LibraryImport(NativeLibraries.Cuda)]
    public static partial int cuStreamCreate(out nint stream, uint flags);

    [LibraryImport(NativeLibraries.Cuda)]
    public static partial int cuStreamDestroy_v2(nint stream);

    [LibraryImport(NativeLibraries.Cuda)]
    public static partial int cuStreamSynchronize(nint stream);

    [LibraryImport(NativeLibraries.Cuda)]
    public static partial int cuModuleLoadData(out nint module, void* image);

    [LibraryImport(NativeLibraries.Cuda)]
    public static partial int cuModuleUnload(nint module);

    [LibraryImport(NativeLibraries.Cuda, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int cuModuleGetFunction(out nint function, nint module, string name);

    [LibraryImport(NativeLibraries.Cuda)]
    public static partial int cuFuncGetAttribute(out int value, int attribute, nint function);

    [LibraryImport(NativeLibraries.Cuda)]
    public static partial int cuLaunchKernel(nint function, uint gridX, uint gridY, uint gridZ, uint blockX,
        uint blockY, uint blockZ, uint sharedMemoryBytes, nint stream, void** parameters, void** extra);

    [LibraryImport(NativeLibraries.Cuda)]
    public static partial int cuMemAlloc_v2(out ulong pointer, nuint bytes);

    [LibraryImport(NativeLibraries.Cuda)]
    public static partial int cuMemFree_v2(ulong pointer);

    [LibraryImport(NativeLibraries.Cuda)]
    public static partial int cuMemGetInfo_v2(out nuint free, out nuint total);

    [LibraryImport(NativeLibraries.Cuda)]
    public static partial int cuMemcpyHtoDAsync_v2(ulong destination, void* source, nuint bytes, nint stream);

    [LibraryImport(NativeLibraries.Cuda)]
    public static partial int cuMemcpyDtoHAsync_v2(void* destination, ulong source, nuint bytes, nint stream);

    [LibraryImport(NativeLibraries.Cuda)]
    public static partial int cuMemsetD32Async(ulong destination, uint value, nuint count, nint stream);

    // Stream capture and graphs (CUDA 10+; cuGraphInstantiateWithFlags since 11.4). CUgraph and CUgraphExec
    // are handles (nint); flags is an unsigned long long.
    [LibraryImport(NativeLibraries.Cuda)]
    public static partial int cuStreamBeginCapture_v2(nint stream, int mode);

    [LibraryImport(NativeLibraries.Cuda)]
    public static partial int cuStreamEndCapture(nint stream, out nint graph);

    [LibraryImport(NativeLibraries.Cuda)]
    public static partial int cuGraphInstantiateWithFlags(out nint graphExec, nint graph, ulong flags);

    [LibraryImport(NativeLibraries.Cuda)]
    public static partial int cuGraphLaunch(nint graphExec, nint stream);

    [LibraryImport(NativeLibraries.Cuda)]
    public static partial int cuGraphExecDestroy(nint graphExec);

    [LibraryImport(NativeLibraries.Cuda)]
    public static partial int cuGraphDestroy(nint graph);

    [LibraryImport(NativeLibraries.Cuda)]
    public static partial int cuGetErrorName(int error, out nint name);

    [LibraryImport(NativeLibraries.Cuda)]
    public static partial int cuGetErrorString(int error, out nint description);

    /// <summary>Throws <see cref="GpuException"/> named after <paramref name="result"/> unless it is CUDA_SUCCESS.</summary>
    public static void ThrowIfFailed(int result, [CallerArgumentExpression(nameof(result))] string call = "",
        string? detail = null)
    {
        if (result != Success) throw Error(result, call, detail);
    }

    /// <summary>The exception for a failed call, named by <c>cuGetErrorName</c>.</summary>
    public static GpuException Error(int result, string call, string? detail = null)
    {
        var (name, description) = Describe(result);
        return new GpuException(name, description, call, result, detail);
    }

    /// <summary>The error's name (CUDA_ERROR_OUT_OF_MEMORY) and description, as the driver gives them.</summary>
    public static (string Name, string Description) Describe(int result)
    {
        string name = cuGetErrorName(result, out nint n) == Success && n != 0
            ? Marshal.PtrToStringUTF8(n) ?? $"CUDA_ERROR_{result}" : $"CUDA_ERROR_{result}";
        string description = cuGetErrorString(result, out nint d) == Success && d != 0
            ? Marshal.PtrToStringUTF8(d) ?? "unknown CUDA error" : "unknown CUDA error";
        return (name, description);
    }
}
