using System.Globalization;
using System.Text.RegularExpressions;
using Digits.Tests.Support;
using Xunit;

namespace Digits.Tests.Cli;

/// <summary><c>digits bench --profile</c> accounts for the timed epochs op by op.</summary>
public sealed class BenchProfileTests
{
    [Fact]
    public void Profile_lists_every_op_of_a_step_and_the_shares_add_up_to_the_epoch()
    {
        RealData.RequireMnist();
        var (code, output, err) = DigitsCli.Run("bench", "--devices", "cpu", "--config", "nielsen", "--epochs", "1",
            "--warmup", "0", "--profile");
        Assert.True(code == 0, output + err);
        Assert.Contains("profile: nielsen on cpu, 6,000 steps", output);
        foreach (string op in new[] { "LinearForward          10×784→30", "LinearBackwardWeight   10×784→30", "GatherBatch", "SgdStep" })
            Assert.Contains(op, output);
        // Each row's share, plus the time outside the ops, is the whole timed epoch.
        string profile = output[output.IndexOf("profile: nielsen", StringComparison.Ordinal)..];
        double total = Regex.Matches(profile, @" (-?\d+(?:\.\d+)?)%")
            .Sum(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
        Assert.InRange(total, 99.0, 101.0);
        // A GEMM row carries its throughput.
        Assert.Matches(@"LinearForward\s+10×784→30\s+1\.00\s+[\d.]+\s+[\d.]+%\s+[\d.]+", output);
    }
}
