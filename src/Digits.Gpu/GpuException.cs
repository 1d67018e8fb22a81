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
