namespace Digits.Gpu;

/// <summary>
/// A native GPU call failed. Carries the native error's name as the library spells it
/// (<c>CUDA_ERROR_OUT_OF_MEMORY</c>, <c>CL_INVALID_BUFFER_SIZE</c>, <c>NVRTC_ERROR_COMPILATION</c>), its
/// description, and the call's source text, all three repeated in <see cref="Exception.Message"/>.
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

    /// <summary>The failing call as written in the source, e.g. <c>CudaNative.cuMemAlloc_v2(out ptr, bytes)</c>.</summary>
    public string Call { get; }

    /// <summary>The numeric result code.</summary>
    public int Code { get; }

    private static string Format(string name, string description, string call, int code, string? detail) =>
        $"{name} ({code}): {description}, from {call}{(detail is null ? "" : "; " + detail)}";
}

/// <summary>
/// The kernel source did not compile (OpenCL <c>clBuildProgram</c> or NVRTC). <see cref="Log"/> holds the
/// compiler's whole log, which the message repeats.
/// </summary>
public sealed class KernelCompilationException : GpuException
{
    /// <summary>Creates the exception for a failed build by <paramref name="compiler"/> with
    /// <paramref name="options"/>.</summary>
    public KernelCompilationException(string compiler, string options, string log, string nativeName, string call,
        int code)
        : base($"kernel compilation by {compiler} failed ({nativeName}) with options '{options}'. " +
               $"Compiler log:\n{log}", nativeName, "the kernel source did not compile", call, code)
    {
        Compiler = compiler;
        Options = options;
        Log = log;
    }

    /// <summary>Which compiler ran, e.g. "OpenCL (Portable Computing Language)" or "NVRTC 13.0".</summary>
    public string Compiler { get; }

    /// <summary>The options it was given.</summary>
    public string Options { get; }

    /// <summary>The compiler's whole log.</summary>
    public string Log { get; }
}
