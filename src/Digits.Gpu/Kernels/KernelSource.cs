using System.Reflection;
using System.Text;

namespace Digits.Gpu.Kernels;

/// <summary>Every kernel the backends launch. A kernel's name in the source is its member's name in
/// snake_case (<see cref="KernelSource.Name"/>): <c>LinearForward</c> ↔ <c>linear_forward</c>.</summary>
internal enum Kernel
{
    Fill,
    LinearForward,
    LinearBackwardInput,
    LinearBackwardWeight,
    ActivationBackward,
    BiasBackward,
    SoftmaxCrossEntropy,
    QuadraticCost,
    Argmax,
    CountCorrect,
    GatherBatch,
    SgdStep,
    MomentumStep,
    AdamStep,
    GatherBatchAt,
    SgdStepAt,
    MomentumStepAt,
    AdamStepAt,
    AdvanceStep,
}

/// <summary>The two dialects the one kernel source is compiled in.</summary>
internal enum Dialect
{
    OpenCl,
    Cuda,
}

/// <summary>
/// The kernel source, embedded in the assembly: a prelude per dialect (<c>prelude_opencl.h</c>,
/// <c>prelude_cuda.h</c>), the shared helpers (<c>common.h</c>) and one file per kernel family
/// (<c>*.cl</c>, in name order). <c>#line</c> directives keep compiler messages pointing at the file
/// and line they came from.
/// </summary>
internal static class KernelSource
{
    private const string Prefix = "Digits.Gpu.Kernels.";
    private static readonly string[] Names = Enum.GetValues<Kernel>().Select(k => SnakeCase(k.ToString())).ToArray();

    /// <summary>Every kernel, in <see cref="Kernel"/> order.</summary>
    public static IReadOnlyList<Kernel> All { get; } = Enum.GetValues<Kernel>();

    /// <summary>The kernel's function name in the source.</summary>
    public static string Name(Kernel kernel) => Names[(int)kernel];

    /// <summary>The kernel family files (<c>linear.cl</c>, …), in name order.</summary>
    public static IReadOnlyList<string> Files { get; } = typeof(KernelSource).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal) && n.EndsWith(".cl", StringComparison.Ordinal))
        .Select(n => n[Prefix.Length..]).Order(StringComparer.Ordinal).ToArray();

    /// <summary>One embedded file's text, e.g. <c>Read("linear.cl")</c>.</summary>
    /// <exception cref="FileNotFoundException">no such resource.</exception>
    public static string Read(string file)
    {
        using var stream = typeof(KernelSource).Assembly.GetManifestResourceStream(Prefix + file)
                           ?? throw new FileNotFoundException($"kernel resource {Prefix + file} is not embedded");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    /// <summary>The whole program for <paramref name="dialect"/>: prelude, helpers, every kernel file.</summary>
    public static string Compose(Dialect dialect) => Compose(dialect, Files.Select(f => (f, Read(f))));

    /// <summary>The prelude and helpers for <paramref name="dialect"/> followed by <paramref name="files"/>
    /// (name, text): how tests compile a source of their own.</summary>
    public static string Compose(Dialect dialect, IEnumerable<(string Name, string Text)> files)
    {
        string prelude = dialect == Dialect.Cuda ? "prelude_cuda.h" : "prelude_opencl.h";
        var text = new StringBuilder();
        foreach (var (name, body) in new[] { (prelude, Read(prelude)), ("common.h", Read("common.h")) }.Concat(files))
        {
            text.Append("#line 1 \"").Append(name).Append("\"\n");
            text.Append(body);
            if (!body.EndsWith('\n')) text.Append('\n');
        }
        return text.ToString();
    }

    /// <summary>"LinearBackwardWeight" → "linear_backward_weight".</summary>
    public static string SnakeCase(string pascal)
    {
        var text = new StringBuilder();
        for (int k = 0; k < pascal.Length; k++)
        {
            if (char.IsUpper(pascal[k]) && k > 0) text.Append('_');
            text.Append(char.ToLowerInvariant(pascal[k]));
        }
        return text.ToString();
    }
}
