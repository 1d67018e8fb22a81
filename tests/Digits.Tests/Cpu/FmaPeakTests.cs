using System.Text.Json;
using System.Text.RegularExpressions;
using Digits.Cpu;
using Digits.Tests.Cli;
using Digits.Tests.Support;
using Xunit;

namespace Digits.Tests.Cpu;

/// <summary>The measured FMA peak: one figure, reported the same by <c>digits devices</c>, <c>bench</c> and the
/// README. Speed itself is never asserted (DESIGN §6), only that the figure is sane and used consistently.</summary>
public sealed class FmaPeakTests
{
    [Fact]
    public void The_probe_measures_one_and_all_threads_and_says_how()
    {
        var r = FmaPeak.Measure(Environment.ProcessorCount, runs: 1, runSeconds: 0.005);
        Assert.True(r.SingleThreadGflops > 0.1, $"{r.SingleThreadGflops} GFLOP/s");
        Assert.True(r.AllThreadsGflops >= r.SingleThreadGflops);
        Assert.Equal(FmaPeak.VectorBits, r.VectorBits);
        Assert.Equal(r.SingleThreadGflops, r.Gflops(1));
        Assert.Equal(r.AllThreadsGflops, r.Gflops(10_000));
        Assert.Contains($"independent {r.VectorBits}-bit FMAs", r.Method);
        Assert.StartsWith("measured: 1 thread ", r.Method);
        Assert.True(r.Seconds < 5, $"the probe took {r.Seconds} s");
    }

    [Fact]
    public void The_probe_runs_once_per_process()
    {
        Assert.Same(FmaPeak.Measured, FmaPeak.Measured);
        Assert.Equal(FmaPeak.Measured.Gflops(Environment.ProcessorCount), CpuInfo.PeakGflops(Environment.ProcessorCount));
    }

    [Fact]
    public void Devices_reports_the_measured_peak_and_how_it_was_measured()
    {
        var (code, output, _) = DigitsCli.Run("devices", "--json");
        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(output);
        var cpu = json.RootElement.GetProperty("devices").EnumerateArray().Single(d => d.GetProperty("name").GetString() == "cpu");
        Assert.Equal(FmaPeak.Measured.Gflops(Environment.ProcessorCount), cpu.GetProperty("peak_gflops").GetDouble());
        Assert.Equal(FmaPeak.Measured.Method, cpu.GetProperty("peak_method").GetString());
        var (_, text, _) = DigitsCli.Run("devices");
        Assert.Contains($"GFLOP/s FP32 FMA peak ({FmaPeak.Measured.Method})", text);
    }

    [Fact]
    public void The_README_states_one_cpu_peak_everywhere()
    {
        string readme = File.ReadAllText(Path.Combine(Repository.Root, "README.md"));
        var peaks = Regex.Matches(readme, @"% of (\d+) (?:GFLOP/s )?peak|(\d+) GFLOP/s (?:FMA |2-core )*peak")
            .Select(m => m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value).Distinct().ToList();
        Assert.NotEmpty(peaks);
        Assert.True(peaks.Count == 1, $"the README states several CPU peaks: {string.Join(", ", peaks)}");
        Assert.DoesNotContain("236 GFLOP/s", readme); // the old, computed figure
    }
}
