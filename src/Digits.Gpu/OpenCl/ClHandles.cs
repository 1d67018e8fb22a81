using Microsoft.Win32.SafeHandles;

namespace Digits.Gpu.OpenCl;

/// <summary>
/// An owned OpenCL object, released once through its <c>clRelease…</c> function. <see cref="Live"/> counts
/// the objects of every kind created and not yet released, process-wide, so tests can show that disposing
/// a backend leaves nothing behind.
/// </summary>
internal abstract class ClHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    private static int s_live;

    protected ClHandle(nint handle) : base(ownsHandle: true)
    {
        SetHandle(handle);
        Interlocked.Increment(ref s_live);
    }

    /// <summary>OpenCL objects created by this process and not yet released.</summary>
    public static int Live => Volatile.Read(ref s_live);

    /// <summary>The raw handle, for native calls made while the owner keeps this alive.</summary>
    public nint Raw => handle;

    protected sealed override bool ReleaseHandle()
    {
        Interlocked.Decrement(ref s_live);
        return ReleaseObject(handle) == OpenClNative.Success;
    }

    protected abstract int ReleaseObject(nint raw);
}

internal sealed class ClContextHandle(nint raw) : ClHandle(raw)
{
    protected override int ReleaseObject(nint raw) => OpenClNative.clReleaseContext(raw);
}

internal sealed class ClQueueHandle(nint raw) : ClHandle(raw)
{
    protected override int ReleaseObject(nint raw) => OpenClNative.clReleaseCommandQueue(raw);
}

internal sealed class ClProgramHandle(nint raw) : ClHandle(raw)
{
    protected override int ReleaseObject(nint raw) => OpenClNative.clReleaseProgram(raw);
}

internal sealed class ClKernelHandle(nint raw) : ClHandle(raw)
{
    protected override int ReleaseObject(nint raw) => OpenClNative.clReleaseKernel(raw);
}

internal sealed class ClMemHandle(nint raw) : ClHandle(raw)
{
    protected override int ReleaseObject(nint raw) => OpenClNative.clReleaseMemObject(raw);
}
