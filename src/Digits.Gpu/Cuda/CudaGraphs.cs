using System.Runtime.InteropServices;

namespace Digits.Gpu.Cuda;

/// <summary>
/// The CUDA driver entry points ILGPU 1.5.3 does not wrap: stream capture into a CUDA graph and its replay. The only
/// P/Invoke in Digits.Gpu besides the diagnostic calls of <see cref="CudaDriver"/>. Called with ILGPU's CUDA context current (the backend binds its accelerator first) on the
/// stream ILGPU created (<c>CudaStream.StreamPtr</c>). Every function returns a CUresult (0 = CUDA_SUCCESS).
/// </summary>
internal static partial class CudaGraphs
{
    private const string Driver = "cuda";

    /// <summary>CU_STREAM_CAPTURE_MODE_THREAD_LOCAL: only this thread's unsafe calls invalidate the capture.</summary>
    public const int CaptureModeThreadLocal = 1;

    [LibraryImport(Driver)]
    public static partial int cuStreamBeginCapture_v2(nint stream, int mode);

    [LibraryImport(Driver)]
    public static partial int cuStreamEndCapture(nint stream, out nint graph);

    [LibraryImport(Driver)]
    public static partial int cuGraphInstantiateWithFlags(out nint exec, nint graph, ulong flags);

    [LibraryImport(Driver)]
    public static partial int cuGraphLaunch(nint exec, nint stream);

    [LibraryImport(Driver)]
    public static partial int cuGraphExecDestroy(nint exec);

    [LibraryImport(Driver)]
    public static partial int cuGraphDestroy(nint graph);

    /// <summary>The driver's name for a CUresult, e.g. CUDA_ERROR_STREAM_CAPTURE_INVALIDATED
    /// (<see cref="CudaDriver.ErrorName"/>).</summary>
    public static string Name(int result) => CudaDriver.ErrorName(result);
}
