using Digits.Core.Backends;
using Digits.Cpu.Gemm;
using Digits.Cpu.Threading;

namespace Digits.Cpu;

/// <summary>
/// The fast CPU backend (<c>--device cpu</c>): SIMD kernels on every core, tensors in managed memory.
/// <list type="bullet">
/// <item><b>GEMM.</b> The three dense-layer products (forward x·Wᵀ, backward-input dz·W, backward-weight dzᵀ·x)
/// run one packed, cache-blocked GEMM (<see cref="GemmDriver"/>) whose register-tiled micro-kernel issues
/// 512-bit FMAs (12×32 tile) where <see cref="System.Runtime.Intrinsics.Vector512"/> is accelerated, else
/// 256-bit (6×16). The forward's bias and activation are applied as each tile of y is stored.</item>
/// <item><b>Threads.</b> A persistent pool of <c>threads − 1</c> spinning workers plus the caller
/// (<see cref="WorkerPool"/>); a dispatch costs about a microsecond. Ops too small to gain from a second
/// thread (all of them at batch 10) run on the caller alone.</item>
/// <item><b>Determinism.</b> Same inputs and same thread count → bit-identical outputs on every call. Work is
/// split by fixed ranges of output rows and columns that depend only on the shape and the thread count; no
/// reduction is ever split between threads (the GEMM's k range is blocked by K alone and summed in order;
/// bias gradients, losses and counts are summed by one thread in index order). Across thread counts the
/// GEMM is also bit-identical; activations applied through <see cref="System.Numerics.Tensors.TensorPrimitives"/>
/// over differently split rows may differ in the last ulp.</item>
/// <item><b>No allocation per step.</b> Pack buffers are per thread, on the pinned heap, grown only when a
/// larger shape appears; ops pin tensors with <c>fixed</c> and hand the workers preallocated work objects.</item>
/// <item><b>Not thread-safe</b>: call ops from one thread at a time, like every backend. Ops complete before
/// they return, so <see cref="IBackend.Synchronize"/> has nothing to wait for.</item>
/// </list>
/// </summary>
public sealed partial class CpuBackend : HostBackend
{
    private readonly WorkerPool _pool;
    private readonly GemmDriver _gemm;

    /// <summary>Creates the backend and starts its worker threads.</summary>
    /// <param name="threads">Threads to use, the caller included; 0 means
    /// <see cref="Environment.ProcessorCount"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> is negative.</exception>
    public CpuBackend(int threads = 0) : this(threads, SimdLevel.Auto)
    {
    }

    /// <summary>Creates the backend with a chosen micro-kernel width (tests run the 256-bit kernels this way on
    /// CPUs that have 512-bit ones).</summary>
    /// <param name="threads">Threads to use, the caller included; 0 means
    /// <see cref="Environment.ProcessorCount"/>.</param>
    /// <param name="simd">Kernel width; <see cref="SimdLevel.Avx512"/> falls back to 256-bit kernels on a CPU
    /// without accelerated 512-bit vectors.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> is negative.</exception>
    public CpuBackend(int threads, SimdLevel simd) : this(threads, simd, GemmBlocking.Default)
    {
    }

    /// <summary>With chosen cache blocking (the benchmarks sweep it).</summary>
    internal CpuBackend(int threads, SimdLevel simd, GemmBlocking blocking)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        Threads = threads == 0 ? Environment.ProcessorCount : threads;
        if (simd == SimdLevel.Auto || (simd == SimdLevel.Avx512 && CpuInfo.BestSimd != SimdLevel.Avx512))
            simd = CpuInfo.BestSimd;
        _gemm = new GemmDriver(simd, Threads, blocking);
        _pool = new WorkerPool(Threads);
    }

    public override string Name => "cpu";

    /// <summary>E.g. "cpu: 2 threads, AVX-512 (16 floats/vector), FMA, 12×32 GEMM tile".</summary>
    public override string Description =>
        $"cpu: {Threads} thread{(Threads == 1 ? "" : "s")}, {SimdName} ({SimdWidth} floats/vector)" +
        $"{(CpuInfo.HasFma ? ", FMA" : "")}, {_gemm.Mr}×{_gemm.Nr} GEMM tile";

    /// <summary>Threads the ops use, the caller included.</summary>
    public int Threads { get; }

    /// <summary>The micro-kernels' instruction set.</summary>
    public SimdLevel Simd => _gemm.Simd;

    /// <summary>"AVX-512" or "AVX2".</summary>
    public string SimdName => Simd == SimdLevel.Avx512 ? "AVX-512" : "AVX2";

    /// <summary>Floats per vector register of the GEMM micro-kernel: 16 (512-bit) or 8 (256-bit).</summary>
    public int SimdWidth => Simd == SimdLevel.Avx512 ? 16 : 8;

    /// <summary>FMA peak of the cores used, GFLOP/s, measured by <see cref="FmaPeak"/> at this backend's vector
    /// width (512-bit, or 256-bit when the AVX2 kernels run) for min(threads, cores) threads; the first read runs
    /// the probe (~0.2 s).</summary>
    public double PeakGflops => Peak.Gflops(Math.Min(Threads, Environment.ProcessorCount));

    /// <summary>The FMA probe's measurement at this backend's vector width (<see cref="FmaPeak.MeasuredAt"/>).
    /// </summary>
    public FmaPeak.Result Peak => FmaPeak.MeasuredAt(Math.Min(SimdWidth * 32, FmaPeak.VectorBits));

    /// <summary>Bytes held by the GEMM's per-thread pack buffers.</summary>
    public long WorkspaceBytes => _gemm.WorkspaceBytes;

    internal GemmDriver Gemm => _gemm;

    internal WorkerPool Pool => _pool;

    protected override void Dispose(bool disposing)
    {
        if (disposing) _pool.Dispose();
    }
}
