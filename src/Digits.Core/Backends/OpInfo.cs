namespace Digits.Core.Backends;

/// <summary>What kind of work a <see cref="BackendBase"/> hands an <see cref="IOpInterceptor"/>.</summary>
public enum OpKind
{
    /// <summary>An op of <see cref="IBackend"/> (a kernel launch on a GPU, a call on the CPU, counted in
    /// <see cref="IBackend.Launches"/>): it reads and writes device memory only, so it may be run later, as a recorded
    /// step graph does.</summary>
    Launch,

    /// <summary>An upload or a download: host memory is involved, so it runs before the call returns.</summary>
    Transfer,

    /// <summary>An allocation.</summary>
    Allocation,

    /// <summary>A wait for the device.</summary>
    Synchronization,
}

/// <summary>
/// One piece of work as an <see cref="IOpInterceptor"/> sees it: the <see cref="IBackend"/> method's name, its kind
/// and up to three sizes (−1 where unused; a GEMM's are B, I, O as the Linear ops take them).
/// </summary>
public readonly record struct OpInfo(string Name, OpKind Kind, int Size1 = -1, int Size2 = -1, int Size3 = -1,
    bool Gemm = false)
{
    /// <summary>An op of <see cref="OpKind.Launch"/> with its sizes.</summary>
    public static OpInfo Launch(string name, int size1 = -1, int size2 = -1, int size3 = -1) =>
        new(name, OpKind.Launch, size1, size2, size3);

    /// <summary>A dense layer's GEMM: x (B,I) with weight (O,I).</summary>
    public static OpInfo GemmLaunch(string name, int batch, int inputs, int outputs) =>
        new(name, OpKind.Launch, batch, inputs, outputs, Gemm: true);

    /// <summary>The sizes as the profile prints them: "128×784→256" for a GEMM (B×I→O), else the sizes joined by ×
    /// ("128×10", "203530"), or "" for an op without sizes.</summary>
    public string Shape
    {
        get
        {
            if (Gemm) return $"{Size1}×{Size2}→{Size3}";
            if (Size1 < 0) return "";
            if (Size2 < 0) return Size1.ToString();
            return Size3 < 0 ? $"{Size1}×{Size2}" : $"{Size1}×{Size2}×{Size3}";
        }
    }

    /// <summary>Floating-point operations: 2·B·I·O for a GEMM (one multiply and one add per term), else 0.</summary>
    public double Flops => Gemm ? 2.0 * Size1 * Size2 * Size3 : 0;
}
