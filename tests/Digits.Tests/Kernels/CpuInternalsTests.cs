using Digits.Core.Backends;
using Digits.Cpu;
using Digits.Cpu.Gemm;
using Digits.Cpu.Threading;
using Digits.Tests.Support;
using Xunit;

namespace Digits.Tests.Kernels;

/// <summary>The CPU backend's building blocks: the SIMD transposing pack, the worker pool, the peak estimate.</summary>
public sealed class CpuInternalsTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public unsafe void Transposing_pack_matches_the_definition(bool wide)
    {
        // wide: the AVX-512 16×16 blocks; not wide: the 256-bit 8×8 blocks the AVX2 kernels use (on a CPU without
        // AVX2 both take the scalar loop, which this checks too).
        var random = new Random(4);
        foreach (int w in new[] { 6, 8, 12, 16, 32 })
            for (int rows = 0; rows <= w; rows += rows < 3 ? 1 : 5)
                foreach (int cols in new[] { 0, 1, 15, 16, 17, 33, 48 })
                {
                    const int lds = 53;
                    float[] src = TestData.Uniform(random, Math.Max(1, rows) * lds);
                    float[] dst = new float[cols * w + 32];
                    Array.Fill(dst, float.NaN);
                    fixed (float* s = src, d = dst) Transpose.Pack(s, lds, rows, cols, d, w, wide);
                    for (int k = 0; k < cols; k++)
                        for (int r = 0; r < w; r++)
                        {
                            float expected = r < rows ? src[r * lds + k] : 0f;
                            Assert.True(expected == dst[k * w + r],
                                $"w={w} rows={rows} cols={cols}: [k={k}, r={r}] is {dst[k * w + r]}, not {expected}");
                        }
                    Assert.True(float.IsNaN(dst[cols * w]), $"w={w} rows={rows} cols={cols}: wrote past the panel");
                }
    }

    [Theory]
    [InlineData(1, SimdLevel.Avx512)]
    [InlineData(2, SimdLevel.Avx512)]
    [InlineData(1, SimdLevel.Avx2)]
    [InlineData(2, SimdLevel.Avx2)]
    public unsafe void Short_k_products_equal_the_packed_path_bit_for_bit(int threads, SimdLevel simd)
    {
        // SmallK512 and SmallK256 (K ≤ 16, B k-major: no packing) promise the packed micro-kernels' exact FMA chain,
        // so turning them off must not change a single bit: NN and TN, partial tiles in both directions, bias and
        // activations. The 256-bit path is forced on CPUs with AVX-512, so both are tested there.
        if (simd == SimdLevel.Avx512 && !System.Runtime.Intrinsics.X86.Avx512F.IsSupported)
            Assert.Skip("SmallK512 needs AVX-512; this CPU takes SmallK256 (tested beside this) or the packed path");
        if (simd == SimdLevel.Avx2 && !System.Runtime.Intrinsics.X86.Avx.IsSupported)
            Assert.Skip("SmallK256 needs AVX (x86 masked loads); this CPU takes the packed path for every K");
        using var backend = new CpuBackend(threads, simd);
        Assert.Equal(simd, backend.Simd);
        var random = new Random(11);
        var shapes = new (int M, int N, int K)[]
        {
            (1, 1, 1), (3, 10, 10), (10, 30, 10), (30, 784, 10), (256, 1024, 10), (128, 128, 10), (7, 100, 16),
            (5, 63, 3), (257, 65, 2), (4, 64, 16), (6, 16, 10), (13, 17, 7), (256, 1000, 16),
        };
        foreach (var (m, n, k) in shapes)
            foreach (bool transA in new[] { false, true })
                foreach (var act in new[] { Activation.Identity, Activation.Relu, Activation.Sigmoid })
                {
                    float[] a = TestData.Uniform(random, m * k), b = TestData.Uniform(random, k * n),
                        bias = TestData.Uniform(random, n);
                    float[] Run(bool smallK)
                    {
                        var c = new float[m * n + 16];
                        Array.Fill(c, float.NaN);
                        backend.Gemm.SmallKEnabled = smallK;
                        fixed (float* ap = a, bp = b, cp = c, zp = bias)
                            backend.Gemm.Multiply(backend.Pool, new GemmProblem(m, n, k, ap, transA ? m : k, transA,
                                bp, n, false, cp, n, act == Activation.Identity ? null : zp, act));
                        return c;
                    }
                    float[] packed = Run(false), direct = Run(true);
                    for (int i = 0; i < m * n; i++)
                        Assert.True(BitConverter.SingleToInt32Bits(packed[i]) == BitConverter.SingleToInt32Bits(direct[i]),
                            $"{m}×{n}×{k} transA={transA} {act}: C[{i / n},{i % n}] = {direct[i]}, packed path {packed[i]}");
                    Assert.True(float.IsNaN(direct[m * n]), $"{m}×{n}×{k}: wrote past C");
                }
        backend.Gemm.SmallKEnabled = true;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public unsafe void Avx2_kernels_reading_A_in_place_equal_the_packed_path_bit_for_bit(int threads)
    {
        // With a row-major A (forward NT, backward-input NN) the AVX2 kernels read A's rows in place instead of
        // packing them; the FMA chains are the same, so turning that off must not change a bit: partial tiles in
        // both directions, K across k blocks (the epilogue adds to C), bias and activations. Forced on CPUs with
        // AVX-512 so it is tested there too.
        if (!System.Runtime.Intrinsics.X86.Avx.IsSupported)
            Assert.Skip("the AVX2 kernels need AVX to run as written; this CPU runs them through software emulation");
        using var backend = new CpuBackend(threads, SimdLevel.Avx2);
        var random = new Random(12);
        var shapes = new (int M, int N, int K)[]
        {
            (1, 1, 1), (5, 7, 3), (6, 16, 40), (13, 30, 784), (128, 128, 784), (97, 1100, 257), (256, 10, 1024),
            (7, 9, 17),
        };
        foreach (var (m, n, k) in shapes)
            foreach (bool transB in new[] { true, false })
                foreach (var act in new[] { Activation.Identity, Activation.Relu, Activation.Tanh })
                {
                    float[] a = TestData.Uniform(random, m * k), b = TestData.Uniform(random, k * n),
                        bias = TestData.Uniform(random, n);
                    float[] Run(bool inPlace)
                    {
                        var c = new float[m * n + 16];
                        Array.Fill(c, float.NaN);
                        backend.Gemm.RowsOfAEnabled = inPlace;
                        fixed (float* ap = a, bp = b, cp = c, zp = bias)
                            backend.Gemm.Multiply(backend.Pool, new GemmProblem(m, n, k, ap, k, false,
                                bp, transB ? k : n, transB, cp, n, act == Activation.Identity ? null : zp, act));
                        return c;
                    }
                    float[] packed = Run(false), inPlace = Run(true);
                    for (int i = 0; i < m * n; i++)
                        Assert.True(
                            BitConverter.SingleToInt32Bits(packed[i]) == BitConverter.SingleToInt32Bits(inPlace[i]),
                            $"{m}×{n}×{k} transB={transB} {act}: C[{i / n},{i % n}] = {inPlace[i]}, packed {packed[i]}");
                    Assert.True(float.IsNaN(inPlace[m * n]), $"{m}×{n}×{k}: wrote past C");
                }
        backend.Gemm.RowsOfAEnabled = true;
    }

    [Theory]
    [InlineData(false, false, Activation.Identity)]
    [InlineData(true, true, Activation.Relu)]
    [InlineData(true, true, Activation.Sigmoid)]
    [InlineData(false, true, Activation.Tanh)]
    public unsafe void Scalar_edge_store_follows_the_epilogue(bool accumulate, bool withBias, Activation activation)
    {
        // The path CPUs without x86 masked stores take for partial tiles: C = act(tile + C + bias), mr×nr only.
        const int mr = 3, nr = 5, tileStride = 8, ldc = 7;
        var random = new Random(6);
        float[] tile = TestData.Uniform(random, 4 * tileStride), c = TestData.Uniform(random, 5 * ldc),
            bias = TestData.Uniform(random, nr), before = (float[])c.Clone();
        fixed (float* t = tile, cp = c, b = bias)
            new TileEpilogue(accumulate, withBias ? b : null, activation).StoreEdge(t, tileStride, cp, ldc, mr, nr);
        for (int r = 0; r < 5; r++)
            for (int j = 0; j < ldc; j++)
            {
                float expected = before[r * ldc + j];
                if (r < mr && j < nr)
                {
                    double z = tile[r * tileStride + j] + (accumulate ? before[r * ldc + j] : 0) +
                               (withBias ? bias[j] : 0);
                    expected = (float)ReferenceBackend.Activate(activation, z);
                }
                Assert.True(Math.Abs(expected - c[r * ldc + j]) <= 1e-6, $"[{r},{j}]: {c[r * ldc + j]} vs {expected}");
            }
    }

    private sealed class CountingWork(int chunks) : ParallelWork
    {
        public readonly int[] Runs = new int[chunks];
        public int ThrowOn = -1;

        public override void Execute(int chunk, int chunks, int thread)
        {
            Interlocked.Increment(ref Runs[chunk]);
            if (chunk == ThrowOn) throw new InvalidOperationException($"chunk {chunk}");
        }
    }

    [Fact]
    public void Pool_runs_each_chunk_exactly_once()
    {
        using var pool = new WorkerPool(3);
        for (int round = 0; round < 3000; round++)
        {
            int chunks = 1 + round % 7;
            var work = new CountingWork(7);
            pool.Run(work, chunks);
            for (int c = 0; c < 7; c++) Assert.Equal(c < chunks ? 1 : 0, work.Runs[c]);
            if (round % 1000 == 999) Thread.Sleep(2 * WorkerPool.SpinMicroseconds / 1000 + 5); // workers sleep
        }
    }

    [Fact]
    public void Pool_rethrows_a_chunks_exception_and_keeps_working()
    {
        using var pool = new WorkerPool(2);
        var failing = new CountingWork(2) { ThrowOn = 1 };
        var e = Assert.Throws<InvalidOperationException>(() => pool.Run(failing, 2));
        Assert.Equal("chunk 1", e.Message);
        Assert.Equal([1, 1], failing.Runs);
        var next = new CountingWork(2);
        pool.Run(next, 2);
        Assert.Equal([1, 1], next.Runs);
    }

    [Fact]
    public void Backend_reports_threads_width_and_peak()
    {
        using var backend = new CpuBackend(2);
        Assert.Equal(2, backend.Threads);
        Assert.Equal("cpu", backend.Name);
        Assert.StartsWith("cpu: 2 threads, ", backend.Description);
        Assert.Contains($"({backend.SimdWidth} floats/vector)", backend.Description);
        Assert.True(backend.SimdWidth is 8 or 16);
        Assert.True(backend.PeakGflops > 0 && double.IsFinite(backend.PeakGflops));
        Assert.True(CpuInfo.MeasuredClockMHz > 100, $"measured clock {CpuInfo.MeasuredClockMHz} MHz");
        Assert.Throws<ArgumentOutOfRangeException>(() => new CpuBackend(-1));
        using var all = new CpuBackend();
        Assert.Equal(Environment.ProcessorCount, all.Threads);
    }

    [Fact]
    public async Task Creating_and_disposing_backends_at_once_never_hangs()
    {
        // A worker thread that first runs after Dispose used to read the post-stop generation and wait forever,
        // hanging Dispose's Join. Many quick create/dispose rounds make that start-up order likely.
        var rounds = Task.Run(() =>
        {
            for (int k = 0; k < 300; k++) new CpuBackend(2).Dispose();
        }, TestContext.Current.CancellationToken);
        // Throws TimeoutException (failing the test) if the rounds have not finished in 60 s.
        await rounds.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
    }
}
