using System.Diagnostics;
using Digits.Tests.Support;
using Xunit;

namespace Digits.Tests.Ci;

/// <summary>
/// Issue 24: a test skipped for a reason CI does not expect passed silently (a fixture gone, a tool dropped from the CI
/// image). <c>.ci/run</c> now hands the logger's list of skips (<c>skipped.txt</c>) to <c>.ci/check-skips</c>, which
/// fails on any reason outside its list of what a CI machine may lack, naming the reason and its tests.
/// </summary>
public sealed class CheckSkipsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("digits-check-skips-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Runs <c>bash .ci/check-skips</c> on a skipped.txt holding <paramref name="lines"/>.</summary>
    private (int Code, string Output) Check(bool ci, params string[] lines)
    {
        string list = Path.Combine(_dir, "skipped.txt");
        File.WriteAllLines(list, lines);
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(Repository.Root, ".ci", "check-skips"));
        start.ArgumentList.Add(list);
        start.Environment["CI"] = ci ? "true" : "";
        using var bash = Process.Start(start)!;
        string output = bash.StandardOutput.ReadToEnd() + bash.StandardError.ReadToEnd();
        bash.WaitForExit();
        return (bash.ExitCode, output);
    }

    [Fact]
    public void Skips_a_CI_machine_may_have_pass()
    {
        var (code, output) = Check(true,
            "cuda backend unavailable: libcuda.so.1 not found: no NVIDIA driver on this machine (190):",
            "  Digits.Tests.Kernels.CudaKernelTests.Gemm(m: 1)",
            "opencl backend unavailable: PoCL 3.1: OpenCL C 1.2 without the generic address space ILGPU needs (184):",
            "  Digits.Tests.Kernels.OpenClKernelTests.Gemm(m: 1)",
            "SmallK512 needs AVX-512; this CPU takes SmallK256 (tested beside this) or the packed path (2):",
            "  Digits.Tests.Kernels.CpuInternalsTests.SmallK512",
            "python3 with torch is not installed (apt-get install python3-torch): ModuleNotFoundError (1):",
            "  Digits.Tests.Export.TorchLayoutTests.Real_PyTorch",
            "a CUDA device is present here (1):",
            "  Digits.Tests.Cli.CliTests.A_missing_explicit_device");
        Assert.True(code == 0, output);
        Assert.Equal("", output);
    }

    [Fact]
    public void Any_other_reason_fails_naming_the_reason_and_its_tests()
    {
        var (code, output) = Check(true,
            "cuda backend unavailable: libcuda.so.1 not found (3):",
            "  A.Cuda",
            "real data unavailable: DIGITS_DATA is not set (2):",
            "  Digits.Tests.Data.One",
            "  Digits.Tests.Data.Two");
        Assert.Equal(1, code);
        Assert.Contains("ci: unexpected skip reason (not in .ci/check-skips' list of what a CI machine may lack): " +
                        "real data unavailable: DIGITS_DATA is not set", output);
        Assert.Contains("Digits.Tests.Data.One", output);
        Assert.Contains("Digits.Tests.Data.Two", output);
        Assert.DoesNotContain("A.Cuda", output);
    }

    /// <summary>Tools .ci/run installs (ptxas, Chromium, onnx) may be missing outside CI; with CI=true their tests fail
    /// rather than skip, and a skip for them is unexpected.</summary>
    [Fact]
    public void A_missing_tool_is_expected_only_outside_CI()
    {
        string[] ptxas = ["ptxas and cuobjdump not found (DIGITS_CUDA_TOOLS, PATH, ~/.cache/digits/cuda-tools/bin): x (4):", "  P.T"];
        Assert.Equal(0, Check(false, ptxas).Code);
        Assert.Equal(1, Check(true, ptxas).Code);
    }

    [Fact]
    public void The_CI_script_runs_the_check_on_the_loggers_list()
    {
        string run = File.ReadAllText(Path.Combine(Repository.Root, ".ci", "run"));
        Assert.Contains("bash .ci/check-skips", run);
        Assert.Contains("skipped.txt", run);
    }
}
