using System.Text.RegularExpressions;
using Digits.Gpu.Kernels;
using Xunit;

namespace Digits.Tests.Gpu;

/// <summary>The one kernel source: every kernel the backends launch is defined once, every file explains itself,
/// and the two preludes define the same names.</summary>
public sealed class KernelSourceTests
{
    [Fact]
    public void Every_kernel_is_defined_exactly_once_under_its_snake_case_name()
    {
        string source = KernelSource.Compose(Dialect.OpenCl);
        foreach (var kernel in KernelSource.All)
        {
            string name = KernelSource.Name(kernel);
            Assert.Equal(KernelSource.SnakeCase(kernel.ToString()), name);
            Assert.Single(Regex.Matches(source, $@"KERNEL void {name}\("));
        }
        Assert.Equal(KernelSource.All.Count, Regex.Matches(source, @"KERNEL void \w+\(").Count);
        Assert.Equal("linear_backward_weight", KernelSource.Name(Kernel.LinearBackwardWeight));
    }

    [Fact]
    public void Every_kernel_file_opens_with_a_comment_naming_its_cpu_twin_and_geometry()
    {
        Assert.Contains("linear.cl", KernelSource.Files);
        foreach (string file in KernelSource.Files)
        {
            string text = KernelSource.Read(file);
            Assert.StartsWith($"/* {file}:", text);
            string header = text[..(text.IndexOf("*/", StringComparison.Ordinal) + 2)];
            Assert.Contains("CPU twin", header);
            Assert.Contains("Launch", header);
        }
    }

    [Fact]
    public void Both_preludes_define_the_same_names()
    {
        static string[] Names(string file) => Regex.Matches(KernelSource.Read(file),
                @"^#define (\w+)|^DEVICE_FN \w+ (\w+)\(", RegexOptions.Multiline)
            .Select(m => m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value)
            .Where(n => n != "DIM_OF").Order().ToArray();
        Assert.Equal(Names("prelude_opencl.h"), Names("prelude_cuda.h"));
        Assert.Contains("atomic_add_float", Names("prelude_cuda.h"));
    }

    /// <summary>The kernel files and common.h are compiled as OpenCL C and as CUDA C++, so they may use only
    /// what both accept: the prelude's names, C, and float4 through load_float4 with its components read as
    /// .x .y .z .w (CUDA's float4 is a struct without operators, swizzles or OpenCL's vector literals).</summary>
    [Fact]
    public void Kernel_files_use_no_construct_only_one_dialect_accepts()
    {
        string[] openClOnly = [@"\b__kernel\b", @"\b__global\b", @"\b__local\b", @"\bget_(global|local|group)_id\b",
            @"\bbarrier\(", @"\bvload\d", @"\bvstore\d", @"\bnative_\w+", @"\bas_(float|uint|int)\b",
            @"\(float[248]\)\s*\(", @"\.s[0-9a-f]\b", @"\.(xy|xyz|xyzw|lo|hi|even|odd)\b", @"\bconvert_\w+"];
        string[] cudaOnly = [@"\b__global__\b", @"\b__shared__\b", @"\b__device__\b", @"\b__syncthreads\b",
            @"\b(threadIdx|blockIdx|blockDim|gridDim)\b", @"\batomicAdd\b", @"\bmake_float\d\b",
            @"\breinterpret_cast\b", @"\b__ldg\b"];
        foreach (string file in KernelSource.Files.Append("common.h"))
        {
            // Comments may name either dialect's constructs.
            string code = Regex.Replace(KernelSource.Read(file), @"/\*.*?\*/|//[^\n]*", "", RegexOptions.Singleline);
            foreach (string pattern in openClOnly.Concat(cudaOnly))
                Assert.False(Regex.IsMatch(code, pattern), $"{file} uses {pattern}, which only one dialect accepts");
        }
    }

    [Fact]
    public void The_CUDA_prelude_loads_float4_through_an_aligned_reinterpret_cast()
    {
        string cuda = KernelSource.Read("prelude_cuda.h"), openCl = KernelSource.Read("prelude_opencl.h");
        Assert.Contains("DEVICE_FN float4 load_float4(const float* p) { return *reinterpret_cast<const float4*>(p); }",
            cuda);
        Assert.Contains("DEVICE_FN float4 load_float4(const GLOBAL float* p) { return *(const GLOBAL float4*)p; }",
            openCl);
    }

    [Fact]
    public void The_composed_source_marks_each_file_for_the_compilers_messages()
    {
        string cuda = KernelSource.Compose(Dialect.Cuda);
        Assert.StartsWith("#line 1 \"prelude_cuda.h\"", cuda);
        foreach (string file in KernelSource.Files) Assert.Contains($"#line 1 \"{file}\"", cuda);
        Assert.DoesNotContain("prelude_opencl.h\"", cuda);
    }
}
