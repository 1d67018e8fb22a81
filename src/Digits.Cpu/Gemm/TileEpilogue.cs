using System.Runtime.CompilerServices;
using System.Numerics.Tensors;
using Digits.Core.Backends;

namespace Digits.Cpu.Gemm;

/// <summary>
/// What a micro-kernel does with its accumulators when it writes a tile of C (the GEMM's output pass):
/// C = act(acc + (Accumulate ? C : 0) + bias). Bias and activation are given only for the last k block, so
/// a dense layer's forward writes act(bias + Σ) in the same pass that stores the product.
/// </summary>
internal readonly unsafe struct TileEpilogue(bool accumulate, float* bias, Activation activation)
{
    /// <summary>Add to the partial sums already in C (every k block after the first).</summary>
    public readonly bool Accumulate = accumulate;

    /// <summary>Per-column bias at the tile's first column, or null.</summary>
    public readonly float* Bias = bias;

    /// <summary>Applied after the bias (Identity for all but the last k block).</summary>
    public readonly Activation Activation = activation;

    /// <summary>Same epilogue with the bias pointer moved to column <paramref name="n"/>.</summary>
    public TileEpilogue AtColumn(int n) => new(Accumulate, Bias == null ? null : Bias + n, Activation);

    /// <summary>True for activations the kernels apply in a pass over the stored rows (sigmoid, tanh)
    /// rather than in registers (identity, relu).</summary>
    public bool NeedsRowPass => Activation is Activation.Sigmoid or Activation.Tanh;

    /// <summary>Stores an mr×nr corner of a tile that the kernel left in <paramref name="tile"/> (row stride
    /// <paramref name="tileStride"/>): the edge path, scalar, with the same operation order as the vector path
    /// (acc + C, then + bias, then relu), so an element's value does not depend on which path wrote it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void StoreEdge(float* tile, int tileStride, float* c, int ldc, int mr, int nr)
    {
        bool relu = Activation == Activation.Relu;
        for (int r = 0; r < mr; r++)
        {
            float* s = tile + r * tileStride, d = c + (nint)r * ldc;
            for (int j = 0; j < nr; j++)
            {
                float v = s[j];
                if (Accumulate) v += d[j];
                if (Bias != null) v += Bias[j];
                if (relu) v = v > 0 ? v : 0;
                d[j] = v;
            }
        }
        if (NeedsRowPass) ApplyRowPass(c, ldc, mr, nr);
    }

    /// <summary>Applies sigmoid or tanh in place to an mr×nr block of C while it is still in L1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void ApplyRowPass(float* c, int ldc, int mr, int nr)
    {
        for (int r = 0; r < mr; r++)
        {
            var row = new Span<float>(c + (nint)r * ldc, nr);
            if (Activation == Activation.Sigmoid) TensorPrimitives.Sigmoid(row, row);
            else TensorPrimitives.Tanh(row, row);
        }
    }
}
