using Digits.Cli;
using Digits.Gpu;
using Digits.Tests.Support;
using Xunit;

namespace Digits.Tests.Cli;

/// <summary>How <c>--device auto</c> chooses from the backend catalogue, and what an unavailable explicit device
/// says: a reason, never a crash, never ILGPU's silent CPU fallback passing for a GPU.</summary>
public sealed class DeviceChoiceTests
{
    private static BackendInfo Cpu => new("cpu", "cpu", "cpu: 2 threads", true, "", false, 400);
    private static BackendInfo IlgpuCpu => new("ilgpu-cpu", "ilgpu-cpu", "ILGPU CPU accelerator", true, "", false, null);
    private static BackendInfo NoCuda => new("cuda", "cuda", "", false, "libcuda.so.1 not found", true, null);

    private static BackendInfo Pocl => new("opencl:0", "opencl", "", false,
        "cpu-znver4 (Portable Computing Language, OpenCL 3.0 PoCL, OpenCL C 1.2): no generic address space", true, null);

    [Fact]
    public void Auto_never_picks_ilgpu_cpu_and_says_why_each_GPU_was_passed_over()
    {
        var (device, why) = DeviceSelector.Choose([Cpu, NoCuda, Pocl, IlgpuCpu]);
        Assert.Equal("cpu", device);
        Assert.Contains("cuda: libcuda.so.1 not found", why);
        Assert.Contains("opencl:0: ", why);
        Assert.Contains("no generic address space", why);
        // Even when ilgpu-cpu is the only thing besides the CPU backend.
        Assert.Equal("cpu", DeviceSelector.Choose([IlgpuCpu, Cpu]).Device);
    }

    [Fact]
    public void Auto_takes_CUDA_first_then_a_usable_OpenCL_GPU()
    {
        var cuda = new BackendInfo("cuda:0", "cuda", "H200", true, "", true, 60000);
        var amd = new BackendInfo("opencl:1", "opencl", "gfx1100", true, "", true, null);
        var oclCpu = new BackendInfo("opencl:0", "opencl", "some CPU", true, "", false, null);
        Assert.Equal("cuda:0", DeviceSelector.Choose([Cpu, cuda, oclCpu, amd, IlgpuCpu]).Device);
        Assert.Equal("opencl:1", DeviceSelector.Choose([Cpu, NoCuda, oclCpu, amd, IlgpuCpu]).Device);
        var (device, why) = DeviceSelector.Choose([Cpu, NoCuda, oclCpu, IlgpuCpu]);
        Assert.Equal("cpu", device);
        Assert.Contains("opencl:0: not a GPU", why);
    }

    [Fact]
    public void This_machine_lists_ilgpu_cpu_and_a_reason_for_every_unusable_device()
    {
        var devices = IlgpuDevices.List();
        var cpu = Assert.Single(devices, d => d.Kind == GpuKind.IlgpuCpu);
        Assert.True(cpu.Available);
        Assert.Contains(devices, d => d.Kind == GpuKind.Cuda);
        Assert.Contains(devices, d => d.Kind == GpuKind.OpenCl);
        foreach (var d in devices.Where(d => !d.Available))
            Assert.False(string.IsNullOrWhiteSpace(d.Reason), $"{d.Name} is unavailable without a reason");
        // A PoCL device, where one is installed (CI installs it), is listed and refused for the generic address space.
        foreach (var pocl in devices.Where(d => d.Kind == GpuKind.OpenCl && d.Hardware.Contains("Portable Computing Language")))
        {
            Assert.False(pocl.Available);
            Assert.Contains("generic address space", pocl.Reason);
        }
        if (TestBackends.IsCi)
            Assert.Contains(devices, d => d.Kind == GpuKind.OpenCl && d.Hardware.Contains("Portable Computing Language"));
    }

    [Theory]
    [InlineData("cuda")]
    [InlineData("opencl")]
    public void An_unavailable_GPU_exits_2_with_its_reason_on_one_line(string device)
    {
        if (IlgpuDevices.List().Any(d => d.Name.StartsWith(device + ":", StringComparison.Ordinal) && d.Available))
            Assert.Skip($"a usable {device} device is present here");
        var (code, _, err) = DigitsCli.Run("train", "--device", device, "--epochs", "1");
        Assert.Equal(2, code);
        Assert.StartsWith($"digits: --device {device}: ", err);
        Assert.Single(err.TrimEnd().Split('\n'));
        Assert.Contains("digits devices", err);
        Assert.DoesNotContain("   at ", err); // no stack trace
    }
}
