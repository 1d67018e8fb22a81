// GemmEpilogue: how a GEMM block's 8×8-per-thread register tile leaves the kernel, and the fixed-order split-K sum.
//
//   PlainStore:          c[z·M·N + m·N + n] = v          (the backward GEMMs; any split z of several: a partial sum)
//   BiasActivationStore: c[m·N + n] = act(v + bias[n])   (the forward GEMM with a single split: Fused = 1)
//                        the partial sum as above        (the forward GEMM split: Fused = 0)
//   LinearSplitSum: y[i] = act(bias[i mod N] + Σ_{z=0..S−1} partial[z·M·N + i])  (forward), Σ_z partial (backward)
//
// The store is a type argument of GemmTile.Gemm (IGemmEpilogue), so the backward kernels hold no bias and no
// activation at all. BiasActivationStore takes the activation once per thread: identity and relu are applied as
// each output is stored; sigmoid and tanh (an exp and an IEEE division each, which ptxas assembles with a call to a
// slow path) are applied by a second sweep over the thread's own outputs, z = v + bias stored first, then read back
// and activated in a loop: the same float operations, with no accumulator live across a call, which kept the
// forward kernels within GemmTileSize.RegisterBudget (see BiasActivationStore).
//
// Shapes: C (M,N) row-major; partials S slices of M·N floats in the backend's split-K workspace. A thread's outputs
// are rows r0+{0..3}, r0+hm+{0..3} and columns n0+{0..3}, n0+hn+{0..3} (GemmTile's layout); each is written where it
// lies inside C. LinearSplitSum: implicitly grouped, one thread per element of C; it adds the S partials in the order
// z = 0, 1, …, S−1, so the same plan gives the same bits run after run (no atomics).
// CPU twin: ReferenceBackend.LinearForwardCore (bias, then the activation) and the backward GEMMs' plain sums.
using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;

namespace Digits.Gpu.Kernels;

/// <summary>How a GEMM tile kernel writes its thread's 8×8 (narrow: 8×4) outputs: a type argument of
/// <c>GemmTile.Gemm</c>, as the tile size is, so that each kernel compiles only its own store.</summary>
internal interface IGemmEpilogue
{
    void Store(GemmTile.Acc a, ArrayView<float> c, ArrayView<float> bias, in GemmShape s, int m0, int n0, int hm,
        int hn, bool wide);
}

/// <summary>The backward GEMMs' store: c = v (a split's partial sum at its slice). No bias, no activation.</summary>
internal readonly struct PlainStore : IGemmEpilogue
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(GemmTile.Acc a, ArrayView<float> c, ArrayView<float> bias, in GemmShape s, int m0, int n0,
        int hm, int hn, bool wide) =>
        GemmEpilogue.Store<GemmEpilogue.Sum>(a, c, bias, s, m0, n0, hm, hn, wide);
}

/// <summary>The forward GEMM's store: act(v + bias[n]) when K is not split (<c>s.Fused</c>), else the split's partial
/// sum (LinearSplitSum then adds bias and activation). The activation is chosen once per thread, not per output.
/// Identity and relu are applied as each output is stored. Sigmoid and tanh divide, and ptxas assembles an IEEE
/// division (<c>div.rn.f32</c>, <c>rcp.rn.f32</c>) with a call to a slow path; with those calls among the 64 live
/// accumulators ptxas 11.8 gave the whole kernel 130 registers on sm_90 (tanh alone: 134), above
/// <c>GemmTileSize.RegisterBudget</c>. So for them every z = v + bias[n] is stored first, then the thread's own
/// outputs are read back and activated in a loop (<see cref="GemmEpilogue.Activate{TAct}"/>): the same float
/// operations, each output's in the same order, with no accumulator live across a call (122 registers).</summary>
internal readonly struct BiasActivationStore : IGemmEpilogue
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(GemmTile.Acc a, ArrayView<float> c, ArrayView<float> bias, in GemmShape s, int m0, int n0,
        int hm, int hn, bool wide)
    {
        if (s.Fused == 0)
        {
            GemmEpilogue.Store<GemmEpilogue.Sum>(a, c, bias, s, m0, n0, hm, hn, wide);
            return;
        }
        if (s.Act == ActivationKernels.Relu)
        {
            GemmEpilogue.Store<GemmEpilogue.BiasThen<ReluActivation>>(a, c, bias, s, m0, n0, hm, hn, wide);
            return;
        }
        GemmEpilogue.Store<GemmEpilogue.BiasThen<IdentityActivation>>(a, c, bias, s, m0, n0, hm, hn, wide);
        if (s.Act == ActivationKernels.Sigmoid)
            GemmEpilogue.Activate<SigmoidActivation>(c, s, m0, n0, hm, hn, wide);
        else if (s.Act == ActivationKernels.Tanh)
            GemmEpilogue.Activate<TanhActivation>(c, s, m0, n0, hm, hn, wide);
    }
}

// LinearSplitSum's budget: an implicitly grouped kernel (no shared memory); its activation's exp is ex2.approx.f32.
[KernelBudget(nameof(LinearSplitSum), registers: 32, sharedBytes: 0, Approximations = "ex2.approx.f32")]
internal static class GemmEpilogue
{
    /// <summary>What one output becomes: <see cref="Sum"/> or <see cref="BiasThen{TAct}"/>.</summary>
    internal interface IOutput
    {
        float Out(float v, ArrayView<float> bias, int n);
    }

    /// <summary>The sum itself.</summary>
    internal readonly struct Sum : IOutput
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Out(float v, ArrayView<float> bias, int n) => v;
    }

    /// <summary>act(v + bias[n]).</summary>
    internal readonly struct BiasThen<TAct> : IOutput where TAct : struct, IActivation
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Out(float v, ArrayView<float> bias, int n) => default(TAct).Apply(v + bias[n]);
    }

    /// <summary>One row's eight values at columns n0+{0..3} and n0+hn+{0..3}, where inside C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow<TOut>(GemmTile.Row r, ArrayView<float> c, ArrayView<float> bias, int m, int n0,
        int hn, bool wide, in GemmShape s) where TOut : struct, IOutput
    {
        if (m >= s.M) return;
        var o = default(TOut);
        var row = c.SubView(Grid.IdxZ * s.M * s.N + m * s.N);
        if (n0 < s.N) row[n0] = o.Out(r.L.X, bias, n0);
        if (n0 + 1 < s.N) row[n0 + 1] = o.Out(r.L.Y, bias, n0 + 1);
        if (n0 + 2 < s.N) row[n0 + 2] = o.Out(r.L.Z, bias, n0 + 2);
        if (n0 + 3 < s.N) row[n0 + 3] = o.Out(r.L.W, bias, n0 + 3);
        if (!wide) return;
        int n1 = n0 + hn;
        if (n1 < s.N) row[n1] = o.Out(r.H.X, bias, n1);
        if (n1 + 1 < s.N) row[n1 + 1] = o.Out(r.H.Y, bias, n1 + 1);
        if (n1 + 2 < s.N) row[n1 + 2] = o.Out(r.H.Z, bias, n1 + 2);
        if (n1 + 3 < s.N) row[n1 + 3] = o.Out(r.H.W, bias, n1 + 3);
    }

    /// <summary>A thread's 8×8 tile: rows m0+{0..3} and m0+hm+{0..3}, columns n0+{0..3} and, when wide,
    /// n0+hn+{0..3}, each output as <typeparamref name="TOut"/> makes it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Store<TOut>(GemmTile.Acc a, ArrayView<float> c, ArrayView<float> bias, in GemmShape s,
        int m0, int n0, int hm, int hn, bool wide) where TOut : struct, IOutput
    {
        StoreRow<TOut>(a.R0, c, bias, m0, n0, hn, wide, s);
        StoreRow<TOut>(a.R1, c, bias, m0 + 1, n0, hn, wide, s);
        StoreRow<TOut>(a.R2, c, bias, m0 + 2, n0, hn, wide, s);
        StoreRow<TOut>(a.R3, c, bias, m0 + 3, n0, hn, wide, s);
        StoreRow<TOut>(a.R4, c, bias, m0 + hm, n0, hn, wide, s);
        StoreRow<TOut>(a.R5, c, bias, m0 + hm + 1, n0, hn, wide, s);
        StoreRow<TOut>(a.R6, c, bias, m0 + hm + 2, n0, hn, wide, s);
        StoreRow<TOut>(a.R7, c, bias, m0 + hm + 3, n0, hn, wide, s);
    }

    /// <summary>c = act(c) at a thread's outputs (as <see cref="Store{TOut}"/> placed them, where inside C) of a
    /// single split, one output per iteration of a loop that ILGPU does not unroll, so the activation's code is there
    /// once. Each thread reads only what it wrote itself, so no barrier is needed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Activate<TAct>(ArrayView<float> c, in GemmShape s, int m0, int n0, int hm, int hn,
        bool wide) where TAct : struct, IActivation
    {
        int columns = wide ? 8 : 4;
        for (int i = 0; i < 8 * columns; i++)
        {
            int r = i / columns, j = i % columns;
            int m = m0 + (r < 4 ? r : hm + r - 4), n = n0 + (j < 4 ? j : hn + j - 4);
            if (m < s.M && n < s.N) c[m * s.N + n] = default(TAct).Apply(c[m * s.N + n]);
        }
    }

    /// <summary>y[i] = Σ_z partials[z·count + i] in the order z = 0…splits−1, then bias and activation when
    /// <paramref name="fused"/> (bias[i mod n]).</summary>
    [Kernel(grouped: false)]
    internal static void LinearSplitSum(Index1D i, ArrayView<float> partials, int splits, int count, int n,
        ArrayView<float> bias, int act, int fused, ArrayView<float> y)
    {
        float sum = partials[i];
        for (int z = 1; z < splits; z++) sum += partials[z * count + i];
        y[i] = fused != 0 ? ActivationKernels.Activate(act, sum + bias[i % n]) : sum;
    }

    internal static void Load(KernelSet k) =>
        k.LinearSplitSum = k.Accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, int, int, int,
            ArrayView<float>, int, int, ArrayView<float>>(LinearSplitSum);

    internal static void LaunchSplitSum(KernelSet k, AcceleratorStream s, ArrayView<float> partials, int splits,
        int m, int n, ArrayView<float> bias, int act, bool fused, ArrayView<float> y) =>
        k.LinearSplitSum(s, KernelSet.Threads((long)m * n), partials, splits, m * n, n, bias, act, fused ? 1 : 0, y);
}
