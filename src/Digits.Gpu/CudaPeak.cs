namespace Digits.Gpu;

/// <summary>
/// A CUDA GPU's FP32 peak: SMs × FP32 lanes per SM × 2 FLOP per fused multiply-add × clock. The lanes per SM are the
/// "32-bit floating-point add, multiply, multiply-add" results per clock cycle per multiprocessor of NVIDIA's CUDA C++
/// Programming Guide, "Arithmetic Instructions" (compute capability 5.x: 128; 6.0: 64; 6.1, 6.2: 128; 7.x: 64; 8.0:
/// 64; 8.6, 8.7, 8.9: 128; 9.0: 128; 10.x, 12.x: 128). The clock is the device's <c>CU_DEVICE_ATTRIBUTE_CLOCK_RATE</c>,
/// its boost clock, which ILGPU's <c>CudaDevice.ClockRate</c> gives in MHz. Check: H100 SXM, 132 SMs × 128 × 2 ×
/// 1.98 GHz = 66.9 TFLOP/s, NVIDIA's datasheet says 67; A100, 108 × 64 × 2 × 1.41 GHz = 19.5, as its datasheet.
/// </summary>
public static class CudaPeak
{
    /// <summary>FP32 lanes per SM for compute capability <paramref name="major"/>.<paramref name="minor"/>, or 0
    /// where the guide's table has no entry.</summary>
    public static int LanesPerSm(int major, int minor) => (major, minor) switch
    {
        (5, _) => 128,
        (6, 0) => 64,
        (6, 1) or (6, 2) => 128,
        (7, _) => 64,
        (8, 0) => 64,
        (8, 6) or (8, 7) or (8, 9) => 128,
        (9, 0) => 128,
        (10, _) or (12, _) => 128,
        _ => 0,
    };

    /// <summary>The peak in GFLOP/s, or null for an architecture <see cref="LanesPerSm"/> does not know.</summary>
    /// <param name="sms">streaming multiprocessors.</param>
    /// <param name="major">compute capability, major.</param>
    /// <param name="minor">compute capability, minor.</param>
    /// <param name="clockMhz">the SM clock in MHz (ILGPU's <c>CudaDevice.ClockRate</c>).</param>
    public static double? Gflops(int sms, int major, int minor, int clockMhz)
    {
        int lanes = LanesPerSm(major, minor);
        return lanes == 0 ? null : sms * lanes * 2.0 * clockMhz / 1000;
    }

    /// <summary>How the peak was computed, in words: "132 SMs × 128 FP32 lanes × 2 × 1980 MHz (lanes per SM of compute
    /// 9.0: CUDA C++ Programming Guide, arithmetic instruction throughput)".</summary>
    public static string Source(int sms, int major, int minor, int clockMhz) =>
        $"{sms} SMs × {LanesPerSm(major, minor)} FP32 lanes × 2 × {clockMhz} MHz (lanes per SM of compute {major}.{minor}: " +
        "CUDA C++ Programming Guide, arithmetic instruction throughput)";
}
