namespace Digits.Core.Backends;

/// <summary>Which of a dense layer's three GEMMs, named after the <see cref="IBackend"/> op that computes it
/// (<c>Linear</c> + the name): forward (y = x·Wᵀ, NT), backward-input (dx = dz·W, NN) or backward-weight
/// (dW = dzᵀ·x, TN).</summary>
public enum GemmOp
{
    Forward,
    BackwardInput,
    BackwardWeight,
}

/// <summary>
/// One GEMM a dense layer issues: <see cref="Op"/> at mini-batch B = <see cref="Batch"/> with I = <see cref="Inputs"/>
/// and O = <see cref="Outputs"/> (the sizes <see cref="IBackend"/>'s Linear ops take), which computes
/// C(M,N) = A(M,K)·B(K,N). <see cref="Network"/> and <see cref="Layer"/> say whose it is: a configuration or preset
/// (<c>large</c>, <c>small/quick</c>) and the layer's index (0 reads the input), or a made-up product
/// (<c>square</c>, <c>check</c>) at layer 0. The CPU micro-benchmarks, <c>digits bench --gemm</c> and
/// <c>digits kernels --plans</c> all describe their GEMMs so.
/// </summary>
public sealed record DenseGemm(string Network, GemmOp Op, int Batch, int Inputs, int Outputs, int Layer = 0)
{
    /// <summary>2·B·I·O (= 2·M·N·K) floating-point operations: a multiply-add counts 2.</summary>
    public double Flops => 2.0 * Batch * Inputs * Outputs;

    /// <summary>Rows of C: B, or O for the backward-weight (dW is (O,I)).</summary>
    public int M => Op == GemmOp.BackwardWeight ? Outputs : Batch;

    /// <summary>Columns of C: O for the forward (y is (B,O)), else I.</summary>
    public int N => Op == GemmOp.Forward ? Outputs : Inputs;

    /// <summary>The length of each dot product: I for the forward, O for the backward-input, B for the
    /// backward-weight.</summary>
    public int K => Op switch
    {
        GemmOp.Forward => Inputs,
        GemmOp.BackwardInput => Outputs,
        _ => Batch,
    };

    /// <summary>"large Forward B=256 I=784 O=1024": how the tables name it.</summary>
    public string Name => $"{Network} {Op} B={Batch} I={Inputs} O={Outputs}";

    /// <summary>The <see cref="IBackend"/> op that computes it: <c>LinearForward</c>, <c>LinearBackwardInput</c> or
    /// <c>LinearBackwardWeight</c> (its GPU kernel has the same name).</summary>
    public string BackendOp => Op switch
    {
        GemmOp.Forward => nameof(IBackend.LinearForward),
        GemmOp.BackwardInput => nameof(IBackend.LinearBackwardInput),
        _ => nameof(IBackend.LinearBackwardWeight),
    };

    /// <summary>The lengths of the op's operands in the order <see cref="Run"/> takes them: forward x (B·I),
    /// W (O·I) → y (B·O); backward-input dz (B·O), W (O·I) → dx (B·I); backward-weight x (B·I), dz (B·O) →
    /// dW (O·I).</summary>
    public (int First, int Second, int Result) OperandLengths => Op switch
    {
        GemmOp.Forward => (Batch * Inputs, Outputs * Inputs, Batch * Outputs),
        GemmOp.BackwardInput => (Batch * Outputs, Outputs * Inputs, Batch * Inputs),
        _ => (Batch * Inputs, Batch * Outputs, Outputs * Inputs),
    };

    /// <summary>"large-Forward-256x784x1024": a BenchmarkDotNet parameter's name.</summary>
    public override string ToString() => $"{Network}-{Op}-{Batch}x{Inputs}x{Outputs}";

    /// <summary>Queues the op on <paramref name="backend"/> with the operands of <see cref="OperandLengths"/>; the
    /// forward adds <paramref name="bias"/> (O) and applies <paramref name="activation"/>, the others ignore both.</summary>
    /// <exception cref="ArgumentException">An operand is shorter than its length (the backend's check).</exception>
    public void Run(IBackend backend, BufferView<float> first, BufferView<float> second, BufferView<float> bias,
        Activation activation, BufferView<float> result)
    {
        switch (Op)
        {
            case GemmOp.Forward:
                backend.LinearForward(first, second, bias, activation, Batch, Inputs, Outputs, result);
                break;
            case GemmOp.BackwardInput: backend.LinearBackwardInput(first, second, Batch, Inputs, Outputs, result); break;
            default: backend.LinearBackwardWeight(first, second, Batch, Inputs, Outputs, result); break;
        }
    }

    /// <summary>The GEMMs one training step issues for an MLP of <paramref name="widths"/> (I, H…, O) at mini-batch
    /// <paramref name="batch"/>: per layer the forward, the weight gradient and, above the first layer (whose input
    /// is data, so nothing needs its gradient), the input gradient, the two gradients in the order the backward pass
    /// computes them.</summary>
    public static IEnumerable<DenseGemm> OfStep(string network, IReadOnlyList<int> widths, int batch)
    {
        for (int layer = 0; layer + 1 < widths.Count; layer++)
        {
            int inputs = widths[layer], outputs = widths[layer + 1];
            yield return new DenseGemm(network, GemmOp.Forward, batch, inputs, outputs, layer);
            yield return new DenseGemm(network, GemmOp.BackwardWeight, batch, inputs, outputs, layer);
            if (layer > 0) yield return new DenseGemm(network, GemmOp.BackwardInput, batch, inputs, outputs, layer);
        }
    }
}
