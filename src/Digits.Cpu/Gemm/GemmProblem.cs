using Digits.Core.Backends;

namespace Digits.Cpu.Gemm;

/// <summary>
/// One GEMM with a fused output pass: C = act(op(A)·op(B) + bias), C (M,N) row-major with row stride
/// <see cref="Ldc"/>; op(A) (M,K) is A[m·lda + k], or A[k·lda + m] when <see cref="TransA"/>; op(B) (K,N) is
/// B[k·ldb + n], or B[n·ldb + k] when <see cref="TransB"/>; bias (N) optional. The three dense-layer GEMMs:
/// forward NT (x · Wᵀ), backward-input NN (dz · W), backward-weight TN (dzᵀ · x).
/// Pointers are into memory pinned for the duration of the call.
/// </summary>
internal readonly unsafe struct GemmProblem(
    int m, int n, int k,
    float* a, int lda, bool transA,
    float* b, int ldb, bool transB,
    float* c, int ldc,
    float* bias = null, Activation activation = Activation.Identity)
{
    public readonly int M = m, N = n, K = k;
    public readonly float* A = a;
    public readonly int Lda = lda;
    public readonly bool TransA = transA;
    public readonly float* B = b;
    public readonly int Ldb = ldb;
    public readonly bool TransB = transB;
    public readonly float* C = c;
    public readonly int Ldc = ldc;
    public readonly float* Bias = bias;
    public readonly Activation Activation = activation;

    /// <summary>2·M·N·K, the floating-point operations of the product (GFLOP/s counts these).</summary>
    public double Flops => 2.0 * M * N * K;
}

/// <summary>Cache blocking: KC × NC panels of B, MC × KC blocks of A (MC a multiple of MR, NC of NR).</summary>
internal readonly record struct GemmBlocking(int Mc, int Kc, int Nc)
{
    /// <summary>MC = 96 (8 panels of 12), KC = 256 (a 12×256 A panel, 12 KiB, stays in the 32 KiB L1d while B
    /// streams), NC = 1024. On Zen 4 every setting swept (MC 48–240, KC 128–1024, NC 256–2048) came within
    /// ±5 % of these (<c>--quick --blocking MC,KC,NC</c>): one 512-bit FMA per cycle asks little of L2.</summary>
    public static readonly GemmBlocking Default = new(96, 256, 1024);
}
