using System.Runtime.InteropServices;
using Digits.Core.Backends;
using Digits.Gpu;
using Digits.Gpu.Cuda;
using Digits.Tests.Support;
using Xunit;

namespace Digits.Tests.Gpu;

/// <summary>The GPU backend contract on CUDA, plus what is CUDA's own: the unavailable reason, the kernel cache,
/// the device record. Everything but the reason test skips, with the reason, where there is no CUDA device.</summary>
public sealed class CudaBackendTests : GpuBackendTests
{
    protected override string Device => "cuda";

    protected override string ErrorLocation => "broken.cl(4)";

    protected override void Compile(IBackend backend, string file, string text) =>
        ((CudaBackend)backend).CompileForTest(file, text);

    protected override (GpuException, string) FailNativeCall(IBackend backend) =>
        (Assert.Throws<GpuException>(() => ((CudaBackend)backend).GetFunctionForTest("no_such_kernel")),
            "CUDA_ERROR_NOT_FOUND");

    protected override string LiveNativeObjects() => CudaObjects.Snapshot().ToString();

    [Fact]
    public void Without_the_driver_unavailable_is_a_reason_not_a_crash()
    {
        bool created = CudaBackend.TryCreate(0, out var backend, out string reason);
        var list = CudaBackend.ListDevices();
        if (created)
        {
            backend!.Dispose();
            Assert.Equal("", reason);
            Assert.True(list.IsAvailable);
            return;
        }
        Assert.Null(backend);
        Assert.False(string.IsNullOrWhiteSpace(reason));
        if (OperatingSystem.IsLinux() && !NativeLibrary.TryLoad("libcuda.so.1", out _) &&
            !NativeLibrary.TryLoad("libcuda.so", out _))
        {
            Assert.Equal("libcuda.so.1 not found", reason);
            Assert.Equal(reason, list.Reason);
            Assert.Empty(list.Devices);
        }
    }

    [Fact]
    public void The_second_backend_loads_its_kernels_from_the_disk_cache()
    {
        _ = Backend; // the shared backend compiled (or loaded) them already
        using var again = (CudaBackend)TestBackends.CreateFresh(Device);
        Assert.True(again.KernelsFromCache, $"kernels {again.KernelTarget} were compiled again");
        Assert.Contains("from the cache", again.Description);
    }

    [Fact]
    public void The_device_record_describes_the_device()
    {
        var backend = (CudaBackend)Backend;
        var device = backend.Device;
        Assert.Equal("cuda:0", backend.Name);
        Assert.True(device.ComputeCapabilityMajor >= 3 && device.MultiprocessorCount > 0 && device.MemoryBytes > 0);
        Assert.True(device.DriverVersion >= 11000, $"driver {device.DriverVersion}");
        Assert.Equal(device, CudaBackend.ListDevices().Devices[0]);
        Assert.Contains(device.Name, backend.Description);
        Assert.Contains("by NVRTC", backend.KernelTarget);
    }
}
