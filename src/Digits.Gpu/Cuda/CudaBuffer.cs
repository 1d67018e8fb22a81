namespace Digits.Gpu.Cuda;

/// <summary>CUDA device memory from <c>cuMemAlloc_v2</c> (0 for an empty buffer), freed by its backend with
/// the backend's context current. Kernels get the base address and an element offset.</summary>
internal sealed class CudaBuffer<T> : GpuBuffer<T> where T : unmanaged
{
    private readonly CudaBackend _backend;
    private ulong _pointer;

    public CudaBuffer(CudaBackend backend, int length, ulong pointer) : base(backend, length)
    {
        _backend = backend;
        _pointer = pointer;
    }

    public override ulong Address => _pointer;

    protected override void ReleaseNative()
    {
        _backend.Free(_pointer);
        _pointer = 0;
    }
}

/// <summary>CUDA objects created by this process and not yet released, for the lifetime tests.</summary>
internal static class CudaObjects
{
    public static int Allocations;
    public static int Modules;
    public static int Streams;
    public static int Contexts;
    public static int Graphs;

    /// <summary>All five, as one comparable value.</summary>
    public static (int Allocations, int Modules, int Streams, int Contexts, int Graphs) Snapshot() =>
        (Volatile.Read(ref Allocations), Volatile.Read(ref Modules), Volatile.Read(ref Streams),
         Volatile.Read(ref Contexts), Volatile.Read(ref Graphs));
}
