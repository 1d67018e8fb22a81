namespace Digits.Gpu;

/// <summary>
/// A kernel did not load on the device: ILGPU could not compile it, or the driver's JIT refused its PTX (or the
/// OpenCL compiler its source). Names the kernel (<see cref="Kernel"/>, "Family.Method"), the error (the native name
/// where there is one) and the driver's own log, which ILGPU would otherwise write only to .NET's <c>Trace</c>.
/// </summary>
public sealed class KernelLoadException : GpuException
{
    /// <summary>Wraps <paramref name="error"/>, raised while loading <paramref name="kernel"/> on
    /// <paramref name="device"/>; <paramref name="log"/> is the driver's log ("" when it gave none).</summary>
    public KernelLoadException(string device, string kernel, Exception error, string log)
        : base($"kernel {kernel} failed to load on {device}: {NameOf(error)}: {error.Message}" +
               (error.InnerException is null ? "" : $" (cause: {error.InnerException.Message})") +
               (log.Length == 0 ? "; the driver gave no log" : $"; the driver's log:\n{log}"),
            NameOf(error), error.Message, $"loading kernel {kernel}", 0)
    {
        Kernel = kernel;
        Log = log;
    }

    /// <summary>"Family.Method", e.g. <c>LinearKernels.LinearForward</c>.</summary>
    public string Kernel { get; }

    /// <summary>The driver's JIT log (CUDA) or build log (OpenCL), as ILGPU traced it; "" when there was none.</summary>
    public string Log { get; }

    private static string NameOf(Exception error) => error switch
    {
        ILGPU.Runtime.Cuda.CudaException c => c.Error,
        ILGPU.Runtime.OpenCL.CLException c => c.Error.ToString(),
        _ => error.GetType().Name,
    };
}
