using Digits.Api;
using Digits.Cpu;
using Xunit;

namespace Digits.Tests.Export;

/// <summary>The one parser of device names, shared by <c>--device</c> and <see cref="DigitClassifier"/>.</summary>
public sealed class DeviceNameTests
{
    [Theory]
    [InlineData("cpu", "cpu", null)]
    [InlineData(" CPU ", "cpu", null)]
    [InlineData("reference", "reference", null)]
    [InlineData("ilgpu-cpu", "ilgpu-cpu", null)]
    [InlineData("cuda", "cuda", null)]
    [InlineData("Cuda:1", "cuda", 1)]
    [InlineData("opencl:0", "opencl", 0)]
    public void Names_parse_to_a_kind_and_an_index(string text, string kind, int? index)
    {
        var name = DeviceName.Parse(text);
        Assert.Equal(kind, name.Kind);
        Assert.Equal(index, name.Index);
        Assert.Equal(index is { } n ? $"{kind}:{n}" : kind, name.ToString());
        Assert.False(name.IsAuto);
    }

    [Theory]
    [InlineData("tpu", "'tpu' is not a device; use cpu, cuda[:N], opencl[:N], ilgpu-cpu or reference")]
    [InlineData("cpu:0", "'cpu:0' is not a device")]
    [InlineData("cuda:1:2", "'cuda:1:2' is not a device")]
    [InlineData("auto", "'auto' is not a device; use cpu,")]
    [InlineData("cuda:x", "'x' in 'cuda:x' is not a device number")]
    [InlineData("opencl:-1", "'-1' in 'opencl:-1' is not a device number")]
    [InlineData("cuda:", "'' in 'cuda:' is not a device number")]
    public void Other_text_is_refused_with_what_is_wrong(string text, string message)
    {
        Assert.StartsWith(message, Assert.Throws<FormatException>(() => DeviceName.Parse(text)).Message);
    }

    [Fact]
    public void Auto_is_a_name_only_where_the_caller_picks_the_device()
    {
        Assert.True(DeviceName.Parse("auto", allowAuto: true).IsAuto);
        var e = Assert.Throws<FormatException>(() => DeviceName.Parse("tpu", allowAuto: true));
        Assert.Contains("use auto, cpu,", e.Message);
        var auto = DeviceName.Parse("auto", allowAuto: true);
        Assert.Throws<InvalidOperationException>(() => auto.TryOpen(0, out _, out _));
    }

    [Fact]
    public void Cpu_and_reference_open_their_backends()
    {
        Assert.True(DeviceName.Parse("cpu").TryOpen(1, out var cpu, out string reason), reason);
        using (cpu) Assert.IsType<CpuBackend>(cpu);
        Assert.True(DeviceName.Parse("reference").TryOpen(0, out var reference, out reason), reason);
        using (reference) Assert.IsType<ReferenceBackend>(reference);
    }
}
