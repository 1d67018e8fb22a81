using System.Text;
using static Digits.Gpu.OpenCl.OpenClNative;

namespace Digits.Gpu.OpenCl;

/// <summary>Builds OpenCL programs from source: the CUDA side's twin is <c>CudaCompiler</c>.</summary>
internal static unsafe class OpenClProgram
{
    /// <summary>Builds <paramref name="source"/> for <paramref name="device"/>.</summary>
    /// <exception cref="KernelCompilationException">clBuildProgram failed; holds the build log.</exception>
    public static ClProgramHandle Build(ClContextHandle context, nint device, string source, string options,
        string compiler)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(source);
        nint raw;
        int error;
        fixed (byte* text = utf8)
        {
            byte* strings = text;
            nuint length = (nuint)utf8.Length;
            raw = clCreateProgramWithSource(context.Raw, 1, &strings, &length, out error);
        }
        ThrowIfFailed(error, "clCreateProgramWithSource(context, 1, kernels, lengths, out error)");
        var program = new ClProgramHandle(raw);
        int result = clBuildProgram(raw, 1, &device, options, 0, 0);
        if (result == Success) return program;
        string log = BuildLog(raw, device);
        program.Dispose();
        var (name, _) = OpenClErrors.Describe(result);
        throw new KernelCompilationException(compiler, options, log, name,
            "clBuildProgram(program, 1, &device, options, 0, 0)", result);
    }

    /// <summary>One kernel of a built program.</summary>
    public static ClKernelHandle CreateKernel(ClProgramHandle program, string name)
    {
        nint raw = clCreateKernel(program.Raw, name, out int error);
        ThrowIfFailed(error, $"clCreateKernel(program, \"{name}\", out error)");
        return new ClKernelHandle(raw);
    }

    /// <summary>The most work-items a work-group of <paramref name="kernel"/> may have on the device.</summary>
    public static long MaxGroupSize(ClKernelHandle kernel, nint device)
    {
        nuint size;
        ThrowIfFailed(clGetKernelWorkGroupInfo(kernel.Raw, device, KernelWorkGroupSize, (nuint)sizeof(nuint), &size,
            out _));
        return (long)size;
    }

    private static string BuildLog(nint program, nint device)
    {
        if (clGetProgramBuildInfo(program, device, ProgramBuildLog, 0, null, out nuint size) != Success || size == 0)
            return "(no build log)";
        var bytes = new byte[size];
        fixed (byte* b = bytes)
            if (clGetProgramBuildInfo(program, device, ProgramBuildLog, size, b, out _) != Success)
                return "(no build log)";
        return Encoding.UTF8.GetString(bytes).TrimEnd('\0', '\n', ' ');
    }
}
