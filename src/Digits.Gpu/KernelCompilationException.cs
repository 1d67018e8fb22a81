namespace Digits.Gpu;

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
