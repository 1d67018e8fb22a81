// LinearKernels: the dense layer's three GEMMs, tiled through shared memory with register tiling.
//
//   LinearForward         y(B,O)  = act(x(B,I)·W(O,I)ᵀ + bias(O))   GEMM "NT", bias + activation fused in the epilogue
//   LinearBackwardInput   dx(B,I) = dz(B,O)·W(O,I)                  GEMM "NN"
//   LinearBackwardWeight  dW(O,I) = dz(B,O)ᵀ·x(B,I)                 GEMM "TN", overwrites dW
//
// All three are C(M,N) = Σ_k A(m,k)·B(k,n). Launch geometry: explicitly grouped, groups of 16×16 threads; group
// (gx, gy) computes the 64×64 block of C at rows gy·64, columns gx·64, so the grid is ⌈N/64⌉ × ⌈M/64⌉ groups.
// Each thread accumulates 4×4 outputs in registers (rows ty + 16i, columns tx + 16j: shared-memory reads are
// conflict-free and the stores coalesced along n). K advances 16 at a time: both 16×64 tiles are staged in
// shared memory (a padded row of 65 floats), out-of-range elements as 0, so any M, N, K is correct (0 and
// sizes that are not multiples of a tile included). The inner loop is unrolled by hand 4 deep (ILGPU 1.5.3 does
// not unroll).
//
// 16-byte loads: each input comes as a float view and a Float4 view of the same memory. The host
// (LaunchLinear…) passes a real Float4 view only where the matrix's leading dimension and the view's element
// offset are multiples of 4 (buffers start 256-byte aligned), and sets the shape's AVec/BVec flag; a tile is then
// read 4 elements along its contiguous dimension at a time, a run that crosses the matrix's edge element by
// element. Both fill the tiles identically, so the results are the same bit for bit.
//
// CPU twins: ReferenceBackend.LinearForwardCore / LinearBackwardInputCore / LinearBackwardWeightCore; host side:
// IlgpuBackend.LinearForwardCore and friends → LaunchLinearForward / …BackwardInput / …BackwardWeight.
using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;

namespace Digits.Gpu.Kernels;

/// <summary>A GEMM's sizes and flags: C(M,N) = A(M,K)·B(K,N); <see cref="Act"/> the forward's activation;
/// <see cref="AVec"/>/<see cref="BVec"/> 1 where that input is read through its Float4 view.</summary>
public struct GemmShape
{
    public int M, N, K, Act, AVec, BVec;
}

internal static partial class LinearKernels
{
    internal const int Threads = 16, Per = 4, Block = Threads * Per, Depth = 16, Row = Block + 1;

    /// <summary>The 4×4 accumulators of one thread, c{i}{j} for row ty + 16i, column tx + 16j.</summary>
    internal struct Acc
    {
        public float C00, C01, C02, C03, C10, C11, C12, C13, C20, C21, C22, C23, C30, C31, C32, C33;
    }

    /// <summary>One k of the register tile: c[i][j] += A[kk][ty+16i]·B[kk][tx+16j].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Acc Step(Acc c, ArrayView<float> a, ArrayView<float> b, int kk, int tx, int ty)
    {
        int ra = kk * Row + ty, rb = kk * Row + tx;
        float a0 = a[ra], a1 = a[ra + 16], a2 = a[ra + 32], a3 = a[ra + 48];
        float b0 = b[rb], b1 = b[rb + 16], b2 = b[rb + 32], b3 = b[rb + 48];
        c.C00 += a0 * b0; c.C01 += a0 * b1; c.C02 += a0 * b2; c.C03 += a0 * b3;
        c.C10 += a1 * b0; c.C11 += a1 * b1; c.C12 += a1 * b2; c.C13 += a1 * b3;
        c.C20 += a2 * b0; c.C21 += a2 * b1; c.C22 += a2 * b2; c.C23 += a2 * b3;
        c.C30 += a3 * b0; c.C31 += a3 * b1; c.C32 += a3 * b2; c.C33 += a3 * b3;
        return c;
    }

    /// <summary>Stages tile[kk·Row + rr] = src(r0+rr, k0+kk) for a matrix whose k is contiguous:
    /// src(r, k) = p[r·ld + k] for r &lt; rows and k &lt; depth, else 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void LoadKContiguous(ArrayView<float> p, ArrayView<Float4> p4, int vec, int ld, int r0, int rows,
        int k0, int depth, ArrayView<float> tile, int tid)
    {
        if (vec != 0)
        {
            // 256 runs of 4 along k, one per thread: 4 threads read one row's 16 k (64 contiguous bytes).
            int rr = tid >> 2, kk = (tid & 3) << 2, r = r0 + rr, k = k0 + kk;
            int inside = r < rows ? depth - k : 0;
            float v0 = 0f, v1 = 0f, v2 = 0f, v3 = 0f;
            if (inside >= 4)
            {
                var v = p4[(r * ld + k) >> 2];
                v0 = v.X; v1 = v.Y; v2 = v.Z; v3 = v.W;
            }
            else if (inside > 0)
            {
                int at = r * ld + k;
                v0 = p[at];
                if (inside > 1) v1 = p[at + 1];
                if (inside > 2) v2 = p[at + 2];
            }
            tile[kk * Row + rr] = v0;
            tile[(kk + 1) * Row + rr] = v1;
            tile[(kk + 2) * Row + rr] = v2;
            tile[(kk + 3) * Row + rr] = v3;
            return;
        }
        for (int e = tid; e < Depth * Block; e += Threads * Threads)
        {
            int kk = e & (Depth - 1), rr = e >> 4, r = r0 + rr, k = k0 + kk;
            tile[kk * Row + rr] = r < rows && k < depth ? p[r * ld + k] : 0f;
        }
    }

    /// <summary>Stages tile[kk·Row + rr] = src(r0+rr, k0+kk) for a matrix whose r is contiguous:
    /// src(r, k) = p[k·ld + r] for r &lt; rows and k &lt; depth, else 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void LoadRContiguous(ArrayView<float> p, ArrayView<Float4> p4, int vec, int ld, int r0, int rows,
        int k0, int depth, ArrayView<float> tile, int tid)
    {
        if (vec != 0)
        {
            // 256 runs of 4 along r, one per thread: 16 threads read one k's 64 r (256 contiguous bytes).
            int kk = tid >> 4, rr = (tid & 15) << 2, r = r0 + rr, k = k0 + kk;
            int inside = k < depth ? rows - r : 0;
            float v0 = 0f, v1 = 0f, v2 = 0f, v3 = 0f;
            if (inside >= 4)
            {
                var v = p4[(k * ld + r) >> 2];
                v0 = v.X; v1 = v.Y; v2 = v.Z; v3 = v.W;
            }
            else if (inside > 0)
            {
                int at = k * ld + r;
                v0 = p[at];
                if (inside > 1) v1 = p[at + 1];
                if (inside > 2) v2 = p[at + 2];
            }
            int t = kk * Row + rr;
            tile[t] = v0;
            tile[t + 1] = v1;
            tile[t + 2] = v2;
            tile[t + 3] = v3;
            return;
        }
        for (int e = tid; e < Depth * Block; e += Threads * Threads)
        {
            int rr = e & (Block - 1), kk = e >> 6, r = r0 + rr, k = k0 + kk;
            tile[kk * Row + rr] = r < rows && k < depth ? p[k * ld + r] : 0f;
        }
    }

    /// <summary>c[m·N + n] = v (plus bias[n] and the activation when <paramref name="fused"/>) for the thread's
    /// row <paramref name="m"/> and four columns, where inside C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(ArrayView<float> c, ArrayView<float> bias, bool fused, int act, int m, int n0,
        int M, int N, float v0, float v1, float v2, float v3)
    {
        if (m >= M) return;
        int at = m * N;
        if (n0 < N) c[at + n0] = fused ? ActivationKernels.Activate(act, v0 + bias[n0]) : v0;
        if (n0 + 16 < N) c[at + n0 + 16] = fused ? ActivationKernels.Activate(act, v1 + bias[n0 + 16]) : v1;
        if (n0 + 32 < N) c[at + n0 + 32] = fused ? ActivationKernels.Activate(act, v2 + bias[n0 + 32]) : v2;
        if (n0 + 48 < N) c[at + n0 + 48] = fused ? ActivationKernels.Activate(act, v3 + bias[n0 + 48]) : v3;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Acc a, ArrayView<float> c, ArrayView<float> bias, bool fused, in GemmShape s)
    {
        int m = Grid.IdxY * Block + Group.IdxY, n = Grid.IdxX * Block + Group.IdxX;
        StoreRow(c, bias, fused, s.Act, m, n, s.M, s.N, a.C00, a.C01, a.C02, a.C03);
        StoreRow(c, bias, fused, s.Act, m + 16, n, s.M, s.N, a.C10, a.C11, a.C12, a.C13);
        StoreRow(c, bias, fused, s.Act, m + 32, n, s.M, s.N, a.C20, a.C21, a.C22, a.C23);
        StoreRow(c, bias, fused, s.Act, m + 48, n, s.M, s.N, a.C30, a.C31, a.C32, a.C33);
    }

    /// <summary>Σ over one staged pair of tiles, 4 k at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Acc Multiply(Acc c, ArrayView<float> at, ArrayView<float> bt)
    {
        int tx = Group.IdxX, ty = Group.IdxY;
        for (int kk = 0; kk < Depth; kk += 4)
        {
            c = Step(c, at, bt, kk, tx, ty);
            c = Step(c, at, bt, kk + 1, tx, ty);
            c = Step(c, at, bt, kk + 2, tx, ty);
            c = Step(c, at, bt, kk + 3, tx, ty);
        }
        return c;
    }

    /// <summary>
    /// The tiled GEMM every kernel below is: C(M,N) = A(M,K)·B(K,N), A(m,k) read from <paramref name="a"/> with m
    /// its rows and k contiguous when <paramref name="aKContiguous"/> (else m contiguous), rows
    /// <paramref name="lda"/> apart; B(k,n) from <paramref name="b"/> likewise with n its rows. The flags are
    /// constants at each call site, so ILGPU folds the branches away after inlining.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Gemm(ArrayView<float> a, ArrayView<Float4> a4, bool aKContiguous, int lda, ArrayView<float> b,
        ArrayView<Float4> b4, bool bKContiguous, int ldb, ArrayView<float> bias, bool fused, ArrayView<float> c,
        in GemmShape s)
    {
        var at = SharedMemory.Allocate<float>(Depth * Row);
        var bt = SharedMemory.Allocate<float>(Depth * Row);
        int tid = Group.IdxY * Threads + Group.IdxX, m0 = Grid.IdxY * Block, n0 = Grid.IdxX * Block;
        var acc = default(Acc);
        for (int k0 = 0; k0 < s.K; k0 += Depth)
        {
            if (aKContiguous) LoadKContiguous(a, a4, s.AVec, lda, m0, s.M, k0, s.K, at, tid);
            else LoadRContiguous(a, a4, s.AVec, lda, m0, s.M, k0, s.K, at, tid);
            if (bKContiguous) LoadKContiguous(b, b4, s.BVec, ldb, n0, s.N, k0, s.K, bt, tid);
            else LoadRContiguous(b, b4, s.BVec, ldb, n0, s.N, k0, s.K, bt, tid);
            Group.Barrier();
            acc = Multiply(acc, at, bt);
            Group.Barrier();
        }
        Store(acc, c, bias, fused, s);
    }

    /// <summary>y = act(x·Wᵀ + bias): M = B, N = O, K = I; A = x and B(k,n) = W[n,k], both k-contiguous.</summary>
    [Kernel(grouped: true)]
    internal static void LinearForward(ArrayView<float> x, ArrayView<Float4> x4, ArrayView<float> w,
        ArrayView<Float4> w4, ArrayView<float> bias, ArrayView<float> y, GemmShape s) =>
        Gemm(x, x4, true, s.K, w, w4, true, s.K, bias, true, y, s);

    /// <summary>dx = dz·W: M = B, N = I, K = O; A = dz (k-contiguous), B = W (n-contiguous).</summary>
    [Kernel(grouped: true)]
    internal static void LinearBackwardInput(ArrayView<float> dz, ArrayView<Float4> dz4, ArrayView<float> w,
        ArrayView<Float4> w4, ArrayView<float> dx, GemmShape s) =>
        Gemm(dz, dz4, true, s.K, w, w4, false, s.N, dx, false, dx, s);

    /// <summary>dW = dzᵀ·x: M = O, N = I, K = B; A(m,k) = dz[k,m] (m-contiguous), B = x (n-contiguous).</summary>
    [Kernel(grouped: true)]
    internal static void LinearBackwardWeight(ArrayView<float> x, ArrayView<Float4> x4, ArrayView<float> dz,
        ArrayView<Float4> dz4, ArrayView<float> dw, GemmShape s) =>
        Gemm(dz, dz4, false, s.M, x, x4, false, s.N, dw, false, dw, s);

    internal static void Load(KernelSet k)
    {
        var a = k.Accelerator;
        k.LinearForward = a.LoadKernel<ArrayView<float>, ArrayView<Float4>, ArrayView<float>, ArrayView<Float4>,
            ArrayView<float>, ArrayView<float>, GemmShape>(LinearForward);
        k.LinearBackwardInput = a.LoadKernel<ArrayView<float>, ArrayView<Float4>, ArrayView<float>, ArrayView<Float4>,
            ArrayView<float>, GemmShape>(LinearBackwardInput);
        k.LinearBackwardWeight = a.LoadKernel<ArrayView<float>, ArrayView<Float4>, ArrayView<float>, ArrayView<Float4>,
            ArrayView<float>, GemmShape>(LinearBackwardWeight);
    }

    /// <summary>⌈N/64⌉ × ⌈M/64⌉ groups of 16×16 threads.</summary>
    private static KernelConfig Geometry(int m, int n) =>
        new(new Index2D((n + Block - 1) / Block, (m + Block - 1) / Block), new Index2D(Threads, Threads));

    internal static void LaunchLinearForward(KernelSet k, AcceleratorStream s, Float4Views v, ArrayView<float> x,
        ArrayView<float> w, ArrayView<float> bias, int act, int batch, int inputs, int outputs, ArrayView<float> y)
    {
        var (x4, xv) = v.Of(x, inputs);
        var (w4, wv) = v.Of(w, inputs);
        k.LinearForward(s, Geometry(batch, outputs), x, x4, w, w4, bias, y,
            new GemmShape { M = batch, N = outputs, K = inputs, Act = act, AVec = xv, BVec = wv });
    }

    internal static void LaunchLinearBackwardInput(KernelSet k, AcceleratorStream s, Float4Views v,
        ArrayView<float> dz, ArrayView<float> w, int batch, int inputs, int outputs, ArrayView<float> dx)
    {
        var (dz4, dzv) = v.Of(dz, outputs);
        var (w4, wv) = v.Of(w, inputs);
        k.LinearBackwardInput(s, Geometry(batch, inputs), dz, dz4, w, w4, dx,
            new GemmShape { M = batch, N = inputs, K = outputs, AVec = dzv, BVec = wv });
    }

    internal static void LaunchLinearBackwardWeight(KernelSet k, AcceleratorStream s, Float4Views v,
        ArrayView<float> x, ArrayView<float> dz, int batch, int inputs, int outputs, ArrayView<float> dw)
    {
        var (x4, xv) = v.Of(x, inputs);
        var (dz4, dzv) = v.Of(dz, outputs);
        k.LinearBackwardWeight(s, Geometry(outputs, inputs), x, x4, dz, dz4, dw,
            new GemmShape { M = outputs, N = inputs, K = batch, AVec = dzv, BVec = xv });
    }
}

/// <summary>
/// Decides, per GEMM input, whether its tiles may be read with 16-byte loads: the matrix's leading dimension (elements
/// from one row to the next) and its view's element offset are multiples of 4, so every run of 4 elements that
/// starts at a multiple of 4 is 16-byte aligned (ILGPU's buffers start at least 256-byte aligned on CUDA). Otherwise
/// the kernel gets a one-element dummy view and reads element by element.
/// </summary>
internal sealed class Float4Views(ArrayView<Float4> dummy)
{
    /// <summary>Whether the GEMMs may use 16-byte loads at all (tests and the benchmark turn it off to compare).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Whether a view starting <paramref name="offset"/> floats into its buffer, with rows
    /// <paramref name="leadingDimension"/> floats apart, can be read 4 floats at a time.</summary>
    public static bool Aligned(long offset, int leadingDimension) => offset % 4 == 0 && leadingDimension % 4 == 0;

    public (ArrayView<Float4> View, int Flag) Of(ArrayView<float> matrix, int leadingDimension) =>
        Enabled && Aligned(((IContiguousArrayView)matrix).IndexInBytes / sizeof(float), leadingDimension)
            ? (matrix.Cast<Float4>(), 1)
            : (dummy, 0);
}
