// GemmTile: the register-blocked, shared-memory-tiled GEMM body that every LinearKernels kernel is.
//
//   C(M,N) = Σ_{k in this split's range} A(m,k)·B(k,n)   written to c[z·M·N + m·N + n], z = Grid.IdxZ (split-K)
//
// Shapes: A(m,k) is read from a float view with either k contiguous (a[m·lda + k]) or m contiguous (a[k·lda + m]),
// B(k,n) likewise with n in place of m; C row-major (M,N). The caller's flags choose the layouts; they are constants
// at each kernel, so ILGPU folds the branches away after inlining.
//
// Launch geometry (a tile type TTile): groups of TX×TY threads; group (gx, gy, z) computes the BM×BN block of C at
// rows gy·BM, columns gx·BN (BM = 8·TY; BN = 8·TX for a wide tile, else 4·TX) over k in [z·chunk, min(K, (z+1)·chunk)).
// Each thread holds an 8×8 (narrow: 8×4) register tile: rows ty·4+{0..3} and BM/2+ty·4+{0..3}, columns tx·4+{0..3}
// and, when wide, BN/2+tx·4+{0..3}; so each k reads two 16-byte vectors of A and two (one) of B from shared memory
// (ld.shared.v4.f32) for 64 (32) FMAs, and a warp's reads are conflict-free (consecutive tx read consecutive vectors;
// a ty row is a broadcast).
// K advances Depth at a time: each thread loads exactly two 4-element runs of A and two of B (16-byte global loads
// where the host says the input is aligned, element by element otherwise and at the edges: the same values either
// way), keeps them in registers while the staged tiles are multiplied, then stores them: the next tile's global
// loads are in flight during the FMAs. Shared tiles are k-major (As[kk][m], Bs[kk][n]) with rows padded by 4 floats
// (16-byte aligned rows, and transposing stores that spread over the banks). Out-of-range elements are staged as 0,
// so any M, N, K (0 and non-multiples of every tile included) is correct.
//
// Main loop: Depth/8 passes of 8 k unrolled by hand (ILGPU 1.5.3 does not unroll); every shared address in a pass is
// one base register plus a constant, so a wide pass is 512 FFMA, 32 LDS.128 and a handful of other instructions in
// the SASS (sm_90: 92 % FFMA; `digits kernels` prints it, GemmSassTests holds it above 75 %).
//
// The block's outputs leave through a second type argument, the epilogue (GemmEpilogue: PlainStore for the backward
// GEMMs, BiasActivationStore for the forward), so each kernel compiles only its own store.
//
// CPU twin: ReferenceBackend.LinearForwardCore / LinearBackwardInputCore / LinearBackwardWeightCore.
using System.Runtime.CompilerServices;
using ILGPU;

namespace Digits.Gpu.Kernels;

/// <summary>A thread-block shape of the GEMM family: <see cref="ThreadsX"/> × <see cref="ThreadsY"/> threads, each
/// holding 8 rows × 8 columns of C in registers (<see cref="Wide"/>) or 8 × 4, so a block computes
/// (8·ThreadsY) × (8 or 4·ThreadsX) outputs; <see cref="Depth"/> k per shared-memory stage, chosen so that each
/// thread loads exactly two 4-element runs of A and two of B per stage.</summary>
internal interface IGemmTile
{
    int ThreadsX { get; }
    int ThreadsY { get; }
    int Depth { get; }
    bool Wide { get; }
}

/// <summary>128×128 outputs per block: 16×16 threads of 8×8, 16 k per stage.</summary>
internal readonly struct Tile128 : IGemmTile
{
    public int ThreadsX { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => 16; }
    public int ThreadsY { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => 16; }
    public int Depth { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => 16; }
    public bool Wide { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => true; }
}

/// <summary>64×64 outputs per block: 16×8 threads of 8×4, 16 k per stage.</summary>
internal readonly struct Tile64 : IGemmTile
{
    public int ThreadsX { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => 16; }
    public int ThreadsY { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => 8; }
    public int Depth { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => 16; }
    public bool Wide { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => false; }
}

/// <summary>A GEMM's sizes and flags: C(M,N) = A(M,K)·B(K,N) over k chunks of <see cref="Chunk"/> (split-K: the
/// grid's z is the chunk); <see cref="Act"/> the forward's activation, applied with the bias when
/// <see cref="Fused"/> is 1 (a single split), both read only by the forward's epilogue (BiasActivationStore);
/// <see cref="AVec"/>/<see cref="BVec"/> 1 where that input is read through its Float4 view.</summary>
public struct GemmShape
{
    public int M, N, K, Chunk, Act, Fused, AVec, BVec;
}

internal static class GemmTile
{
    /// <summary>Eight accumulators of one output row: columns tx·4+{0..3} (L) and BN/2+tx·4+{0..3} (H).</summary>
    internal struct Row
    {
        public Float4 L, H;
    }

    /// <summary>A thread's 8×8 outputs: rows ty·4+{0..3} (R0..R3) and BM/2+ty·4+{0..3} (R4..R7).</summary>
    internal struct Acc
    {
        public Row R0, R1, R2, R3, R4, R5, R6, R7;
    }

    /// <summary>A thread's share of one stage: two 4-element runs of A and two of B.</summary>
    internal struct Stage
    {
        public Float4 A0, A1, B0, B1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Float4 Fma(Float4 c, float a, Float4 b)
    {
        c.X += a * b.X;
        c.Y += a * b.Y;
        c.Z += a * b.Z;
        c.W += a * b.W;
        return c;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Row Fma(Row r, float a, Float4 b0, Float4 b1, bool wide)
    {
        r.L = Fma(r.L, a, b0);
        if (wide) r.H = Fma(r.H, a, b1);
        return r;
    }

    /// <summary>One k: the outer product of the thread's 8 A values and 8 (or 4) B values, 64 (32) FMAs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Acc Step(Acc c, Float4 a0, Float4 a1, Float4 b0, Float4 b1, bool wide)
    {
        c.R0 = Fma(c.R0, a0.X, b0, b1, wide);
        c.R1 = Fma(c.R1, a0.Y, b0, b1, wide);
        c.R2 = Fma(c.R2, a0.Z, b0, b1, wide);
        c.R3 = Fma(c.R3, a0.W, b0, b1, wide);
        c.R4 = Fma(c.R4, a1.X, b0, b1, wide);
        c.R5 = Fma(c.R5, a1.Y, b0, b1, wide);
        c.R6 = Fma(c.R6, a1.Z, b0, b1, wide);
        c.R7 = Fma(c.R7, a1.W, b0, b1, wide);
        return c;
    }

    /// <summary>k = <paramref name="kk"/> of a pass: the thread's A vectors at a[kk·ra] and a[kk·ra + ha], B at
    /// b[kk·rb] and b[kk·rb + hb] (the second only when wide).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Acc Step(Acc c, ArrayView<Float4> a, ArrayView<Float4> b, int kk, int ra, int rb, int ha, int hb,
        bool wide) =>
        Step(c, a[kk * ra], a[kk * ra + ha], b[kk * rb], wide ? b[kk * rb + hb] : default, wide);

    /// <summary>Eight k of the staged tiles: <paramref name="a"/> and <paramref name="b"/> start at this thread's
    /// first vector of the pass's first k; <paramref name="ra"/>/<paramref name="rb"/> are the shared rows' lengths
    /// in vectors and <paramref name="ha"/>/<paramref name="hb"/> the distance to the second half, all constants,
    /// so every load is the base register plus a constant offset.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Acc Pass(Acc c, ArrayView<Float4> a, ArrayView<Float4> b, int ra, int rb, int ha, int hb, bool wide)
    {
        c = Step(c, a, b, 0, ra, rb, ha, hb, wide);
        c = Step(c, a, b, 1, ra, rb, ha, hb, wide);
        c = Step(c, a, b, 2, ra, rb, ha, hb, wide);
        c = Step(c, a, b, 3, ra, rb, ha, hb, wide);
        c = Step(c, a, b, 4, ra, rb, ha, hb, wide);
        c = Step(c, a, b, 5, ra, rb, ha, hb, wide);
        c = Step(c, a, b, 6, ra, rb, ha, hb, wide);
        c = Step(c, a, b, 7, ra, rb, ha, hb, wide);
        return c;
    }

    /// <summary>src(r, k) for k..k+3, r &lt; rows and k+j &lt; kEnd, else 0; <paramref name="at"/> = where
    /// src(r, k) lives, consecutive in j (k-contiguous) or consecutive in r for r..r+3 (r-contiguous: then the
    /// caller passes <paramref name="inside"/> counted along r).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Float4 Run(ArrayView<float> p, ArrayView<Float4> p4, int vec, int at, int inside)
    {
        var v = default(Float4);
        if (vec != 0 && inside >= 4) return p4[at >> 2];
        if (inside > 0) v.X = p[at];
        if (inside > 1) v.Y = p[at + 1];
        if (inside > 2) v.Z = p[at + 2];
        if (inside > 3) v.W = p[at + 3];
        return v;
    }

    /// <summary>Run number <paramref name="f"/> of a Rows×Depth tile of src(r, k), r0 ≤ r, k0 ≤ k: along k when
    /// <paramref name="kContiguous"/> (Depth/4 runs per row), else along r (Rows/4 runs per k).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Float4 Fetch(ArrayView<float> p, ArrayView<Float4> p4, int vec, bool kContiguous, int ld, int r0,
        int rows, int k0, int kEnd, int f, int tileRows, int depth)
    {
        if (kContiguous)
        {
            int rr = f / (depth / 4), kk = f % (depth / 4) * 4, r = r0 + rr, k = k0 + kk;
            return Run(p, p4, vec, r * ld + k, r < rows ? kEnd - k : 0);
        }
        else
        {
            int kk = f / (tileRows / 4), rr = f % (tileRows / 4) * 4, r = r0 + rr, k = k0 + kk;
            return Run(p, p4, vec, k * ld + r, k < kEnd ? rows - r : 0);
        }
    }

    /// <summary>Stores run <paramref name="f"/> (as <see cref="Fetch"/> numbered it) into the k-major shared tile
    /// <paramref name="s"/> whose rows are <paramref name="row"/> floats long.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(ArrayView<float> s, ArrayView<Float4> s4, bool kContiguous, int f, Float4 v, int row,
        int tileRows, int depth)
    {
        if (kContiguous)
        {
            int rr = f / (depth / 4), kk = f % (depth / 4) * 4;
            var t = s.SubView(kk * row + rr);
            t[0] = v.X;
            t[row] = v.Y;
            t[2 * row] = v.Z;
            t[3 * row] = v.W;
        }
        else
        {
            int kk = f / (tileRows / 4), rr = f % (tileRows / 4) * 4;
            s4[(kk * row + rr) >> 2] = v;
        }
    }

    /// <summary>
    /// The whole GEMM of one block (see the file's header): A from <paramref name="a"/>/<paramref name="a4"/>
    /// (k-contiguous when <paramref name="aK"/>, rows <paramref name="lda"/> apart), B likewise; the result into
    /// <paramref name="c"/> at split z's M·N slice as <typeparamref name="TEpilogue"/> stores it (PlainStore, or
    /// BiasActivationStore: bias and activation from <paramref name="bias"/> and <c>s.Act</c> when <c>s.Fused</c>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Gemm<TTile, TEpilogue>(ArrayView<float> a, ArrayView<Float4> a4, bool aK, int lda,
        ArrayView<float> b, ArrayView<Float4> b4, bool bK, int ldb, ArrayView<float> bias, ArrayView<float> c,
        in GemmShape s) where TTile : struct, IGemmTile where TEpilogue : struct, IGemmEpilogue
    {
        int tx = default(TTile).ThreadsX, ty = default(TTile).ThreadsY, depth = default(TTile).Depth;
        bool wide = default(TTile).Wide;
        int bm = 8 * ty, bn = (wide ? 8 : 4) * tx, ra = bm + 4, rb = bn + 4, threads = tx * ty;
        var at = SharedMemory.Allocate<float>(depth * ra); // constants once ILGPU has inlined TTile's getters
        var bt = SharedMemory.Allocate<float>(depth * rb);
        var at4 = at.Cast<Float4>();
        var bt4 = bt.Cast<Float4>();
        int tid = Group.IdxY * tx + Group.IdxX, m0 = Grid.IdxY * bm, n0 = Grid.IdxX * bn;
        int k0 = Grid.IdxZ * s.Chunk, kEnd = Math.Min(s.K, k0 + s.Chunk);

        var next = Load(a, a4, aK, lda, b, b4, bK, ldb, m0, n0, k0, kEnd, tid, threads, bm, bn, depth, s);
        var acc = default(Acc);
        // This thread's first vector in each shared tile; the passes below add constants to them.
        var aThread = at4.SubView(Group.IdxY);
        var bThread = bt4.SubView(Group.IdxX);
        for (; k0 < kEnd; k0 += depth)
        {
            Put(at, at4, aK, tid, next.A0, ra, bm, depth);
            Put(at, at4, aK, tid + threads, next.A1, ra, bm, depth);
            Put(bt, bt4, bK, tid, next.B0, rb, bn, depth);
            Put(bt, bt4, bK, tid + threads, next.B1, rb, bn, depth);
            Group.Barrier();
            if (k0 + depth < kEnd)
                next = Load(a, a4, aK, lda, b, b4, bK, ldb, m0, n0, k0 + depth, kEnd, tid, threads, bm, bn, depth, s);
            for (int kk = 0; kk < depth; kk += 8)
                acc = Pass(acc, aThread.SubView(kk * ra / 4), bThread.SubView(kk * rb / 4), ra / 4, rb / 4, bm / 8,
                    bn / 8, wide);
            Group.Barrier();
        }
        default(TEpilogue).Store(acc, c, bias, s, m0 + 4 * Group.IdxY, n0 + 4 * Group.IdxX, bm / 2, bn / 2, wide);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Stage Load(ArrayView<float> a, ArrayView<Float4> a4, bool aK, int lda, ArrayView<float> b,
        ArrayView<Float4> b4, bool bK, int ldb, int m0, int n0, int k0, int kEnd, int tid, int threads, int bm, int bn,
        int depth, in GemmShape s)
    {
        Stage t;
        t.A0 = Fetch(a, a4, s.AVec, aK, lda, m0, s.M, k0, kEnd, tid, bm, depth);
        t.A1 = Fetch(a, a4, s.AVec, aK, lda, m0, s.M, k0, kEnd, tid + threads, bm, depth);
        t.B0 = Fetch(b, b4, s.BVec, bK, ldb, n0, s.N, k0, kEnd, tid, bn, depth);
        t.B1 = Fetch(b, b4, s.BVec, bK, ldb, n0, s.N, k0, kEnd, tid + threads, bn, depth);
        return t;
    }
}
