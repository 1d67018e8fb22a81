using Digits.Gpu.Inspection;
using Xunit;

namespace Digits.Tests.Gpu;

/// <summary>
/// Every kernel's PTX assembled by NVIDIA's own ptxas (CUDA 11.8, the step the driver runs on a GPU machine), for
/// sm_80 and sm_90, with no GPU. Without the tools the tests skip with the reason outside CI; with <c>CI=true</c>
/// they fail, since <c>.ci/run</c> fetches them (<c>tools/fetch-cuda-tools.sh</c>).
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
}
