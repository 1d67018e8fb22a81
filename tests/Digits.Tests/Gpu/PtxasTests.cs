using Digits.Gpu.Inspection;
using Xunit;

namespace Digits.Tests.Gpu;

/// <summary>
/// Every kernel's PTX assembled by NVIDIA's own ptxas (CUDA 11.8, the step the driver runs on a GPU machine), for
/// sm_80 and sm_90, with no GPU. Without the tools the tests skip with the reason outside CI; with <c>CI=true</c>
/// they fail, since <c>.ci/run</c> fetches them (<c>tools/fetch-cuda-tools.sh</c>). Each kernel must stay within the
/// registers and shared memory its family's file budgets for it (<c>[KernelBudget]</c>).
/// </summary>
public sealed class PtxasTests
{
    public static TheoryData<string> Architectures => new() { "sm_80", "sm_90" };

    internal static Ptxas RequirePtxas()
    {
        var ptxas = Ptxas.TryFind(out string reason);
        if (ptxas is not null) return ptxas;
        if (Environment.GetEnvironmentVariable("CI") == "true")
            Assert.Fail($"CI=true but {reason}");
        Assert.Skip(reason);
        return null!;
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void Every_kernel_assembles_for_its_target_without_spills(string architecture)
    {
        var ptxas = RequirePtxas();
        var kernels = OfflinePtx.CompileAll(architecture, out var failures);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        string folder = Path.Combine(Path.GetTempPath(), $"digits-ptxas-{Environment.ProcessId}-{architecture}");
        try
        {
            foreach (var kernel in kernels)
            {
                var report = ptxas.Assemble(kernel, architecture, folder);
                Assert.True(report.Target == OfflinePtx.TargetFor(architecture),
                    $"{kernel.Name}: .target {report.Target}; ILGPU targets {OfflinePtx.TargetFor(architecture)} on {architecture}");
                Assert.True(report.SpillStoreBytes == 0 && report.SpillLoadBytes == 0,
                    $"{kernel.Name} spills on {architecture}:\n{report.Log}");
                Assert.True(report.Registers > 0, $"{kernel.Name}: no register count in ptxas's report:\n{report.Log}");
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void Every_kernel_stays_within_its_register_and_shared_memory_budget(string architecture)
    {
        var ptxas = RequirePtxas();
        var kernels = OfflinePtx.CompileAll(architecture, out var failures);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        string folder = Path.Combine(Path.GetTempPath(), $"digits-budget-{Environment.ProcessId}-{architecture}");
        try
        {
            var over = new List<string>();
            foreach (var kernel in kernels)
            {
                var report = ptxas.Assemble(kernel, architecture, folder);
                var budget = KernelBudgets.For(kernel.Name);
                Assert.True(budget is not null, $"{kernel.Family}.{kernel.Name} has no [KernelBudget]");
                if (report.Registers > budget.Registers || report.SharedBytes > budget.SharedBytes)
                    over.Add($"{kernel.Family}.{kernel.Name} on {architecture}: {report.Registers} registers (budget " +
                             $"{budget.Registers}), {report.SharedBytes} shared bytes (budget {budget.SharedBytes})");
            }
            Assert.True(over.Count == 0, "over budget (raise the budget in the family's file only as a decision):\n" +
                                         string.Join("\n", over));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void The_kernel_table_has_every_kernel_with_its_occupancy_on_an_H100()
    {
        var ptxas = RequirePtxas();
        var kernels = OfflinePtx.CompileAll("sm_90", out _);
        string folder = Path.Combine(Path.GetTempPath(), $"digits-table-{Environment.ProcessId}");
        try
        {
            var rows = KernelTable.Build(kernels, k => ptxas.Assemble(k, "sm_90", folder), SmLimits.H100);
            Assert.Equal(kernels.Select(k => k.Name), rows.Select(r => r.Kernel));
            Assert.All(rows, r => Assert.True(r.WithinBudget, r.Kernel));
            Assert.All(rows, r => Assert.InRange(r.Occupancy.Fraction, 1.0 / 64, 1.0));
            string table = KernelTable.Render(rows, SmLimits.H100, "ptxas");
            foreach (var r in rows) Assert.Contains($"| {r.Kernel} | {r.Family} |", table);
            // The GEMMs: groups of 256 threads, their registers the limit (40–48 registers: 5 or 6 groups per SM).
            var gemm = rows.Single(r => r.Kernel == "LinearForward");
            Assert.Equal(256, gemm.Occupancy.Threads);
            Assert.Equal(Occupancy.For(SmLimits.H100, gemm.Resources.Registers, gemm.Resources.SharedBytes, 256),
                gemm.Occupancy);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
