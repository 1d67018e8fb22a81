using Digits.Cli.Verbs;
using Digits.Gpu.Inspection;
using Digits.Tests.Support;
using Xunit;

namespace Digits.Tests.Cli;

/// <summary><c>digits kernels --plans</c>: the plan table for a given SM count, with or without NVIDIA's tools, and
/// the usage errors around it.</summary>
public sealed class KernelsCommandTests
{
    [Fact]
    public void Plans_for_132_SMs_list_every_preset_network_and_its_GEMMs()
    {
        var (code, output, err) = DigitsCli.Run("kernels", "--plans", "--sm", "132");
        Assert.True(code == ExitCodes.Success, err);
        Assert.Contains("GEMM plans on 132 SMs", output);
        foreach (string network in new[] { "small/quick", "large", "nielsen", "speedrun", "deep", "best", "augmented" })
            Assert.Contains($"| {network} | 0 | forward |", output);
        Assert.Contains("| large | 0 | forward | 256×1024×784 | 411.0 |", output);
        Assert.Contains("- best: ", output);
        // With the tools the registers and the main loop's FFMA share come from ptxas and the SASS; without, why not.
        if (Ptxas.TryFind(out _) is null) Assert.Contains("not shown", output);
        else Assert.Matches(@"\| LinearForward \(128×128\) \| .* \| \d\d\.\d % \|", output);
    }

    [Theory]
    [InlineData("--sm", "0", "--sm: 0 is not a whole number ≥ 1")]
    [InlineData("--arch", "sm_75", "--arch: 'sm_75' is not one of sm_80, sm_90")]
    public void Bad_values_exit_2_naming_the_flag(string flag, string value, string message)
    {
        var (code, _, err) = DigitsCli.Run("kernels", "--plans", flag, value);
        Assert.Equal(ExitCodes.UsageOrInput, code);
        Assert.Contains(message, err);
    }

    [Fact]
    public void Without_a_CUDA_device_plans_need_an_SM_count()
    {
        var (code, _, err) = DigitsCli.Run("kernels", "--plans");
        if (code == ExitCodes.Success) Assert.Skip("a CUDA device is present here");
        Assert.Equal(ExitCodes.UsageOrInput, code);
        Assert.Contains("give --sm N", err);
    }
}
