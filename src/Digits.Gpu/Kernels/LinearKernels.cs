// LinearKernels: the dense layer's three GEMMs, each in two tile sizes, launched by a per-shape plan.
//
//   LinearForward         y(B,O)  = act(x(B,I)·W(O,I)ᵀ + bias(O))   GEMM "NT", bias + activation in the epilogue
//   LinearBackwardInput   dx(B,I) = dz(B,O)·W(O,I)                  GEMM "NN"
//   LinearBackwardWeight  dW(O,I) = dz(B,O)ᵀ·x(B,I)                 GEMM "TN", overwrites dW
//
// All three are C(M,N) = Σ_k A(m,k)·B(k,n), computed by GemmTile.Gemm: LinearForward etc. with 128×128 blocks of
// 16×16 threads (Tile128), LinearForwardSmall etc. with 64×64 blocks of 16×8 threads (Tile64), each thread an 8×8
// (small: 8×4) register tile. The forward stores through GemmEpilogue's BiasActivationStore, the backward GEMMs
// through PlainStore, so their kernels hold no activation. Launch geometry: ⌈N/BN⌉ × ⌈M/BM⌉ × S groups, where the
// plan (GemmPlanner, from M, N, K and the device's SM count) picks the tile and the split-K S: with S > 1, split z
// sums k in [z·chunk, (z+1)·chunk) into slice z of the backend's split-K workspace, and LinearSplitSum
// (GemmEpilogue) adds the slices in the order z = 0…S−1 into C (with bias and activation for the forward GEMM): no
// atomics, the same bits on every run.
//
// 16-byte loads: each input comes as a float view and a Float4 view of the same memory. The host passes a real
// Float4 view only where the matrix's leading dimension and the view's element offset are multiples of 4 (buffers
// start 256-byte aligned), and sets the shape's AVec/BVec flag; otherwise, and at the matrix's edges, runs are read
// element by element. Both stage the same values, so the results are the same bit for bit.
//
// CPU twins: ReferenceBackend.LinearForwardCore / LinearBackwardInputCore / LinearBackwardWeightCore; host side:
// IlgpuBackend.LinearForwardCore and friends → LaunchLinearForward / …BackwardInput / …BackwardWeight.
using ILGPU;
using ILGPU.Runtime;

namespace Digits.Gpu.Kernels;

internal static partial class LinearKernels
{
    /// <summary>y = act(x·Wᵀ + bias): M = B, N = O, K = I; A = x and B(k,n) = W[n,k], both k-contiguous.</summary>
    [Kernel(grouped: true)]
    internal static void LinearForward(ArrayView<float> x, ArrayView<Float4> x4, ArrayView<float> w,
        ArrayView<Float4> w4, ArrayView<float> bias, ArrayView<float> y, GemmShape s) =>
        GemmTile.Gemm<Tile128, BiasActivationStore>(x, x4, true, s.K, w, w4, true, s.K, bias, y, s);

    /// <summary>dx = dz·W: M = B, N = I, K = O; A = dz (k-contiguous), B = W (n-contiguous).</summary>
    [Kernel(grouped: true)]
    internal static void LinearBackwardInput(ArrayView<float> dz, ArrayView<Float4> dz4, ArrayView<float> w,
        ArrayView<Float4> w4, ArrayView<float> dx, GemmShape s) =>
        GemmTile.Gemm<Tile128, PlainStore>(dz, dz4, true, s.K, w, w4, false, s.N, dx, dx, s);

    /// <summary>dW = dzᵀ·x: M = O, N = I, K = B; A(m,k) = dz[k,m] (m-contiguous), B = x (n-contiguous).</summary>
    [Kernel(grouped: true)]
    internal static void LinearBackwardWeight(ArrayView<float> x, ArrayView<Float4> x4, ArrayView<float> dz,
        ArrayView<Float4> dz4, ArrayView<float> dw, GemmShape s) =>
        GemmTile.Gemm<Tile128, PlainStore>(dz, dz4, false, s.M, x, x4, false, s.N, dw, dw, s);

    /// <summary><see cref="LinearForward"/> with 64×64 blocks.</summary>
    [Kernel(grouped: true)]
    internal static void LinearForwardSmall(ArrayView<float> x, ArrayView<Float4> x4, ArrayView<float> w,
        ArrayView<Float4> w4, ArrayView<float> bias, ArrayView<float> y, GemmShape s) =>
        GemmTile.Gemm<Tile64, BiasActivationStore>(x, x4, true, s.K, w, w4, true, s.K, bias, y, s);

    /// <summary><see cref="LinearBackwardInput"/> with 64×64 blocks.</summary>
    [Kernel(grouped: true)]
    internal static void LinearBackwardInputSmall(ArrayView<float> dz, ArrayView<Float4> dz4, ArrayView<float> w,
        ArrayView<Float4> w4, ArrayView<float> dx, GemmShape s) =>
        GemmTile.Gemm<Tile64, PlainStore>(dz, dz4, true, s.K, w, w4, false, s.N, dx, dx, s);

    /// <summary><see cref="LinearBackwardWeight"/> with 64×64 blocks.</summary>
    [Kernel(grouped: true)]
    internal static void LinearBackwardWeightSmall(ArrayView<float> x, ArrayView<Float4> x4, ArrayView<float> dz,
        ArrayView<Float4> dz4, ArrayView<float> dw, GemmShape s) =>
        GemmTile.Gemm<Tile64, PlainStore>(dz, dz4, false, s.M, x, x4, false, s.N, dw, dw, s);

    internal static void Load(KernelSet k)
    {
        var a = k.Accelerator;
        // Indexed by GemmTileKind: Tile128, then Tile64.
        k.LinearForward = [a.LoadKernel<ArrayView<float>, ArrayView<Float4>, ArrayView<float>, ArrayView<Float4>,
            ArrayView<float>, ArrayView<float>, GemmShape>(LinearForward), a.LoadKernel<ArrayView<float>,
            ArrayView<Float4>, ArrayView<float>, ArrayView<Float4>, ArrayView<float>, ArrayView<float>,
            GemmShape>(LinearForwardSmall)];
        k.LinearBackwardInput = [LoadBackward(a, LinearBackwardInput), LoadBackward(a, LinearBackwardInputSmall)];
        k.LinearBackwardWeight = [LoadBackward(a, LinearBackwardWeight), LoadBackward(a, LinearBackwardWeightSmall)];
        GemmEpilogue.Load(k);
    }

    private static Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<Float4>, ArrayView<float>,
        ArrayView<Float4>, ArrayView<float>, GemmShape> LoadBackward(Accelerator a, Action<ArrayView<float>,
        ArrayView<Float4>, ArrayView<float>, ArrayView<Float4>, ArrayView<float>, GemmShape> kernel) =>
        a.LoadKernel(kernel);

    /// <summary>⌈N/BN⌉ × ⌈M/BM⌉ × S groups of the plan's tile.</summary>
    private static KernelConfig Geometry(GemmPlan p, int m, int n) =>
        new(new Index3D(GemmTileSize.Blocks(n, p.Tile.Columns), GemmTileSize.Blocks(m, p.Tile.Rows), p.Splits),
            new Index3D(p.Tile.ThreadsX, p.Tile.ThreadsY, 1));

    /// <summary>Where the GEMM writes: C itself (one split) or the workspace's first S·M·N floats.</summary>
    private static ArrayView<float> Target(GemmPlan p, ArrayView<float> c, ArrayView<float> workspace, int m, int n) =>
        p.Splits == 1 ? c : workspace.SubView(0, (long)p.Splits * m * n);

    internal static void LaunchLinearForward(KernelSet k, AcceleratorStream s, Float4Views v, GemmPlan p,
        ArrayView<float> workspace, ArrayView<float> x, ArrayView<float> w, ArrayView<float> bias, int act, int batch,
        int inputs, int outputs, ArrayView<float> y)
    {
        if (batch == 0 || outputs == 0) return;
        var (x4, xv) = v.Of(x, inputs);
        var (w4, wv) = v.Of(w, inputs);
        var shape = new GemmShape
        {
            M = batch, N = outputs, K = inputs, Chunk = p.Chunk, Act = act, Fused = p.Splits == 1 ? 1 : 0,
            AVec = xv, BVec = wv,
        };
        k.LinearForward[(int)p.Tile.Kind](s, Geometry(p, batch, outputs), x, x4, w, w4, bias,
            Target(p, y, workspace, batch, outputs), shape);
        if (p.Splits > 1) GemmEpilogue.LaunchSplitSum(k, s, workspace, p.Splits, batch, outputs, bias, act, true, y);
    }

    internal static void LaunchLinearBackwardInput(KernelSet k, AcceleratorStream s, Float4Views v, GemmPlan p,
        ArrayView<float> workspace, ArrayView<float> dz, ArrayView<float> w, int batch, int inputs, int outputs,
        ArrayView<float> dx)
    {
        if (batch == 0 || inputs == 0) return;
        var (dz4, dzv) = v.Of(dz, outputs);
        var (w4, wv) = v.Of(w, inputs);
        var shape = new GemmShape { M = batch, N = inputs, K = outputs, Chunk = p.Chunk, AVec = dzv, BVec = wv };
        k.LinearBackwardInput[(int)p.Tile.Kind](s, Geometry(p, batch, inputs), dz, dz4, w, w4,
            Target(p, dx, workspace, batch, inputs), shape);
        if (p.Splits > 1) GemmEpilogue.LaunchSplitSum(k, s, workspace, p.Splits, batch, inputs, dx, 0, false, dx);
    }

    internal static void LaunchLinearBackwardWeight(KernelSet k, AcceleratorStream s, Float4Views v, GemmPlan p,
        ArrayView<float> workspace, ArrayView<float> x, ArrayView<float> dz, int batch, int inputs, int outputs,
        ArrayView<float> dw)
    {
        if (outputs == 0 || inputs == 0) return;
        var (x4, xv) = v.Of(x, inputs);
        var (dz4, dzv) = v.Of(dz, outputs);
        var shape = new GemmShape { M = outputs, N = inputs, K = batch, Chunk = p.Chunk, AVec = dzv, BVec = xv };
        k.LinearBackwardWeight[(int)p.Tile.Kind](s, Geometry(p, outputs, inputs), x, x4, dz, dz4,
            Target(p, dw, workspace, outputs, inputs), shape);
        if (p.Splits > 1) GemmEpilogue.LaunchSplitSum(k, s, workspace, p.Splits, outputs, inputs, dw, 0, false, dw);
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
