using Digits.Cli.Verbs;
using Digits.Gpu;
using Digits.Gpu.Inspection;

namespace Digits.Cli.Commands;

/// <summary>
/// <c>digits kernels</c>: compiles every kernel to PTX as ILGPU does for CUDA and prints its sections, each a Markdown
/// table (today one: each kernel's registers, shared memory, spills and occupancy, <see cref="KernelTable"/>). The
/// measuring is NVIDIA's <c>ptxas</c> offline (<see cref="Ptxas"/>), or the driver's JIT with <c>--device</c>
/// (<see cref="DriverJit"/>). Without ptxas it says so in one line, still writes the PTX asked for, and exits 0 if
/// that was asked, 1 if not. The logic lives in <c>Digits.Gpu.Inspection</c>.
/// </summary>
internal sealed class KernelsCommand(KernelsVerb verb, TextWriter stdout, TextWriter stderr)
{
    public int Run()
    {
        var (arch, isa, device) = Target();
        var kernels = OfflinePtx.CompileAll(arch, out var failures, isa);
        foreach (string failure in failures) stderr.WriteLine($"digits: {failure}");
        if (failures.Count > 0) return ExitCodes.RuntimeFailure;
        if (verb.Ptx is { } ptxDir) Write(ptxDir, kernels.Select(k => ($"{k.Name}.ptx", k.Ptx)));
        var sm = SmLimits.For(arch) ?? SmLimits.H100;
        if (device is not null) return PrintFromDriver(device, kernels, sm, $"PTX ISA {isa}");
        var ptxas = Ptxas.TryFind(out string reason);
        if (ptxas is null)
        {
            stderr.WriteLine($"digits kernels: no table: {reason}" + (verb.Ptx is null ? "" : $"; PTX written to {verb.Ptx}"));
            return verb.Ptx is null ? ExitCodes.RuntimeFailure : ExitCodes.Success;
        }
        string folder = verb.Sass ?? Directory.CreateTempSubdirectory("digits-kernels-").FullName;
        try
        {
            var reports = kernels.ToDictionary(k => k.Name, k => ptxas.Assemble(k, arch, folder));
            if (verb.Sass is not null)
                Write(verb.Sass, reports.Values.Select(r => ($"{r.Kernel}.{arch}.sass", ptxas.Disassemble(r.CubinPath))));
            // The sections, in order; a further table (e.g. the GEMMs' launch plans) follows the same way.
            stdout.Write(KernelTable.Render(KernelTable.Build(kernels, k => reports[k.Name], sm), sm,
                $"ptxas -v ({ptxas.Version()}) on ILGPU's PTX ISA {isa} (.target {OfflinePtx.TargetFor(arch)}) for {arch}"));
            return ExitCodes.Success;
        }
        finally
        {
            if (verb.Sass is null) Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The table from the driver's JIT on <paramref name="device"/>, and each kernel's JIT log where the PTX
    /// goes.</summary>
    private int PrintFromDriver(GpuDevice device, IReadOnlyList<KernelPtx> kernels, SmLimits sm, string isa)
    {
        var reports = DriverJit.Assemble(device, kernels, out var failures).ToDictionary(r => r.Kernel);
        if (verb.Ptx is { } dir) Write(dir, reports.Values.Select(r => ($"{r.Kernel}.jit.txt", r.Log)));
        stdout.Write(KernelTable.Render(KernelTable.Build(kernels, k => reports.GetValueOrDefault(k.Name), sm), sm,
            $"the CUDA driver's JIT on {device.Name} ({device.Hardware}) from ILGPU's {isa}"));
        foreach (string failure in failures) stderr.WriteLine($"digits: the driver's JIT refused {failure}");
        return failures.Count == 0 ? ExitCodes.Success : ExitCodes.RuntimeFailure;
    }

    /// <summary>The architecture and PTX ISA to compile for: a CUDA device's own with --device, else --arch at
    /// the ISA ptxas 11.8 reads.</summary>
    private (string Arch, ILGPU.Runtime.Cuda.CudaInstructionSet Isa, GpuDevice? Device) Target()
    {
        if (verb.Device is { } name)
        {
            if (verb.Sass is not null) throw new UsageException("--sass needs ptxas, not --device");
            string wanted = name == "cuda" ? "cuda:0" : name;
            var device = IlgpuDevices.List().FirstOrDefault(d => d.Name == wanted && d.Kind == GpuKind.Cuda);
            if (device is not { Available: true })
                throw new UsageException($"--device {name}: " + (device?.Reason ??
                    IlgpuDevices.List().FirstOrDefault(d => d.Kind == GpuKind.Cuda && !d.Available)?.Reason ??
                    "no such CUDA device"));
            var (arch, isa) = DriverJit.TargetOf(device);
            return (arch, isa, device);
        }
        string architecture = verb.Arch ?? "sm_90";
        if (architecture is not ("sm_80" or "sm_90"))
            throw new UsageException($"--arch: '{architecture}' is not sm_80 or sm_90 (the architectures ptxas 11.8 and the tables cover)");
        return (architecture, OfflinePtx.DefaultInstructionSet, null);
    }

    private static void Write(string folder, IEnumerable<(string File, string Text)> files)
    {
        Directory.CreateDirectory(folder);
        foreach (var (file, text) in files) File.WriteAllText(Path.Combine(folder, file), text);
    }
}
