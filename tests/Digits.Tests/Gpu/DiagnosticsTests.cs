using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using Digits.Gpu;
using Digits.Gpu.Cuda;
using Digits.Gpu.Kernels;
using Digits.Tests.Support;
using ILGPU;
using ILGPU.Runtime;
using Xunit;

namespace Digits.Tests.Gpu;

/// <summary>What the first contact with a GPU machine prints when something is wrong, checked without a GPU: the
/// driver's error names (with or without a driver), what a machine without libcuda says, the trace switch, and a
/// kernel that fails to load naming itself with the log ILGPU traced.</summary>
public sealed class DiagnosticsTests
{
    [Theory]
    [InlineData(100, "CUDA_ERROR_NO_DEVICE")]                 // ILGPU's enum has it
    [InlineData(218, "CUDA_ERROR_INVALID_PTX")]
    [InlineData(34, "CUDA_ERROR_STUB_LIBRARY")]               // ILGPU's enum lacks these: our table
    [InlineData(222, "CUDA_ERROR_UNSUPPORTED_PTX_VERSION")]
    [InlineData(804, "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE")]
    [InlineData(901, "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED")]
    [InlineData(424242, "CUresult 424242")]
    public void CUDA_results_are_named_as_the_driver_names_them(int code, string name)
    {
        Assert.Equal(name, CudaDriver.ErrorName(code));
        Assert.StartsWith($"{name} ({code})", CudaDriver.Describe(code));
        Assert.Equal(name, CudaGraphs.Name(code));
    }

    [Fact]
    public void Without_libcuda_the_probe_and_digits_devices_say_there_is_no_driver()
    {
        if (NativeLibrary.TryLoad("libcuda.so.1", out _) || NativeLibrary.TryLoad("libcuda.so", out _))
            Assert.Skip("an NVIDIA driver library is installed here");
        const string expected = "libcuda.so.1 not found: no NVIDIA driver on this machine";
        Assert.Equal(expected, CudaDriver.Probe());
        var cuda = IlgpuDevices.List().Single(d => d.Kind == GpuKind.Cuda);
        Assert.Equal(("cuda", false, expected), (cuda.Name, cuda.Available, cuda.Reason));
        var (code, output, _) = DigitsCli.Run("devices");
        Assert.Equal(0, code);
        Assert.Contains($"  cuda       unavailable: {expected}", output);
    }

    [Theory]
    [InlineData("1", true)]
    [InlineData("true", true)]
    [InlineData("TRUE", true)]
    [InlineData("0", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void DIGITS_TRACE_is_on_for_1_or_true(string? value, bool on) => Assert.Equal(on, GpuTrace.Requested(value));

    [Fact]
    public void The_trace_reaches_the_writer_with_each_line_prefixed()
    {
        var writer = new StringWriter();
        using (GpuTrace.Attach(writer))
        {
            Trace.WriteLine("PTX Kernel loading failed:");
            Trace.WriteLine("ptxas application ptx input, line 9; error   : Unknown symbol\nsecond line");
        }
        Trace.WriteLine("after the writer was detached");
        string text = writer.ToString();
        Assert.Contains("ilgpu: PTX Kernel loading failed:", text);
        Assert.Contains("ilgpu: ptxas application ptx input, line 9; error   : Unknown symbol", text);
        Assert.Contains("ilgpu: second line", text);
        Assert.DoesNotContain("after the writer was detached", text);
    }

    [Fact]
    public void A_kernel_that_fails_to_load_is_named_among_those_that_load()
    {
        var backend = (IlgpuBackend)TestBackends.Get("ilgpu-cpu");
        var kernels = new[] { nameof(Fine), nameof(Unsupported), nameof(Fine2) }
            .Select(n => (typeof(DiagnosticsTests).GetMethod(n, BindingFlags.NonPublic | BindingFlags.Static)!, false));
        var failure = KernelLoading.FirstFailure(backend.Accelerator, kernels);
        Assert.NotNull(failure);
        Assert.Equal($"{nameof(DiagnosticsTests)}.{nameof(Unsupported)}", failure.Value.Kernel);
        Assert.Null(KernelLoading.FirstFailure(backend.Accelerator, [(kernels.First().Item1, false)]));
    }

    [Fact]
    public void A_load_failure_says_which_kernel_on_which_device_and_shows_the_drivers_log()
    {
        // (A CudaException cannot be made without a driver: its constructor asks the driver for the description.)
        var error = new InvalidProgramException("the PTX did not assemble");
        const string log = "ptxas application ptx input, line 412; error   : Illegal operand type";
        var e = new KernelLoadException("cuda:0", "LinearKernels.LinearForward", error, log);
        Assert.StartsWith("kernel LinearKernels.LinearForward failed to load on cuda:0: InvalidProgramException: the PTX " +
                          "did not assemble; the driver's log:\n", e.Message);
        Assert.EndsWith($"; the driver's log:\n{log}", e.Message);
        Assert.Equal(("InvalidProgramException", "LinearKernels.LinearForward", log), (e.NativeName, e.Kernel, e.Log));
        Assert.Contains("the driver gave no log", new KernelLoadException("cuda:0", "X.Y", error, "").Message);
    }

    private static void Fine(Index1D i, ArrayView<int> a) => a[i] = i;

    private static void Fine2(Index1D i, ArrayView<int> a) => a[i] = 2 * i;

    // A class instance in a kernel: ILGPU compiles no reference types.
    private static void Unsupported(Index1D i, ArrayView<int> a) => a[i] = new object().GetHashCode();
}
