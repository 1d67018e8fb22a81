using System.Runtime.CompilerServices;
using Digits.Core.Backends;
using Digits.Cpu.Threading;

namespace Digits.Cpu.Gemm;

/// <summary>
/// The blocked, packed GEMM (the BLIS loop nest) and how it is split between threads.
/// <para>Loops, outermost first: NC columns of C (jc) → KC of the k range (kb; pack that KC×NC block of B) →
/// MC rows (ic; pack that MC×KC block of A, except where the AVX2 kernels read a row-major A in place, see
/// <see cref="ReadsRowsOfA"/>) → NR-column panels → MR-row panels → micro-kernel. The k range is
/// cut into equal blocks that depend on K alone, and each k block's partial sums are added to C in order, so
/// every element of C is computed by the same operations in the same order whatever the thread count.</para>
/// <para>Threads: C is cut into a tm × tn grid of chunks of whole panels, <see cref="ChunksPerThread"/> per
/// thread so that a thread the OS deschedules holds up little (the pool hands chunks to whichever thread is
/// free). A split op first packs all of A once, every thread taking a share of its panels, into one buffer the
/// chunks share (a second dispatch; before, each chunk packed its own A, so a split along N repacked A once per
/// grid column — 4× at the large shapes, which held the forward and backward-input GEMMs near 70 % of peak);
/// each chunk then packs only its B blocks, and a split along M repacks B, so the grid with the fewest rows
/// (tm) is chosen. Products under
/// <see cref="MinFlopsPerPart"/> per thread stay on the caller: at the nielsen shapes (batch 10) a dispatch
/// would cost more than it saves.</para>
/// </summary>
internal sealed unsafe class GemmDriver : ParallelWork
{
    /// <summary>Fewest flops worth a thread of their own (≈ 5 µs of one core's work).</summary>
    public const double MinFlopsPerPart = 500_000;

    /// <summary>Chunks per thread when an op is split.</summary>
    public const int ChunksPerThread = 2;

    private readonly GemmWorkspace[] _workspaces;
    private GemmProblem _p;
    private int _tm, _tn;

    // The shared pack of all of A (split runs): every k block's MR-row panels, packed once by all threads before
    // the product starts, so no chunk repacks A. Block kb starts at kb·_sharedStride.
    private float[] _sharedArray = [];
    private float* _shared;
    private long _sharedStride;
    private Mode _mode;

    private enum Mode
    {
        Blocked,
        PackA,
        SmallK,
    }

    public GemmDriver(SimdLevel simd, int threads, GemmBlocking blocking)
    {
        Simd = simd == SimdLevel.Auto ? CpuInfo.BestSimd : simd;
        (Mr, Nr) = Simd == SimdLevel.Avx512 ? (12, 32) : (6, 16);
        Blocking = new GemmBlocking(RoundUp(blocking.Mc, Mr), Math.Max(1, blocking.Kc), RoundUp(blocking.Nc, Nr));
        _workspaces = new GemmWorkspace[threads];
        for (int t = 0; t < threads; t++) _workspaces[t] = new GemmWorkspace();
    }

    /// <summary>The kernels in use.</summary>
    public SimdLevel Simd { get; }

    /// <summary>Register tile: rows of A per panel (MR) and columns of B per panel (NR).</summary>
    public int Mr { get; }

    /// <inheritdoc cref="Mr"/>
    public int Nr { get; }

    public GemmBlocking Blocking { get; }

    /// <summary>The AVX-512 kernels (and packs) run; else the 256-bit ones.</summary>
    private bool Wide => Simd == SimdLevel.Avx512;

    /// <summary>Whether short-k products take <see cref="SmallK512"/> or <see cref="SmallK256"/> (on by default; the
    /// tests turn it off to compare them with the packed path bit for bit).</summary>
    internal bool SmallKEnabled { get; set; } = true;

    /// <summary>Bytes held by the pack buffers of every thread.</summary>
    public long WorkspaceBytes => _workspaces.Sum(w => w.Bytes);

    /// <summary>Computes <paramref name="p"/> on up to <c>pool.Threads</c> threads.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Multiply(WorkerPool pool, in GemmProblem p)
    {
        if (p.M == 0 || p.N == 0) return;
        if (p.K == 0)
        {
            BiasOnly(p);
            return;
        }
        int panelsM = (p.M + Mr - 1) / Mr, panelsN = (p.N + Nr - 1) / Nr;
        int threads = (int)Math.Clamp(p.Flops / MinFlopsPerPart, 1, Math.Min(pool.Threads, _workspaces.Length));
        int chunks = threads == 1 ? 1 : Math.Min(threads * ChunksPerThread, (int)(p.Flops / MinFlopsPerPart));
        if (SmallKEnabled && (Wide ? SmallK512.Applies(p) : SmallK256.Applies(p)))
        {
            // Short k, B k-major: no packing (bit-identical to the packed path). Chunks are bands of whole
            // tiles' rows, or of tiles' columns when there are too few rows to go round.
            _p = p;
            if (chunks == 1) SmallK(p, 0, p.M, 0, p.N);
            else
            {
                _mode = Mode.SmallK;
                pool.Run(this, chunks);
                _mode = Mode.Blocked;
            }
            _p = default;
            return;
        }
        (_tm, _tn) = (1, 1);
        for (; chunks > 1; chunks--)
            if (ChooseGrid(chunks, p, panelsM, panelsN)) break;
        // Any thread may claim any chunk, so every thread that can take part gets buffers for the largest chunk
        // now, on the caller: they grow on a shape's first call and never inside a worker.
        var (blocksK, kcEach) = KBlock(p.K);
        int rows = (panelsM + _tm - 1) / _tm * Mr, cols = (panelsN + _tn - 1) / _tn * Nr;
        bool packA = !ReadsRowsOfA(p);
        long aFloats = chunks > 1 || !packA ? 0 : (long)Math.Min(Blocking.Mc, rows) * kcEach; // split: A packed shared
        long bFloats = (long)Math.Min(Blocking.Nc, cols) * kcEach;
        for (int t = 0; t < (chunks > 1 ? _workspaces.Length : 1); t++)
            _workspaces[t].Ensure(aFloats, bFloats, Mr * Nr);
        _p = p;
        if (chunks > 1 && packA)
        {
            // Split: all threads pack A once into the shared buffer, then compute; chunks read A from there.
            _sharedStride = (long)panelsM * Mr * kcEach;
            if (_sharedStride * blocksK > _sharedArray.Length - 16)
                _shared = GemmWorkspace.Grow(ref _sharedArray, _sharedStride * blocksK);
            _mode = Mode.PackA;
            pool.Run(this, Math.Min(chunks, blocksK * panelsM));
            _mode = Mode.Blocked;
        }
        else
        {
            _sharedStride = 0;
        }
        pool.Run(this, chunks);
        _p = default;
    }

    /// <summary>Whether the micro-kernels read A in place from its rows instead of a pack: the AVX2 kernels with a
    /// row-major A (the forward's x, the backward-input's dz). The transposing pack of A cost as much as 10 % of
    /// the small configuration's forward (26 µs of ~370 on one thread), and the same FMA chains read the same
    /// values either way, so the results are the same bits.</summary>
    private bool ReadsRowsOfA(in GemmProblem p) => !Wide && !p.TransA && RowsOfAEnabled;

    /// <summary>Whether the AVX2 kernels may read a row-major A in place (on by default; the tests turn it off to
    /// compare with the packed path bit for bit).</summary>
    internal bool RowsOfAEnabled { get; set; } = true;

    /// <summary>The k blocking, a function of K alone: equal blocks of at most KC, rounded up to a multiple of
    /// 16 so the transposing pack never takes its scalar tail (K = 784 → 208, 208, 208, 160).</summary>
    private (int Blocks, int KcEach) KBlock(int k)
    {
        int blocks = (k + Blocking.Kc - 1) / Blocking.Kc;
        int kcEach = Math.Min(RoundUp((k + blocks - 1) / blocks, 16), k);
        return ((k + kcEach - 1) / kcEach, kcEach);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Execute(int chunk, int chunks, int thread)
    {
        if (_mode == Mode.PackA)
        {
            PackShared(chunk, chunks);
            return;
        }
        if (_mode == Mode.SmallK)
        {
            var (rows, cols) = Wide ? (SmallK512.Rows, SmallK512.Cols) : (SmallK256.Rows, SmallK256.Cols);
            if (_p.M >= rows * chunks) // enough row tiles to go round, else bands of column tiles
            {
                int tiles = (_p.M + rows - 1) / rows;
                SmallK(_p, tiles * chunk / chunks * rows, Math.Min(_p.M, tiles * (chunk + 1) / chunks * rows), 0,
                    _p.N);
            }
            else
            {
                int tiles = (_p.N + cols - 1) / cols;
                SmallK(_p, 0, _p.M, tiles * chunk / chunks * cols, Math.Min(_p.N, tiles * (chunk + 1) / chunks * cols));
            }
            return;
        }
        int im = chunk / _tn, jn = chunk % _tn;
        int panelsM = (_p.M + Mr - 1) / Mr, panelsN = (_p.N + Nr - 1) / Nr;
        int m0 = panelsM * im / _tm * Mr, m1 = Math.Min(_p.M, panelsM * (im + 1) / _tm * Mr);
        int n0 = panelsN * jn / _tn * Nr, n1 = Math.Min(_p.N, panelsN * (jn + 1) / _tn * Nr);
        if (m0 < m1 && n0 < n1) Blocked(_p, m0, m1, n0, n1, _workspaces[thread]);
    }

    /// <summary>C[m0..m1, n0..n1) by <see cref="SmallK512"/> or <see cref="SmallK256"/>, whichever width runs.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void SmallK(in GemmProblem p, int m0, int m1, int n0, int n1)
    {
        if (Wide) SmallK512.Compute(p, m0, m1, n0, n1);
        else SmallK256.Compute(p, m0, m1, n0, n1);
    }

    /// <summary>Packs part <paramref name="chunk"/> of <paramref name="chunks"/> of the (k block, MR-row panel)
    /// pairs of A into the shared buffer, in the layout <see cref="Packing.PackA"/> gives one block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void PackShared(int chunk, int chunks)
    {
        var (blocksK, kcEach) = KBlock(_p.K);
        int panelsM = (_p.M + Mr - 1) / Mr;
        long total = (long)blocksK * panelsM;
        int first = (int)(total * chunk / chunks), end = (int)(total * (chunk + 1) / chunks);
        while (first < end)
        {
            int kb = first / panelsM, panel = first % panelsM;
            int count = Math.Min(end - first, panelsM - panel);
            int k0 = kb * kcEach, kc = Math.Min(kcEach, _p.K - k0), m0 = panel * Mr;
            Packing.PackA(_p.A, _p.Lda, _p.TransA, m0, Math.Min(count * Mr, _p.M - m0), k0, kc, Mr,
                _shared + kb * _sharedStride + (nint)m0 * kc, Wide);
            first += count;
        }
    }

    /// <summary>Picks the tm × tn = chunks grid (each chunk at least one panel) that repacks the fewest
    /// floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool ChooseGrid(int chunks, in GemmProblem p, int panelsM, int panelsN)
    {
        long best = long.MaxValue;
        for (int tm = 1; tm <= chunks; tm++)
        {
            if (chunks % tm != 0) continue;
            int tn = chunks / tm;
            if (tm > panelsM || tn > panelsN) continue;
            long repacked = (long)tm * p.K * p.N; // A is packed once, shared; B once per grid row
            if (repacked < best) (best, _tm, _tn) = (repacked, tm, tn);
        }
        return best != long.MaxValue;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Blocked(in GemmProblem p, int m0, int m1, int n0, int n1, GemmWorkspace ws)
    {
        var (blocksK, kcEach) = KBlock(p.K);
        for (int jc = n0; jc < n1; jc += Blocking.Nc)
        {
            int nc = Math.Min(Blocking.Nc, n1 - jc);
            for (int kb = 0; kb < blocksK; kb++)
            {
                int k0 = kb * kcEach, kc = Math.Min(kcEach, p.K - k0);
                bool last = kb == blocksK - 1;
                var epilogue = new TileEpilogue(kb > 0, last ? p.Bias : null,
                    last ? p.Activation : Activation.Identity);
                Packing.PackB(p.B, p.Ldb, p.TransB, k0, kc, jc, nc, Nr, ws.B, Wide);
                for (int ic = m0; ic < m1; ic += Blocking.Mc)
                {
                    int mc = Math.Min(Blocking.Mc, m1 - ic);
                    float* a;
                    if (ReadsRowsOfA(p))
                    {
                        a = null; // the kernels read A(ic.., k0..) in place
                    }
                    else if (_sharedStride != 0)
                    {
                        a = _shared + kb * _sharedStride + (nint)ic * kc;
                    }
                    else
                    {
                        Packing.PackA(p.A, p.Lda, p.TransA, ic, mc, k0, kc, Mr, ws.A, Wide);
                        a = ws.A;
                    }
                    MacroKernel(p, ws, a, ic, mc, jc, nc, k0, kc, epilogue);
                }
            }
        }
    }

    /// <summary>All MR×NR tiles of one packed MC×KC block of A (or, with <paramref name="packedA"/> null, A's rows
    /// ic.. from column k0 in place) times one packed KC×NC block of B.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void MacroKernel(in GemmProblem p, GemmWorkspace ws, float* packedA, int ic, int mc, int jc, int nc, int k0,
        int kc, in TileEpilogue epilogue)
    {
        for (int q = 0; q * Nr < nc; q++)
        {
            int w = Packing.PanelWidth(nc, q, Nr), nr = Math.Min(w, nc - q * Nr), n = jc + q * Nr;
            float* b = ws.B + (nint)q * Nr * kc;
            var e = epilogue.AtColumn(n);
            for (int r = 0; r * Mr < mc; r++)
            {
                int mr = Math.Min(Mr, mc - r * Mr);
                float* a = packedA + (nint)r * Mr * kc, c = p.C + (nint)(ic + r * Mr) * p.Ldc + n;
                if (Simd == SimdLevel.Avx512)
                {
                    if (w == Nr) MicroKernel512.Kernel12x32(kc, a, b, c, p.Ldc, e, mr, nr, ws.Tile);
                    else MicroKernel512.Kernel12x16(kc, a, b, c, p.Ldc, e, mr, nr, ws.Tile);
                }
                else if (packedA == null)
                {
                    a = p.A + (nint)(ic + r * Mr) * p.Lda + k0;
                    if (w == Nr) MicroKernel256.Kernel6x16RowsOfA(kc, a, p.Lda, b, c, p.Ldc, e, mr, nr, ws.Tile);
                    else MicroKernel256.Kernel6x8RowsOfA(kc, a, p.Lda, b, c, p.Ldc, e, mr, nr, ws.Tile);
                }
                else
                {
                    if (w == Nr) MicroKernel256.Kernel6x16(kc, a, b, c, p.Ldc, e, mr, nr, ws.Tile);
                    else MicroKernel256.Kernel6x8(kc, a, b, c, p.Ldc, e, mr, nr, ws.Tile);
                }
            }
        }
    }

    /// <summary>K = 0: the product is empty, so C = act(bias) (or act(0)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BiasOnly(in GemmProblem p)
    {
        var e = new TileEpilogue(false, p.Bias, p.Activation);
        float zero = 0;
        for (int m = 0; m < p.M; m++)
            for (int n = 0; n < p.N; n++)
                e.AtColumn(n).StoreEdge(&zero, 0, p.C + (nint)m * p.Ldc + n, p.Ldc, 1, 1);
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
}
