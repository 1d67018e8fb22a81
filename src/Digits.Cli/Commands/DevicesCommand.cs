using System.Text.Json;
using Digits.Cli.Verbs;
using Digits.Cpu;
using Digits.Gpu.Cuda;
using Digits.Gpu.OpenCl;

namespace Digits.Cli.Commands;

/// <summary><c>digits devices</c>: every backend with what it found, or why it is unavailable.</summary>
internal sealed class DevicesCommand(DevicesVerb verb, TextWriter stdout)
{
    public int Run()
    {
        using var cpu = new CpuBackend();
        var cl = OpenClBackend.ListDevices();
        var cuda = CudaBackend.ListDevices();
        if (verb.Json)
        {
            stdout.WriteLine(JsonSerializer.Serialize(new
            {
                cpu = new { description = cpu.Description, threads = cpu.Threads, simd_floats = cpu.SimdWidth, peak_gflops = cpu.PeakGflops, peak_method = FmaPeak.Measured.Method },
                opencl = new { devices = cl.Devices.Select(d => d.ToString()), reason = cl.Reason },
                cuda = new { devices = cuda.Devices.Select(d => d.ToString()), reason = cuda.Reason },
            }));
            return ExitCodes.Success;
        }
        stdout.WriteLine("cpu");
        stdout.WriteLine($"  cpu  {cpu.Description}; {cpu.PeakGflops:0} GFLOP/s FMA peak ({FmaPeak.Measured.Method})");
        stdout.WriteLine("opencl");
        if (cl.IsAvailable) foreach (var d in cl.Devices) stdout.WriteLine($"  {d}");
        else stdout.WriteLine($"  unavailable: {cl.Reason}");
        stdout.WriteLine("cuda");
        if (cuda.IsAvailable) foreach (var d in cuda.Devices) stdout.WriteLine($"  {d}");
        else stdout.WriteLine($"  unavailable: {cuda.Reason}");
        return ExitCodes.Success;
    }
}
