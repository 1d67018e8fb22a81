using Digits.Gpu.Kernels;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using System.Text.RegularExpressions;
using ILGPU.Runtime.Cuda;

namespace Digits.Gpu.Inspection;

/// <summary>One kernel's PTX as ILGPU's PTX backend writes it, without a GPU: <see cref="Name"/> is the kernel
/// method's name (the <c>IBackend</c> op it serves), <see cref="Family"/> its file's class
/// (<c>LinearKernels</c>).</summary>
public sealed record KernelPtx(string Name, string Family, string Ptx);

/// <summary>
/// Compiles every kernel of <c>Kernels/*.cs</c> to PTX offline, the text the CUDA accelerator hands the driver on a
/// GPU machine. <see cref="DefaultInstructionSet"/> (PTX ISA 7.8) is the newest that NVIDIA's CUDA 11.8 <c>ptxas</c>
/// accepts, so the same text can be assembled to SASS here (<see cref="Ptxas"/>); on a GPU ILGPU emits the driver's
/// newest ISA instead, with the same instructions for these kernels.
/// </summary>
public static class OfflinePtx
{
    /// <summary>PTX ISA 7.8: the newest that ptxas 11.8 reads.</summary>
    public static CudaInstructionSet DefaultInstructionSet => CudaInstructionSet.ISA_78;

    /// <summary>The architectures the offline checks cover: sm_80 (A100) and sm_90 (H100/H200).</summary>
    public static IReadOnlyList<string> Architectures { get; } = ["sm_80", "sm_90"];

    /// <summary>Parses <c>sm_80</c>, <c>sm_86</c>, <c>sm_90</c>… into ILGPU's architecture.</summary>
    /// <exception cref="ArgumentException">not of the form sm_XY, or an architecture ILGPU does not know.</exception>
    public static CudaArchitecture ParseArchitecture(string architecture)
    {
        if (architecture.Length is < 5 or > 6 || !architecture.StartsWith("sm_", StringComparison.Ordinal) ||
            !int.TryParse(architecture.AsSpan(3), out int number))
            throw new ArgumentException($"'{architecture}' is not a CUDA architecture of the form sm_80", nameof(architecture));
        var arch = new CudaArchitecture(number / 10, number % 10);
        if (arch.CompareTo(CudaArchitecture.SM_50) < 0)
            throw new ArgumentException($"'{architecture}' is older than sm_50, which ILGPU does not target", nameof(architecture));
        return arch;
    }

    /// <summary>The <c>.target</c> ILGPU writes for a device of <paramref name="architecture"/>: the lowest
    /// architecture with every capability ILGPU uses (sm_80 for an sm_90 device), which the driver then JIT-compiles
    /// for the device itself, as ptxas does here with <c>-arch=sm_90</c>.</summary>
    public static string TargetFor(string architecture) =>
        new CudaCapabilityContext(ParseArchitecture(architecture)).TargetArchitecture.ToString().ToLowerInvariant();

    /// <summary>The approximate instructions in <paramref name="ptx"/> (<c>ex2.approx.f32</c>, <c>tanh.approx.f32</c>,
    /// <c>rcp.approx.ftz.f64</c>…), each once, in ordinal order.</summary>
    public static IReadOnlyList<string> Approximations(string ptx) => Regex
        .Matches(ptx, @"(?<![\w.])[a-z][a-z0-9]*(?:\.[a-z0-9]+)*\.approx(?:\.[a-z0-9]+)*")
        .Select(m => m.Value).Distinct().Order(StringComparer.Ordinal).ToArray();

    /// <summary>Compiles every kernel for <paramref name="architecture"/> (e.g. <c>sm_90</c>). A kernel ILGPU cannot
    /// compile is listed in <paramref name="failures"/> as "Family.Name: reason" instead of stopping the rest.</summary>
    public static IReadOnlyList<KernelPtx> CompileAll(string architecture, out IReadOnlyList<string> failures,
        CudaInstructionSet? instructionSet = null)
    {
        var arch = ParseArchitecture(architecture);
        using var context = Context.Create(b => b.EnableAlgorithms().Optimize(OptimizationLevel.O2));
        using var backend = new PTXBackend(context, new CudaCapabilityContext(arch), arch,
            instructionSet ?? DefaultInstructionSet, null);
        var kernels = new List<KernelPtx>();
        var failed = new List<string>();
        foreach (var (method, grouped) in KernelSet.All)
        {
            string family = method.DeclaringType!.Name;
            try
            {
                var entry = grouped
                    ? EntryPointDescription.FromExplicitlyGroupedKernel(method)
                    : EntryPointDescription.FromImplicitlyGroupedKernel(method);
                kernels.Add(new KernelPtx(method.Name, family, ((PTXCompiledKernel)backend.Compile(entry, default)).PTXAssembly));
            }
            catch (Exception e)
            {
                failed.Add($"{family}.{method.Name}: {e.GetType().Name}: {e.Message}" +
                           (e.InnerException is null ? "" : $" ({e.InnerException.Message})"));
            }
        }
        failures = failed;
        return kernels;
    }
}
