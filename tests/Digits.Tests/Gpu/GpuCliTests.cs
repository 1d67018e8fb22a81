using System.Diagnostics;
using System.Runtime.InteropServices;
using Digits.Cli.Verbs;
using Digits.Gpu.Kernels;
using Digits.Tests.Support;
using Xunit;

namespace Digits.Tests.Gpu;

/// <summary>The GPU-facing verbs a user runs without a GPU: <c>digits kernels</c> (ptxas on ILGPU's PTX; the PTX
/// itself even without ptxas) and <c>digits bench --gemm</c> (the cuBLAS yardstick, on ilgpu-cpu to prove its
/// path).</summary>
public sealed class GpuCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("digits-gpucli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Kernels_prints_every_kernels_registers_and_occupancy_and_saves_its_PTX_and_SASS()
    {
        PtxasTests.RequirePtxas();
        string ptx = Path.Combine(_dir, "ptx"), sass = Path.Combine(_dir, "sass");
        var (code, output, err) = DigitsCli.Run("kernels", "--arch", "sm_80", "--ptx", ptx, "--sass", sass);
        Assert.True(code == 0, output + err);
        Assert.StartsWith("Kernels on A100 (sm_80: 108 SMs", output);
        Assert.Contains("| kernel | family | threads/group | registers | shared bytes |", output);
        foreach (string kernel in new[] { "LinearForward", "SoftmaxCrossEntropy", "AdamStep", "AugmentWarp", "Fill" })
        {
            Assert.Matches($@"\| {kernel} \| \w+Kernels \| (auto: )?\d+ \| \d+ \(\d+\) \| [\d,]+ \([\d,]+\) \| 0 \| \d+ \| \d+% \|", output);
            Assert.Contains(".version 7.8", File.ReadAllText(Path.Combine(ptx, $"{kernel}.ptx")));
            Assert.Contains($"Function : Kernel_{kernel}", File.ReadAllText(Path.Combine(sass, $"{kernel}.sm_80.sass")));
        }
        Assert.Contains("FFMA", File.ReadAllText(Path.Combine(sass, "LinearForward.sm_80.sass")));
        Assert.Equal(KernelSet.All.Count, Directory.GetFiles(ptx, "*.ptx").Length);
    }

    [Fact]
    public void Without_ptxas_kernels_says_so_in_one_line_and_still_writes_the_PTX()
    {
        // A child process whose search finds no ptxas: DIGITS_CUDA_TOOLS empty, PATH only dotnet's, HOME elsewhere.
        string home = Directory.CreateDirectory(Path.Combine(_dir, "home")).FullName, ptx = Path.Combine(_dir, "ptx");
        string host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h && File.Exists(h)
            ? h : Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", "..", "dotnet");
        (int Code, string Err) Run(params string[] args)
        {
            var info = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true };
            info.ArgumentList.Add(typeof(Digits.Cli.Program).Assembly.Location);
            foreach (string a in args) info.ArgumentList.Add(a);
            info.Environment["DIGITS_CUDA_TOOLS"] = home;
            info.Environment["PATH"] = Path.GetDirectoryName(Path.GetFullPath(host))!;
            info.Environment["HOME"] = home;
            using var process = Process.Start(info)!;
            var err = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, err.Result);
        }
        var (code, err) = Run("kernels", "--ptx", ptx);
        Assert.True(code == ExitCodes.Success, err);
        Assert.Equal($"digits kernels: no table: ptxas and cuobjdump not found (DIGITS_CUDA_TOOLS, PATH, " +
                     $"~/.cache/digits/cuda-tools/bin): bash tools/fetch-cuda-tools.sh fetches them; PTX written to {ptx}",
            err.TrimEnd());
        Assert.Equal(KernelSet.All.Count, Directory.GetFiles(ptx, "*.ptx").Length);
        Assert.Equal(ExitCodes.RuntimeFailure, Run("kernels").Code); // nothing asked for could be done
    }

    [Theory]
    [InlineData("kernels --arch sm_75", "--arch: 'sm_75' is not sm_80 or sm_90")]
    [InlineData("kernels --device cuda --sass x", "--sass needs ptxas, not --device")]
    [InlineData("bench --gemm --devices cpu", "--gemm times the GPU kernels; cpu is not an ILGPU device")]
    [InlineData("bench --gemm --json", "--gemm prints its own table")]
    [InlineData("bench --gemm --square 0", "--square must be in [1, 16384], got 0")]
    public void Wrong_uses_are_one_line_usage_errors(string commandLine, string expected)
    {
        var (code, _, err) = DigitsCli.Run(commandLine.Split(' '));
        Assert.Equal(ExitCodes.UsageOrInput, code);
        Assert.Contains(expected, err);
        Assert.Single(err.TrimEnd().Split('\n'));
    }

    [Fact]
    public void Kernels_on_a_machine_without_CUDA_refuses_the_device_with_the_drivers_reason()
    {
        if (Digits.Gpu.IlgpuDevices.List().Any(d => d.Kind == Digits.Gpu.GpuKind.Cuda && d.Available))
            Assert.Skip("a CUDA device is here");
        var (code, _, err) = DigitsCli.Run("kernels", "--device", "cuda");
        Assert.Equal(ExitCodes.UsageOrInput, code);
        Assert.StartsWith("digits: --device cuda: ", err);
    }

    [Fact]
    public void Bench_gemm_checks_and_times_our_GEMMs_on_ilgpu_cpu_and_says_why_cuda_is_skipped()
    {
        TestBackends.Get("ilgpu-cpu");
        var (code, output, err) = DigitsCli.Run("bench", "--gemm", "--devices", "cuda,ilgpu-cpu", "--square", "32");
        Assert.True(code == 0, output + err);
        if (!Digits.Gpu.IlgpuDevices.List().Any(d => d.Name == "cuda:0" && d.Available))
            Assert.Contains("GEMM yardstick on cuda skipped: unavailable (", output);
        Assert.Matches(@"checked against a CPU result in double at B=37 I=101 O=45, B=64 I=128 O=96, forward, " +
                       @"backward-input, backward-weight: ours vec max \|error\| [\d.e+-]+ \(\d+(\.\d)?% of the FP32 bound\)", output);
        // shape, M×N×K, the plan (a tile, or a tile split S×chunk), the model's µs, then µs and GFLOP/s vec and scalar.
        var rows = output.ReplaceLineEndings("\n").Split('\n');
        foreach (string op in new[] { "Forward", "BackwardInput", "BackwardWeight" })
            Assert.Matches($@"^square {op} B=32 I=32 O=32 +32×32×32 +\d+×\d+(?: split \d+×\d+)? +[\d.]+ +" +
                           @"[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+$",
                Assert.Single(rows, r => r.StartsWith($"square {op} ", StringComparison.Ordinal)));
    }
}
