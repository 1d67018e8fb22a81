using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Digits.Gpu.Inspection;

/// <summary>What <c>ptxas -v</c> reported for one kernel: <see cref="Registers"/> per thread,
/// <see cref="SharedBytes"/> of static shared memory per block, spill stores and loads in bytes
/// (<c>0</c> when nothing spilled), the stack frame in bytes, and <see cref="Target"/> as the PTX's
/// <c>.target</c> line names it (e.g. <c>sm_80</c>). <see cref="CubinPath"/> is the assembled file, for
/// <see cref="Ptxas.Disassemble"/>.</summary>
public sealed record PtxasReport(string Kernel, string Architecture, string Target, int Registers, int SharedBytes,
    int SpillStoreBytes, int SpillLoadBytes, int StackFrameBytes, string CubinPath, string Log);

/// <summary>
/// NVIDIA's PTX assembler and disassembler, run offline: <c>ptxas</c> is the step the CUDA driver takes on a GPU
/// machine to turn PTX into machine code (SASS), so assembling ILGPU's PTX here tells the registers, shared memory and
/// spills each kernel will have there, and <c>cuobjdump -sass</c> prints the machine code. The tools come from
/// Debian's non-free <c>nvidia-cuda-toolkit</c> 11.8 (<c>tools/fetch-cuda-tools.sh</c>); they are found through
/// <c>DIGITS_CUDA_TOOLS</c> (the folder holding them), then <c>PATH</c>, then
/// <c>~/.cache/digits/cuda-tools/bin</c>.
/// </summary>
public sealed class Ptxas
{
    private Ptxas(string ptxas, string cuobjdump) => (PtxasPath, CuobjdumpPath) = (ptxas, cuobjdump);

    public string PtxasPath { get; }
    public string CuobjdumpPath { get; }

    /// <summary>Finds ptxas and cuobjdump; null with <paramref name="reason"/> when either is missing.</summary>
    public static Ptxas? TryFind(out string reason)
    {
        string? folder = Environment.GetEnvironmentVariable("DIGITS_CUDA_TOOLS");
        var candidates = new List<string>();
        if (!string.IsNullOrEmpty(folder)) candidates.Add(folder);
        candidates.AddRange((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries));
        candidates.Add(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "digits", "cuda-tools", "bin"));
        foreach (string dir in candidates)
        {
            string p = Path.Combine(dir, "ptxas"), c = Path.Combine(dir, "cuobjdump");
            if (File.Exists(p) && File.Exists(c))
            {
                reason = "";
                return new Ptxas(p, c);
            }
        }
        reason = "ptxas and cuobjdump not found (DIGITS_CUDA_TOOLS, PATH, ~/.cache/digits/cuda-tools/bin): " +
                 "bash tools/fetch-cuda-tools.sh fetches them";
        return null;
    }

    /// <summary>ptxas's own version line, e.g. "Cuda compilation tools, release 11.8, V11.8.89".</summary>
    public string Version() => Run(PtxasPath, ["--version"]).Split('\n', StringSplitOptions.RemoveEmptyEntries)
        .FirstOrDefault(l => l.Contains("release", StringComparison.Ordinal))?.Trim() ?? "unknown";

    /// <summary>Assembles <paramref name="kernel"/>'s PTX for <paramref name="architecture"/> into a cubin in
    /// <paramref name="folder"/> and reads ptxas's verbose report.</summary>
    /// <exception cref="InvalidOperationException">ptxas refused the PTX (its log is the message).</exception>
    public PtxasReport Assemble(KernelPtx kernel, string architecture, string folder)
    {
        Directory.CreateDirectory(folder);
        string ptxPath = Path.Combine(folder, $"{kernel.Name}.{architecture}.ptx");
        string cubin = Path.Combine(folder, $"{kernel.Name}.{architecture}.cubin");
        File.WriteAllText(ptxPath, kernel.Ptx);
        string log = Run(PtxasPath, [$"-arch={architecture}", "-v", "-O3", ptxPath, "-o", cubin]);
        return Read(kernel, architecture, log, cubin);
    }

    /// <summary>Reads a <c>ptxas -v</c> report (or the CUDA driver's verbose JIT log, which prints the same lines) of
    /// <paramref name="kernel"/>; numbers the log lacks are 0.</summary>
    public static PtxasReport Read(KernelPtx kernel, string architecture, string log, string cubinPath)
    {
        var target = Regex.Match(kernel.Ptx, @"^\.target\s+(\S+)", RegexOptions.Multiline);
        return new PtxasReport(kernel.Name, architecture, target.Success ? target.Groups[1].Value.TrimEnd(',') : "",
            Number(log, @"Used (\d+) registers"), Number(log, @"(\d+) bytes smem"),
            Number(log, @"(\d+) bytes spill stores"), Number(log, @"(\d+) bytes spill loads"),
            Number(log, @"(\d+) bytes stack frame"), cubinPath, log);
    }

    /// <summary>The SASS of an assembled kernel, as <c>cuobjdump -sass</c> prints it.</summary>
    public string Disassemble(string cubinPath) => Run(CuobjdumpPath, ["-sass", cubinPath]);

    private static int Number(string log, string pattern)
    {
        var m = Regex.Match(log, pattern);
        return m.Success ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
    }

    private static string Run(string tool, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(tool)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (string a in arguments) info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{tool} did not start");
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        string output = stdout + stderr.Result;
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(tool)} failed (exit {process.ExitCode}): {output.Trim()}");
        return output;
    }
}
