using Digits.Core.Backends;

namespace Digits.Tests.Support;

/// <summary>
/// The optimizer steps and the gather with their scalars given on the host, for tests of the arithmetic alone: each
/// call puts a one-row schedule (lr, c₁, c₂) and a counter on the backend and runs the device-driven op with them.
/// </summary>
public static class HostScalarOps
{
    public static void SgdStep(this IBackend be, BufferView<float> gradients, int count, int decayCount,
        float learningRate, float weightDecay, BufferView<float> parameters)
    {
        using var table = Table(be, learningRate, 1f, 1f, out var counter);
        using (counter) be.SgdStep(gradients, count, decayCount, table.View(), counter.View(), weightDecay, parameters);
    }

    public static void MomentumStep(this IBackend be, BufferView<float> gradients, int count, int decayCount,
        float learningRate, float momentum, float weightDecay, BufferView<float> velocity, BufferView<float> parameters)
    {
        using var table = Table(be, learningRate, 1f, 1f, out var counter);
        using (counter)
            be.MomentumStep(gradients, count, decayCount, table.View(), counter.View(), momentum, weightDecay, velocity,
                parameters);
    }

    /// <summary>Adam's step <paramref name="t"/> (1-based) at <paramref name="learningRate"/>: the schedule row holds
    /// them and <paramref name="adam"/>'s bias corrections for t.</summary>
    public static void AdamStep(this IBackend be, BufferView<float> gradients, int count, int decayCount,
        AdamParameters adam, long t, float learningRate, BufferView<float> m, BufferView<float> v,
        BufferView<float> parameters)
    {
        var (c1, c2) = adam.Corrections(t);
        using var table = Table(be, learningRate, c1, c2, out var counter);
        using (counter) be.AdamStep(gradients, count, decayCount, adam, table.View(), counter.View(), m, v, parameters);
    }

    /// <summary>The gather from position <paramref name="start"/> (counter[0] = start, stride 1).</summary>
    public static void GatherBatch(this IBackend be, BufferView<float> images, BufferView<int> labels,
        BufferView<int> indices, int start, int batch, int features, BufferView<float> x, BufferView<int> y)
    {
        using var counter = be.Allocate<int>(1);
        be.Upload<int>([start], counter.View());
        be.GatherBatch(images, labels, indices, counter.View(), 1, batch, features, x, y);
    }

    private static DeviceBuffer<float> Table(IBackend be, float lr, float c1, float c2, out DeviceBuffer<int> counter)
    {
        var table = be.Allocate<float>(3);
        be.Upload<float>([lr, c1, c2], table.View());
        counter = be.Allocate<int>(1);
        return table;
    }
}
