namespace Digits.Gpu.Kernels;

/// <summary>
/// What one kernel of a family may use once NVIDIA's assembler has turned ILGPU's PTX into machine code, written
/// above the family's class so that a change to the kernel and its budget are read together:
/// <see cref="Registers"/> per thread and <see cref="SharedBytes"/> of static shared memory per group (the larger of
/// sm_80 and sm_90, as <c>ptxas -v</c> 11.8 reports them), <see cref="Threads"/> per group as the launch uses
/// (0: implicitly grouped, where ILGPU asks the driver for the group size of best occupancy), and the PTX
/// approximate instructions the kernel may contain (<see cref="Approximations"/>, e.g. <c>ex2.approx.f32</c>), each
/// a decision whose error the CUDA tolerances account for (<see cref="CudaApproximations"/>).
/// <para><c>PtxasTests</c> assembles every kernel and fails one over its budget; a budget sits below twice what
/// the kernel uses today, so a change that doubles a kernel's registers fails. <c>PtxCompileTests</c> fails a kernel
/// whose PTX holds an approximation not named here, or misses one that is.</para>
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true)]
internal sealed class KernelBudgetAttribute(string kernel, int registers, int sharedBytes) : Attribute
{
    /// <summary>The kernel method's name (<c>nameof</c>).</summary>
    public string Kernel { get; } = kernel;

    public int Registers { get; } = registers;

    public int SharedBytes { get; } = sharedBytes;

    /// <summary>Threads per group of an explicitly grouped launch; 0 for an implicitly grouped kernel.</summary>
    public int Threads { get; init; }

    /// <summary>The approximate PTX instructions the kernel may hold, comma-separated; empty for none.</summary>
    public string Approximations { get; init; } = "";
}
