namespace Digits.Benchmarks;

/// <summary>Which dense-layer GEMM: forward (y = x·Wᵀ, NT), backward-input (dx = dz·W, NN) or
/// backward-weight (dW = dzᵀ·x, TN).</summary>
public enum GemmOp
{
    Forward,
    BackwardInput,
    BackwardWeight,
}

/// <summary>One GEMM as a training configuration issues it: batch B, layer inputs I, outputs O.</summary>
public sealed record GemmShape(string Config, GemmOp Op, int Batch, int Inputs, int Outputs) : IHasFlops
{
    /// <summary>2·B·I·O floating-point operations.</summary>
    public double Flops => 2.0 * Batch * Inputs * Outputs;

    /// <summary>(M, N, K) of the product this op computes.</summary>
    public (int M, int N, int K) Mnk => Op switch
    {
        GemmOp.Forward => (Batch, Outputs, Inputs),
        GemmOp.BackwardInput => (Batch, Inputs, Outputs),
        _ => (Outputs, Inputs, Batch),
    };

    public string Name => $"{Config} {Op} B={Batch} I={Inputs} O={Outputs}";

    public override string ToString() => $"{Config}-{Op}-{Batch}x{Inputs}x{Outputs}";

    /// <summary>The configurations' layers (small 784-128-10 at batch 128, large 784-1024-1024-10 at 256,
    /// nielsen 784-30-10 at 10), every op of each layer, and the 1024³ products.</summary>
    public static IReadOnlyList<GemmShape> All { get; } = Build();

    private static List<GemmShape> Build()
    {
        var shapes = new List<GemmShape>();
        foreach (var op in Enum.GetValues<GemmOp>()) shapes.Add(new GemmShape("square", op, 1024, 1024, 1024));
        (string Name, int Batch, int[] Widths)[] configs =
        [
            ("small", 128, [784, 128, 10]),
            ("large", 256, [784, 1024, 1024, 10]),
            ("nielsen", 10, [784, 30, 10]),
        ];
        foreach (var (name, batch, widths) in configs)
            for (int layer = 0; layer + 1 < widths.Length; layer++)
                foreach (var op in Enum.GetValues<GemmOp>())
                {
                    // The first layer's input gradient is never needed (the input is data).
                    if (layer == 0 && op == GemmOp.BackwardInput) continue;
                    shapes.Add(new GemmShape(name, op, batch, widths[layer], widths[layer + 1]));
                }
        return shapes;
    }
}
