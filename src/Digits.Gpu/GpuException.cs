namespace Digits.Gpu;

/// <summary>
/// A GPU operation failed. Carries the native error's name as the driver spells it (<c>CUDA_ERROR_OUT_OF_MEMORY</c>,
/// <c>CL_INVALID_BUFFER_SIZE</c>, from ILGPU's <c>CudaException.Error</c> / <c>CLException.Error</c>), its
/// description, and the operation that failed, all three repeated in <see cref="Exception.Message"/>.
/// </summary>
public class GpuException : Exception
{
    /// <summary>Creates the exception; <paramref name="detail"/>, when given, is appended to the message
    /// (for example the bytes requested and free on an out-of-memory error).</summary>
    public GpuException(string nativeName, string description, string call, int code, string? detail = null)
        : base(Format(nativeName, description, call, code, detail))
    {
        NativeName = nativeName;
        Description = description;
        Call = call;
        Code = code;
    }

    /// <summary>Creates the exception with a message of the caller's own.</summary>
    protected GpuException(string message, string nativeName, string description, string call, int code)
        : base(message)
    {
        NativeName = nativeName;
        Description = description;
        Call = call;
        Code = code;
    }

    /// <summary>The native error's name, e.g. <c>CUDA_ERROR_OUT_OF_MEMORY</c>.</summary>
    public string NativeName { get; }

    /// <summary>What the library says the error means.</summary>
    public string Description { get; }

    /// <summary>The failing operation, e.g. <c>LinearForward</c> or <c>allocating 1,024 bytes</c>.</summary>
    public string Call { get; }

    /// <summary>The numeric result code.</summary>
    public int Code { get; }

    private static string Format(string name, string description, string call, int code, string? detail) =>
        $"{name} ({code}): {description}, from {call}{(detail is null ? "" : "; " + detail)}";
}

/// <summary>
/// ILGPU could not compile a kernel for the device (an <c>InternalCompilerException</c> when the kernels load): a
/// bug in a kernel, or a construct the device's backend does not support. The message carries ILGPU's message and
/// its cause.
/// </summary>
public sealed class KernelCompilationException : GpuException
{
    /// <summary>Wraps ILGPU's exception <paramref name="inner"/>, raised during <paramref name="operation"/>.</summary>
    public KernelCompilationException(Exception inner, string operation)
        : base($"ILGPU could not compile a kernel while {operation}: {inner.Message}" +
               (inner.InnerException is null ? "" : $" (cause: {inner.InnerException.Message})"),
            "ILGPU_COMPILATION_FAILED", "a kernel did not compile", operation, 0)
    {
    }
}

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
