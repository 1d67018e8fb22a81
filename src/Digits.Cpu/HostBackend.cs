using Digits.Core.Backends;

namespace Digits.Cpu;

/// <summary>
/// What the two CPU backends share because their "device" is host memory: buffers are <see cref="HostBuffer{T}"/>,
/// copies are span copies, nothing is queued, and the device-driven ops (<see cref="IBackend.GatherBatch"/>, the
/// optimizer steps, <see cref="IBackend.AdvanceStep"/>) read the counter and the schedule row here, then run the
/// backend's own host-scalar arithmetic (the protected overloads below) with them.
/// </summary>
public abstract class HostBackend : BackendBase
{
    /// <summary>A host array, refused up front when it would take the process's managed memory (the datasets' host
    /// copies count too) past what the runtime may use (<see cref="GCMemoryInfo.TotalAvailableMemoryBytes"/>: physical memory or the container's limit), where
    /// the operating system would otherwise kill the process without a word.</summary>
    /// <exception cref="DeviceMemoryException">the buffer does not fit.</exception>
    protected override DeviceBuffer<T> AllocateCore<T>(int length)
    {
        long bytes = (long)length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        long limit = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes, inUse = GC.GetTotalMemory(false);
        if (limit > 0 && inUse + bytes > limit) throw new DeviceMemoryException(Name, bytes, AllocatedBytes, inUse, limit);
        try
        {
            return new HostBuffer<T>(this, length);
        }
        catch (OutOfMemoryException)
        {
            throw new DeviceMemoryException(Name, bytes, AllocatedBytes, GC.GetTotalMemory(false), limit);
        }
    }

    protected override void UploadCore<T>(ReadOnlySpan<T> source, BufferView<T> destination) =>
        source.CopyTo(destination.Span());

    protected override void DownloadCore<T>(BufferView<T> source, Span<T> destination) =>
        source.Span().CopyTo(destination);

    protected override void FillCore(float value, BufferView<float> destination) => destination.Span().Fill(value);

    protected override void FillCore(int value, BufferView<int> destination) => destination.Span().Fill(value);

    protected override void SynchronizeCore()
    {
    }

    protected override void GatherBatchCore(BufferView<float> images, BufferView<int> labels,
        BufferView<int> indices, BufferView<int> counter, int stride, int batch, int features, BufferView<float> x,
        BufferView<int> y) =>
        GatherBatchCore(images, labels, indices, Start(counter, stride, batch, indices), batch, features, x, y);

    protected override void SgdStepCore(BufferView<float> gradients, int count, int decayCount,
        BufferView<float> schedule, BufferView<int> counter, float weightDecay, BufferView<float> parameters) =>
        SgdStepCore(gradients, count, decayCount, Row(schedule, counter).LearningRate, weightDecay, parameters);

    protected override void MomentumStepCore(BufferView<float> gradients, int count, int decayCount,
        BufferView<float> schedule, BufferView<int> counter, float momentum, float weightDecay,
        BufferView<float> velocity, BufferView<float> parameters) =>
        MomentumStepCore(gradients, count, decayCount, Row(schedule, counter).LearningRate, momentum, weightDecay,
            velocity, parameters);

    protected override void AdamStepCore(BufferView<float> gradients, int count, int decayCount,
        in AdamParameters adam, BufferView<float> schedule, BufferView<int> counter, BufferView<float> m,
        BufferView<float> v, BufferView<float> parameters) =>
        AdamStepCore(gradients, count, decayCount, Adam(adam, schedule, counter), m, v, parameters);

    protected override void DropoutCore(BufferView<float> x, BufferView<int> counter, in DropoutParameters dropout,
        int count, BufferView<float> y) =>
        DropoutCore(x, counter.Span()[1], dropout, count, y);

    protected override void AugmentCore(BufferView<float> x, BufferView<int> counter, in AugmentParameters augment,
        int batch, BufferView<float> gaussian, BufferView<float> field, BufferView<float> y) =>
        AugmentCore(x, counter.Span()[1], augment, batch, gaussian, field, y);

    /// <summary>Dropout with the global step on the host (see <see cref="IBackend.Dropout"/>). x, y (count); y may
    /// be x.</summary>
    protected abstract void DropoutCore(BufferView<float> x, int step, in DropoutParameters dropout, int count,
        BufferView<float> y);

    /// <summary>Augmentation with the global step on the host (see <see cref="IBackend.Augment"/>).</summary>
    protected abstract void AugmentCore(BufferView<float> x, int step, in AugmentParameters augment, int batch,
        BufferView<float> gaussian, BufferView<float> field, BufferView<float> y);

    /// <summary>The gather with the start row on the host: x[r,:] = images[indices[start+r],:],
    /// y[r] = labels[indices[start+r]]. images (N,I), labels (N), indices (≥ start+B), x (B,I), y (B).</summary>
    /// <exception cref="ArgumentOutOfRangeException">an index is outside the dataset's rows.</exception>
    protected abstract void GatherBatchCore(BufferView<float> images, BufferView<int> labels,
        BufferView<int> indices, int start, int batch, int features, BufferView<float> x, BufferView<int> y);

    /// <summary>SGD with the learning rate on the host (see <see cref="IBackend.SgdStep"/>).</summary>
    protected abstract void SgdStepCore(BufferView<float> gradients, int count, int decayCount, float learningRate,
        float weightDecay, BufferView<float> parameters);

    /// <summary>Momentum with the learning rate on the host (see <see cref="IBackend.MomentumStep"/>).</summary>
    protected abstract void MomentumStepCore(BufferView<float> gradients, int count, int decayCount,
        float learningRate, float momentum, float weightDecay, BufferView<float> velocity,
        BufferView<float> parameters);

    /// <summary>Adam with every scalar on the host (see <see cref="IBackend.AdamStep"/>).</summary>
    protected abstract void AdamStepCore(BufferView<float> gradients, int count, int decayCount,
        in AdamStepScalars adam, BufferView<float> m, BufferView<float> v, BufferView<float> parameters);

    /// <summary>One Adam step's scalars on the host: the hyper-parameters of <see cref="AdamParameters"/> and the
    /// learning rate and bias corrections c₁, c₂ of the step's schedule row.</summary>
    protected readonly record struct AdamStepScalars(float LearningRate, float Beta1, float Beta2, float Epsilon,
        float WeightDecay, float Correction1, float Correction2);

    protected override void AdvanceStepCore(BufferView<int> counter, BufferView<float> lossSum)
    {
        var c = counter.Span();
        if (c[2] < 0 && !float.IsFinite(lossSum.Span()[0])) c[2] = c[1];
        c[0]++;
        c[1]++;
    }

    /// <summary>start = counter[0]·stride, checked against the indices it will read.</summary>
    /// <exception cref="ArgumentOutOfRangeException">start + B exceeds the indices.</exception>
    private static int Start(BufferView<int> counter, int stride, int batch, BufferView<int> indices)
    {
        long start = (long)counter.Span()[0] * stride;
        if (start < 0 || start + batch > indices.Length)
            throw new ArgumentOutOfRangeException(nameof(counter), counter.Span()[0],
                $"mini-batch {counter.Span()[0]} ({batch} rows from {start}) is outside the {indices.Length} indices");
        return (int)start;
    }

    /// <summary>The step's scalars (lr, c₁, c₂): schedule row counter[0].</summary>
    /// <exception cref="ArgumentOutOfRangeException">counter[0] is outside the schedule.</exception>
    private static (float LearningRate, float Correction1, float Correction2) Row(BufferView<float> schedule,
        BufferView<int> counter)
    {
        int t = counter.Span()[0];
        if (t < 0 || t >= schedule.Length / 3)
            throw new ArgumentOutOfRangeException(nameof(counter), t,
                $"mini-batch {t} is outside the schedule's {schedule.Length / 3} rows");
        var row = schedule.Span().Slice(3 * t, 3);
        return (row[0], row[1], row[2]);
    }

    private static AdamStepScalars Adam(in AdamParameters adam, BufferView<float> schedule, BufferView<int> counter)
    {
        var (lr, c1, c2) = Row(schedule, counter);
        return new AdamStepScalars(lr, adam.Beta1, adam.Beta2, adam.Epsilon, adam.WeightDecay, c1, c2);
    }
}
