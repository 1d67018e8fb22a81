using Digits.Gpu;
using Xunit;

namespace Digits.Tests.Gpu;

/// <summary>The CUDA FP32 peak (SMs × FP32 lanes per SM × 2 × clock) against NVIDIA's published figures.</summary>
public sealed class CudaPeakTests
{
    [Theory]
    // GPU, SMs, compute capability, boost clock (MHz) → NVIDIA's datasheet FP32 TFLOP/s
    [InlineData("H100 SXM", 132, 9, 0, 1980, 67.0)]
    [InlineData("H100 PCIe", 114, 9, 0, 1755, 51.0)]
    [InlineData("A100", 108, 8, 0, 1410, 19.5)]
    [InlineData("RTX 4090", 128, 8, 9, 2520, 82.6)]
    [InlineData("V100 SXM2", 80, 7, 0, 1530, 15.7)]
    public void The_computed_peak_is_NVIDIAs_published_figure(string gpu, int sms, int major, int minor, int clockMhz,
        double publishedTflops)
    {
        double? peak = CudaPeak.Gflops(sms, major, minor, clockMhz);
        Assert.NotNull(peak);
        // Datasheets round to 3 significant figures.
        Assert.True(Math.Abs(peak.Value / 1000 - publishedTflops) <= 0.01 * publishedTflops,
            $"{gpu}: {peak / 1000:0.00} TFLOP/s computed, {publishedTflops} published");
    }

    [Fact]
    public void The_H100_figure_and_its_source_are_spelled_out()
    {
        Assert.Equal(132 * 128 * 2 * 1980 / 1000.0, CudaPeak.Gflops(132, 9, 0, 1980)); // 66,908 GFLOP/s
        Assert.Equal("132 SMs × 128 FP32 lanes × 2 × 1980 MHz (lanes per SM of compute 9.0: CUDA C++ Programming Guide, " +
                     "arithmetic instruction throughput)", CudaPeak.Source(132, 9, 0, 1980));
        Assert.Equal(64, CudaPeak.LanesPerSm(8, 0)); // A100: half the H100's lanes per SM
        Assert.Null(CudaPeak.Gflops(10, 3, 5, 1000)); // Kepler: not in the table
    }
}
