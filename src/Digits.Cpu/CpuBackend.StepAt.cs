using Digits.Core.Backends;

namespace Digits.Cpu;

// The device-driven ops: the counter and schedule are read on the host (they are host memory here) and the
// host-scalar ops run with them, so both forms give identical bits.
public sealed partial class CpuBackend
{
    protected override void GatherBatchAtCore(BufferView<float> images, BufferView<int> labels,
        BufferView<int> indices, BufferView<int> counter, int batch, int features, BufferView<float> x,
        BufferView<int> y) =>
        GatherBatchCore(images, labels, indices, HostStepScalars.Start(counter, batch, indices), batch, features, x, y);

    protected override void SgdStepAtCore(BufferView<float> gradients, int count, int decayCount,
        BufferView<float> schedule, BufferView<int> counter, float weightDecay, BufferView<float> parameters) =>
        SgdStepCore(gradients, count, decayCount, HostStepScalars.Row(schedule, counter).LearningRate, weightDecay,
            parameters);

    protected override void MomentumStepAtCore(BufferView<float> gradients, int count, int decayCount,
        BufferView<float> schedule, BufferView<int> counter, float momentum, float weightDecay,
        BufferView<float> velocity, BufferView<float> parameters) =>
        MomentumStepCore(gradients, count, decayCount, HostStepScalars.Row(schedule, counter).LearningRate,
            momentum, weightDecay, velocity, parameters);

    protected override void AdamStepAtCore(BufferView<float> gradients, int count, int decayCount,
        in AdamParameters adam, BufferView<float> schedule, BufferView<int> counter, BufferView<float> m,
        BufferView<float> v, BufferView<float> parameters) =>
        AdamStepCore(gradients, count, decayCount, HostStepScalars.Adam(adam, schedule, counter), m, v, parameters);

    protected override void AdvanceStepCore(BufferView<int> counter) => HostStepScalars.Advance(counter);
}
