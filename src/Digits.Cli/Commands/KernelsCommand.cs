using System.Globalization;
using Digits.Cli.Verbs;
using Digits.Gpu;
using Digits.Gpu.Inspection;
using Digits.Gpu.Kernels;

namespace Digits.Cli.Commands;

/// <summary>
/// <c>digits kernels</c>: what NVIDIA's ptxas (CUDA 11.8, run offline: <c>tools/fetch-cuda-tools.sh</c>) makes of the
/// GEMM kernels — registers, shared memory, occupancy and the main loop's instruction mix — and, with
/// <c>--plans</c>, the launch plan of every preset's GEMMs on <c>--sm</c> SMs (else the CUDA device's) with what the
/// planner's H100 model expects of each (<see cref="GemmPlanReport"/>).
/// </summary>
internal sealed class KernelsCommand(KernelsVerb verb, TextWriter stdout)
{
    public int Run()
    {
        string arch = verb.Arch ?? "sm_90";
        if (!OfflinePtx.Architectures.Contains(arch))
            throw new UsageException($"--arch: '{arch}' is not one of {string.Join(", ", OfflinePtx.Architectures)}");
        if (verb.Sm is < 1) throw new UsageException($"--sm: {verb.Sm} is not a whole number ≥ 1");
        var ptxas = Ptxas.TryFind(out string reason);
        if (!verb.Plans)
        {
            if (ptxas is null) throw new UsageException($"kernels: {reason}");
            WriteKernels(GemmKernelFacts.Measure(ptxas, arch).Values);
            return ExitCodes.Success;
        }
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

    private void WriteKernels(IEnumerable<GemmKernelFacts> facts)
    {
        stdout.WriteLine("| kernel | threads | registers | shared B | blocks/SM | occupancy | main loop |");
        stdout.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | --- |");
        foreach (var f in facts.OrderBy(f => f.Kernel, StringComparer.Ordinal))
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {f.Kernel} | {f.Threads} | {f.Registers} | {f.SharedBytes} | {f.BlocksPerSm} | {f.Occupancy:P0} | {f.MainLoop} |"));
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
}
