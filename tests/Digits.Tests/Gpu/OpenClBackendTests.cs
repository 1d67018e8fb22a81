using Digits.Core.Backends;
using Digits.Gpu;
using Digits.Gpu.OpenCl;
using Xunit;

namespace Digits.Tests.Gpu;

/// <summary>The GPU backend contract on OpenCL, plus what is OpenCL's own: device order, reasons, allocation
/// limits.</summary>
public sealed class OpenClBackendTests : GpuBackendTests
{
    protected override string Device => "opencl";

    protected override string ErrorLocation => "broken.cl:4:";

    private OpenClBackend OpenCl => (OpenClBackend)Backend;

    protected override void Compile(IBackend backend, string file, string text) =>
        ((OpenClBackend)backend).CompileForTest(file, text);

    protected override (GpuException, string) FailNativeCall(IBackend backend) =>
        (Assert.Throws<GpuException>(() => ((OpenClBackend)backend).CreateKernelForTest("no_such_kernel")),
            "CL_INVALID_KERNEL_NAME");

    protected override string LiveNativeObjects() => $"{ClHandle.Live} OpenCL objects";

    [Fact]
    public void An_allocation_beyond_the_device_limit_names_the_error_and_the_bytes()
    {
        var backend = OpenCl;
        long bytes = (long)int.MaxValue * sizeof(float);
        if (backend.Device.MaxAllocationBytes >= bytes)
            Assert.Skip($"{backend.Device.Name} can allocate {bytes} bytes at once; nothing to provoke");
        int live = backend.LiveBuffers;
        var e = Assert.Throws<GpuException>(() => backend.Allocate<float>(int.MaxValue));
        Assert.Equal("CL_INVALID_BUFFER_SIZE", e.NativeName);
        Assert.Contains($"requested {bytes} bytes", e.Message);
        Assert.Contains($"at most {backend.Device.MaxAllocationBytes} bytes", e.Message);
        Assert.Equal(live, backend.LiveBuffers);
    }

    [Fact]
    public void A_device_that_does_not_exist_is_a_reason()
    {
        int found = OpenClBackend.ListDevices().Devices.Count;
        Assert.False(OpenClBackend.TryCreate(found + 2, out var backend, out string reason));
        Assert.Null(backend);
        Assert.Equal($"OpenCL device {found + 2} does not exist ({found} found)", reason);
        Assert.False(OpenClBackend.TryCreate(-1, out _, out reason));
        Assert.Contains("does not exist", reason);
    }

    [Theory]
    [InlineData("OpenCL C 1.2 PoCL", true)]
    [InlineData("OpenCL C 3.0 ", true)]
    [InlineData("OpenCL C 2.0", true)]
    [InlineData("OpenCL C 1.1", false)]
    [InlineData("OpenCL C 1.0 vendor", false)]
    [InlineData("garbage", false)]
    public void Devices_older_than_OpenCL_C_1_2_are_refused(string version, bool usable) =>
        Assert.Equal(usable, OpenClBackend.SupportsOpenClC12(version));

    [Fact]
    public void Devices_are_listed_GPUs_first_then_CPUs_then_the_rest()
    {
        var backend = OpenCl;
        var list = OpenClBackend.ListDevices();
        Assert.True(list.IsAvailable, list.Reason);
        Assert.Null(list.Reason);
        static int Rank(string type) => type switch { "GPU" => 0, "CPU" => 1, _ => 2 };
        Assert.Equal(list.Devices.OrderBy(d => Rank(d.Type)).Select(d => d.Index), list.Devices.Select(d => d.Index));
        Assert.Equal(Enumerable.Range(0, list.Devices.Count), list.Devices.Select(d => d.Index));
        var first = list.Devices[0];
        Assert.Equal(first, backend.Device);
        Assert.Equal("opencl:0", backend.Name);
        Assert.Contains(first.Name, backend.Description);
        Assert.True(first.ComputeUnits > 0 && first.GlobalMemoryBytes > 0 && first.MaxWorkGroupSize >= 64);
        Assert.StartsWith("OpenCL C ", first.OpenClCVersion);
        Assert.True(backend.GroupSize <= first.MaxWorkGroupSize);
        Assert.Contains(first.Name, first.ToString());
    }
}
