namespace Digits.Gpu.Kernels;

// The GEMMs' budgets (KernelBudget), kept apart from LinearKernels.cs so that a rewrite of the kernels updates them
// here: registers per thread and static shared memory per group, and the forward's epilogue activations, whose exp is
// ex2.approx.f32 (sigmoid, and tanh computed from exp); the backward kernels store through PlainStore and hold no
// approximation. 128 registers is the ceiling at which two 256-thread groups of the 128×128 tile still fit an SM's
// 64 K registers (GemmTileSize.RegisterBudget, which GemmSassTests also checks), and the family's ceiling for the
// small tile too (the README's kernel table shows what each uses); shared memory is two staged tiles of
// 16 k × (rows + 4 floats of padding) each.
[KernelBudget(nameof(LinearForward), registers: 128, sharedBytes: 2 * 16 * 132 * 4, Threads = 256,
    Approximations = "ex2.approx.f32")]
[KernelBudget(nameof(LinearBackwardInput), registers: 128, sharedBytes: 2 * 16 * 132 * 4, Threads = 256)]
[KernelBudget(nameof(LinearBackwardWeight), registers: 128, sharedBytes: 2 * 16 * 132 * 4, Threads = 256)]
[KernelBudget(nameof(LinearForwardSmall), registers: 128, sharedBytes: 2 * 16 * 68 * 4, Threads = 128,
    Approximations = "ex2.approx.f32")]
[KernelBudget(nameof(LinearBackwardInputSmall), registers: 128, sharedBytes: 2 * 16 * 68 * 4, Threads = 128)]
[KernelBudget(nameof(LinearBackwardWeightSmall), registers: 128, sharedBytes: 2 * 16 * 68 * 4, Threads = 128)]
internal static partial class LinearKernels;
