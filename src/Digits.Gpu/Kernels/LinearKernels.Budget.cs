namespace Digits.Gpu.Kernels;

// The GEMMs' budgets (KernelBudget), kept apart from LinearKernels.cs so that a rewrite of the kernels updates them
// here: registers per thread and static shared memory per group of 16×16 threads (two 16×65-float tiles, 8,320 bytes),
// and the forward's epilogue activations, whose exp is ex2.approx.f32 (sigmoid, and tanh computed from exp).
[KernelBudget(nameof(LinearForward), registers: 64, sharedBytes: 2 * Depth * Row * 4, Threads = Threads * Threads,
    Approximations = "ex2.approx.f32")]
[KernelBudget(nameof(LinearBackwardInput), registers: 64, sharedBytes: 2 * Depth * Row * 4, Threads = Threads * Threads)]
[KernelBudget(nameof(LinearBackwardWeight), registers: 64, sharedBytes: 2 * Depth * Row * 4, Threads = Threads * Threads)]
internal static partial class LinearKernels;
