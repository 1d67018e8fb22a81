using System.Globalization;
using Digits.Cli.Verbs;
using Digits.Gpu;
using Digits.Gpu.Inspection;
using Digits.Gpu.Kernels;

namespace Digits.Cli.Commands;

/// <summary>
/// <c>digits kernels</c>: compiles every kernel to PTX as ILGPU does for CUDA and prints its sections, each a Markdown
/// table: each kernel's registers, shared memory, spills and occupancy (<see cref="KernelTable"/>), or with
/// <c>--plans</c> the launch plan of every preset's GEMMs on <c>--sm</c> SMs (else the CUDA device's) with what the
/// planner's H100 model expects of each (<see cref="GemmPlanReport"/>). The
/// measuring is NVIDIA's <c>ptxas</c> offline (<see cref="Ptxas"/>), or the driver's JIT with <c>--device</c>
/// (<see cref="DriverJit"/>). Without ptxas it says so in one line, still writes the PTX asked for, and exits 0 if
/// that was asked, 1 if not. The logic lives in <c>Digits.Gpu.Inspection</c>.
/// </summary>
internal sealed class KernelsCommand(KernelsVerb verb, TextWriter stdout, TextWriter stderr)
{
    public int Run()
    {
        if (verb.Plans) return Plans();
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

    /// <summary><c>--plans</c>: every preset GEMM's launch plan, with ptxas's registers and shared memory and the
    /// main loop's FFMA share where ptxas is at hand.</summary>
    private int Plans()
    {
        string arch = verb.Arch ?? "sm_90";
        if (!OfflinePtx.Architectures.Contains(arch))
            throw new UsageException($"--arch: '{arch}' is not one of {string.Join(", ", OfflinePtx.Architectures)}");
        if (verb.Sm is < 1) throw new UsageException($"--sm: {verb.Sm} is not a whole number ≥ 1");
        var ptxas = Ptxas.TryFind(out string reason);
        int sms = verb.Sm ?? DeviceMultiprocessors();
        var facts = ptxas is null ? null : GemmKernelFacts.Measure(ptxas, arch);
        string tools = ptxas is null ? $"registers, shared memory and SASS not shown: {reason}" : $"ptxas {ptxas.Version()}, {arch}";
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"GEMM plans on {sms} SMs (split-K workspace {GemmPlanner.WorkspaceFloats(sms):N0} floats); {tools}"));
        stdout.WriteLine();
        stdout.Write(GemmPlanReport.Table(Workloads(), sms, facts));
        stdout.WriteLine();
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"model: {GemmPlanner.SmFlops / 1e9:0} GFLOP/s per SM × the tile's FFMA share, " +
            $"{GemmPlanner.StageLatency * 1e6:0.0} µs per round of blocks, {GemmPlanner.DramBytesPerSecond / 1e12:0.00} TB/s, " +
            $"{GemmPlanner.LaunchGap * 1e6:0.0} µs for the split-K sum's launch (see Kernels/GemmPlan.cs)"));
        return ExitCodes.Success;
    }

    /// <summary>The first CUDA device's SM count, or a usage error saying why there is none.</summary>
    private static int DeviceMultiprocessors()
    {
        if (!IlgpuDevices.TryCreate("cuda", out var backend, out string reason))
            throw new UsageException($"--plans: no CUDA device to take the SM count from ({reason}); give --sm N " +
                                     "(an H100 has 132)");
        using (backend) return backend!.Multiprocessors;
    }

    /// <summary>The GEMMs of one training step of every bench configuration and preset (784 inputs, 10 classes),
    /// each distinct (widths, mini-batch) once, named by all the configurations that share it.</summary>
    internal static IEnumerable<GemmWorkload> Workloads()
    {
        var networks = new List<(string Name, int[] Widths, int Batch)>();
        void Add(string name, int[] widths, int batch)
        {
            int same = networks.FindIndex(n => n.Batch == batch && n.Widths.SequenceEqual(widths));
            if (same < 0) networks.Add((name, widths, batch));
            else if (!networks[same].Name.Split('/').Contains(name)) networks[same] = networks[same] with { Name = networks[same].Name + "/" + name };
        }
        foreach (var config in BenchConfig.All) Add(config.Name, config.Widths, config.Options.BatchSize);
        foreach (string name in TrainSettings.Presets.Keys)
        {
            var resolved = TrainSettings.Resolve(new TrainVerb { Preset = name });
            Add(name, [784, .. resolved.Hidden, 10], resolved.Training.BatchSize);
        }
        return networks.SelectMany(n => GemmWorkload.Of(n.Name, n.Widths, n.Batch));
    }

    private static void Write(string folder, IEnumerable<(string File, string Text)> files)
    {
        Directory.CreateDirectory(folder);
        foreach (var (file, text) in files) File.WriteAllText(Path.Combine(folder, file), text);
    }
}
