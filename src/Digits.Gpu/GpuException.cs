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
