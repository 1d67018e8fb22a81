// GemmEpilogue: how a GEMM block's 8×8-per-thread register tile leaves the kernel, and the fixed-order split-K sum.
//
//   Store:          c[z·M·N + m·N + n] = v               (split z of several: a partial sum, no bias)
//                   c[m·N + n] = act(v + bias[n])        (a single split of the forward GEMM: Fused = 1)
//   LinearSplitSum: y[i] = act(bias[i mod N] + Σ_{z=0..S−1} partial[z·M·N + i])  (forward), Σ_z partial (backward)
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

// LinearSplitSum's budget: an implicitly grouped kernel (no shared memory); its activation's exp is ex2.approx.f32.
[KernelBudget(nameof(LinearSplitSum), registers: 32, sharedBytes: 0, Approximations = "ex2.approx.f32")]
internal static class GemmEpilogue
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Out(float v, ArrayView<float> bias, int n, in GemmShape s) =>
        s.Fused != 0 ? ActivationKernels.Activate(s.Act, v + bias[n]) : v;

    /// <summary>One row's eight values at columns n0+{0..3} and n0+hn+{0..3}, where inside C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(GemmTile.Row r, ArrayView<float> c, ArrayView<float> bias, int m, int n0, int hn,
        bool wide, in GemmShape s)
    {
        if (m >= s.M) return;
        var row = c.SubView(Grid.IdxZ * s.M * s.N + m * s.N);
        if (n0 < s.N) row[n0] = Out(r.L.X, bias, n0, s);
        if (n0 + 1 < s.N) row[n0 + 1] = Out(r.L.Y, bias, n0 + 1, s);
        if (n0 + 2 < s.N) row[n0 + 2] = Out(r.L.Z, bias, n0 + 2, s);
        if (n0 + 3 < s.N) row[n0 + 3] = Out(r.L.W, bias, n0 + 3, s);
        if (!wide) return;
        int n1 = n0 + hn;
        if (n1 < s.N) row[n1] = Out(r.H.X, bias, n1, s);
        if (n1 + 1 < s.N) row[n1 + 1] = Out(r.H.Y, bias, n1 + 1, s);
        if (n1 + 2 < s.N) row[n1 + 2] = Out(r.H.Z, bias, n1 + 2, s);
        if (n1 + 3 < s.N) row[n1 + 3] = Out(r.H.W, bias, n1 + 3, s);
    }

    /// <summary>A thread's 8×8 tile: rows m0+{0..3} and m0+hm+{0..3}, columns n0+{0..3} and, when wide,
    /// n0+hn+{0..3}.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Store(GemmTile.Acc a, ArrayView<float> c, ArrayView<float> bias, in GemmShape s, int m0,
        int n0, int hm, int hn, bool wide)
    {
        StoreRow(a.R0, c, bias, m0, n0, hn, wide, s);
        StoreRow(a.R1, c, bias, m0 + 1, n0, hn, wide, s);
        StoreRow(a.R2, c, bias, m0 + 2, n0, hn, wide, s);
        StoreRow(a.R3, c, bias, m0 + 3, n0, hn, wide, s);
        StoreRow(a.R4, c, bias, m0 + hm, n0, hn, wide, s);
        StoreRow(a.R5, c, bias, m0 + hm + 1, n0, hn, wide, s);
        StoreRow(a.R6, c, bias, m0 + hm + 2, n0, hn, wide, s);
        StoreRow(a.R7, c, bias, m0 + hm + 3, n0, hn, wide, s);
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
