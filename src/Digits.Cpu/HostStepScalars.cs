using Digits.Core.Backends;

namespace Digits.Cpu;

/// <summary>
/// The device-driven ops (<see cref="IBackend.GatherBatchAt"/>, the optimizer <c>…StepAt</c> ops,
/// <see cref="IBackend.AdvanceStep"/>) on backends whose "device" is host memory: read the counter and the
/// schedule row here, then run the host-scalar op with them, so both forms give identical bits.
/// </summary>
internal static class HostStepScalars
{
    /// <summary>start = counter[0]·B, checked against the indices it will read.</summary>
    /// <exception cref="ArgumentOutOfRangeException">start + B exceeds the indices.</exception>
    public static int Start(BufferView<int> counter, int batch, BufferView<int> indices)
    {
        long start = (long)counter.Span()[0] * batch;
        if (start < 0 || start + batch > indices.Length)
            throw new ArgumentOutOfRangeException(nameof(counter), counter.Span()[0],
                $"batch {counter.Span()[0]} of {batch} is outside the {indices.Length} indices");
        return (int)start;
    }

    /// <summary>The step's scalars (lr, c₁, c₂): schedule row counter[1].</summary>
    /// <exception cref="ArgumentOutOfRangeException">counter[1] is outside the schedule.</exception>
    public static (float LearningRate, float Correction1, float Correction2) Row(BufferView<float> schedule,
        BufferView<int> counter)
    {
        int t = counter.Span()[1];
        if (t < 0 || t >= schedule.Length / 3)
            throw new ArgumentOutOfRangeException(nameof(counter), t,
                $"step {t} is outside the schedule's {schedule.Length / 3} steps");
        var row = schedule.Span().Slice(3 * t, 3);
        return (row[0], row[1], row[2]);
    }

    public static AdamParameters Adam(in AdamParameters adam, BufferView<float> schedule, BufferView<int> counter)
    {
        var (lr, c1, c2) = Row(schedule, counter);
        return adam with { LearningRate = lr, Correction1 = c1, Correction2 = c2 };
    }

    public static void Advance(BufferView<int> counter)
    {
        var c = counter.Span();
        c[0]++;
        c[1]++;
    }
}
