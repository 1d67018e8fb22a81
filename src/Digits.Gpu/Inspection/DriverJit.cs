using Digits.Gpu.Cuda;
using ILGPU.Runtime.Cuda;

namespace Digits.Gpu.Inspection;

/// <summary>
/// On a machine with a CUDA device: every kernel's PTX JIT-compiled by the driver, as ILGPU has it done when a
/// backend opens, but with the JIT's verbose info log kept (ILGPU keeps only the error log of a failure). The report
/// reads like <see cref="Ptxas"/>'s: registers, shared memory and local bytes come from the compiled function's
/// attributes, spills from the log.
/// </summary>
public static class DriverJit
{
    /// <summary>JIT-compiles each of <paramref name="kernels"/> on <paramref name="device"/> (a <c>cuda:N</c> that
    /// <see cref="IlgpuDevices.List"/> found available); a kernel the JIT refuses is listed in
    /// <paramref name="failures"/> as "Kernel: CUDA_ERROR_… (code): its log".</summary>
    /// <exception cref="ArgumentException">not an available CUDA device.</exception>
    /// <exception cref="GpuException">the device could not be opened.</exception>
    public static IReadOnlyList<PtxasReport> Assemble(GpuDevice device, IReadOnlyList<KernelPtx> kernels,
        out IReadOnlyList<string> failures)
    {
        if (device.Kind != GpuKind.Cuda || !device.Available)
            throw new ArgumentException($"{device.Name} is not an available CUDA device", nameof(device));
        var (context, accelerator) = IlgpuDevices.Open(device);
        using (context)
        using (accelerator)
        {
            accelerator.Bind();
            var reports = new List<PtxasReport>();
            var failed = new List<string>();
            foreach (var kernel in kernels)
            {
                var jit = CudaDriver.Jit(kernel.Ptx, $"Kernel_{kernel.Name}");
                if (jit.Result != 0)
                {
                    failed.Add($"{kernel.Name}: {CudaDriver.Describe(jit.Result)}: {jit.Log}");
                    continue;
                }
                var read = Ptxas.Read(kernel, device.Architecture ?? "", jit.Log, "");
                reports.Add(read with { Registers = jit.Registers, SharedBytes = jit.SharedBytes });
            }
            failures = failed;
            return reports;
        }
    }

    /// <summary>The architecture and PTX ISA ILGPU uses for <paramref name="device"/>, for
    /// <see cref="OfflinePtx.CompileAll"/>.</summary>
    /// <exception cref="ArgumentException">not a CUDA device ILGPU can compile for.</exception>
    public static (string Architecture, CudaInstructionSet InstructionSet) TargetOf(GpuDevice device)
    {
        if (device.Architecture is not { } arch || device.PtxIsa is not { } isa)
            throw new ArgumentException($"{device.Name}: ILGPU has no PTX target for it", nameof(device));
        var parts = isa.Split('.');
        return (arch, new CudaInstructionSet(int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)));
    }
}
