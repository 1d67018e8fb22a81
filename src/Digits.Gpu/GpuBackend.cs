using Digits.Core.Backends;
using Digits.Gpu.Kernels;

namespace Digits.Gpu;

/// <summary>
/// What <see cref="Cuda.CudaBackend"/> and <see cref="OpenCl.OpenClBackend"/> share: every op of
/// <see cref="IBackend"/> written once as a launch of its kernel from <c>Kernels/*.cl</c> (same name in
/// snake_case), with its geometry and its (pointer, element offset) arguments. A backend supplies memory,
/// copies and the launch itself. No op synchronizes with the host or copies anything: the loss and
/// correct-count scalars stay on the device until someone downloads them.
/// <para>Lifetime: disposing the backend frees every buffer of it still live (each is then disposed, so
/// <see cref="IBackend.LiveBuffers"/> is 0 and a later <c>Dispose</c> of the buffer does nothing) and
/// then its native state.</para>
/// <para>Threads: ops may be called from any thread; they are queued in call order on the backend's one
/// queue (CUDA stream / OpenCL in-order queue).</para>
/// </summary>
public abstract class GpuBackend : BackendBase
{
    private readonly HashSet<IGpuBuffer> _live = [];
    private readonly Lock _liveGate = new();
    private long _hostTransfers;

    private protected GpuBackend()
    {
    }

    /// <summary>Threads per work-group of the 1-D and reduction kernels (the kernels' <c>WG</c>).</summary>
    public int GroupSize { get; private protected set; } = 256;

    /// <summary>GEMM work-groups are <see cref="GemmThreads"/>² threads, each computing 4×4 outputs.</summary>
    public int GemmThreads { get; private protected set; } = 16;

    /// <summary>Whether the GEMMs may read their tiles with 16-byte loads where <see cref="Float4"/> allows (the
    /// default); tests and the benchmark turn it off to compare with the scalar loads. Read at each launch.</summary>
    internal bool VectorLoads { get; set; } = true;

    /// <summary>Uploads and downloads since creation: a training step adds none.</summary>
    public long HostTransfers => Interlocked.Read(ref _hostTransfers);

    /// <summary>Queues <paramref name="kernel"/> with <paramref name="args"/> on the backend's queue.</summary>
    private protected abstract void Launch(Kernel kernel, in LaunchShape shape, ReadOnlySpan<KernelArg> args);

    /// <summary>Counts one host transfer (called by the backends' upload and download).</summary>
    private protected void CountTransfer() => Interlocked.Increment(ref _hostTransfers);

    /// <summary>The <c>-D</c> definitions every build of the kernels gets.</summary>
    private protected string Definitions => $"-DWG={GroupSize} -DGEMM_T={GemmThreads}";

    private protected void Remember(IGpuBuffer buffer)
    {
        lock (_liveGate) _live.Add(buffer);
    }

    internal void Forget(IGpuBuffer buffer)
    {
        lock (_liveGate) _live.Remove(buffer);
    }

    /// <summary>Frees the buffers still live, then calls <see cref="ReleaseNative"/>.</summary>
    protected sealed override void Dispose(bool disposing)
    {
        IGpuBuffer[] left;
        lock (_liveGate) left = [.. _live];
        foreach (var buffer in left) buffer.Free();
        ReleaseNative();
    }

    /// <summary>Releases the backend's queue, kernels and context. Must not throw.</summary>
    private protected abstract void ReleaseNative();

    private static KernelArg P<T>(BufferView<T> view) where T : unmanaged =>
        KernelArg.Pointer(((GpuBuffer<T>)view.Buffer).Address);

    private static KernelArg I(int value) => KernelArg.Int(value);

    private static KernelArg F(float value) => KernelArg.Float(value);

    private LaunchShape Linear(long items) => LaunchShape.Linear(items, GroupSize);

    /// <summary>One work-group per GEMM_BM × GEMM_BN block of the (m, n) result (see linear.cl).</summary>
    private LaunchShape Gemm(int m, int n)
    {
        int block = GemmThreads * 4;
        return new LaunchShape((n + block - 1) / block, (m + block - 1) / block, GemmThreads, GemmThreads);
    }

    /// <summary>
    /// Whether a GEMM input can be read as float4 (a kernel's <c>*_vec4</c> flag, see linear.cl): the matrix's
    /// leading dimension (elements from one row to the next) and its view's element offset are multiples of 4, so
    /// every run of 4 elements starting at a multiple of 4 is 16-byte aligned — the buffer itself starts at least
    /// 16-byte aligned (cuMemAlloc: 256 bytes; OpenCL: CL_DEVICE_MEM_BASE_ADDR_ALIGN, at least the size of a
    /// long16 or int16, 64 bytes or more).
    /// </summary>
    internal static bool Float4Aligned(int offset, int leadingDimension) => offset % 4 == 0 && leadingDimension % 4 == 0;

    /// <summary><see cref="Float4Aligned"/> for <paramref name="matrix"/> as a kernel flag, 0 when
    /// <see cref="VectorLoads"/> is off.</summary>
    private KernelArg Float4(BufferView<float> matrix, int leadingDimension) =>
        I(VectorLoads && Float4Aligned(matrix.Offset, leadingDimension) ? 1 : 0);

    protected override void FillCore(float value, BufferView<float> destination) =>
        Launch(Kernel.Fill, Linear(destination.Length),
            [P(destination), I(destination.Offset), I(destination.Length), KernelArg.UInt(BitConverter.SingleToUInt32Bits(value))]);

    protected override void FillCore(int value, BufferView<int> destination) =>
        Launch(Kernel.Fill, Linear(destination.Length),
            [P(destination), I(destination.Offset), I(destination.Length), KernelArg.UInt((uint)value)]);

    protected override void LinearForwardCore(BufferView<float> x, BufferView<float> weight, BufferView<float> bias,
        Activation activation, int batch, int inputs, int outputs, BufferView<float> y) =>
        Launch(Kernel.LinearForward, Gemm(batch, outputs),
            [P(x), I(x.Offset), P(weight), I(weight.Offset), P(bias), I(bias.Offset), I((int)activation), I(batch),
             I(inputs), I(outputs), Float4(x, inputs), Float4(weight, inputs), P(y), I(y.Offset)]);

    protected override void ActivationBackwardCore(BufferView<float> y, BufferView<float> dy, Activation activation,
        int count, BufferView<float> dz) =>
        Launch(Kernel.ActivationBackward, Linear(count),
            [P(y), I(y.Offset), P(dy), I(dy.Offset), I((int)activation), I(count), P(dz), I(dz.Offset)]);

    protected override void LinearBackwardInputCore(BufferView<float> dz, BufferView<float> weight, int batch,
        int inputs, int outputs, BufferView<float> dx) =>
        Launch(Kernel.LinearBackwardInput, Gemm(batch, inputs),
            [P(dz), I(dz.Offset), P(weight), I(weight.Offset), I(batch), I(inputs), I(outputs), Float4(dz, outputs),
             Float4(weight, inputs), P(dx), I(dx.Offset)]);

    protected override void LinearBackwardWeightCore(BufferView<float> x, BufferView<float> dz, int batch,
        int inputs, int outputs, BufferView<float> dWeight) =>
        Launch(Kernel.LinearBackwardWeight, Gemm(outputs, inputs),
            [P(x), I(x.Offset), P(dz), I(dz.Offset), I(batch), I(inputs), I(outputs), Float4(x, inputs),
             Float4(dz, outputs), P(dWeight), I(dWeight.Offset)]);

    /// <summary>Groups of 32 columns × (WG/32) rows of threads (see bias.cl).</summary>
    protected override void BiasBackwardCore(BufferView<float> dz, int batch, int outputs, BufferView<float> dBias) =>
        Launch(Kernel.BiasBackward, new LaunchShape((outputs + 31) / 32, 1, 32, GroupSize / 32),
            [P(dz), I(dz.Offset), I(batch), I(outputs), P(dBias), I(dBias.Offset)]);

    protected override void SoftmaxCrossEntropyCore(BufferView<float> logits, BufferView<int> labels, int batch,
        int classes, float scale, BufferView<float> dLogits, BufferView<float> lossSum) =>
        Launch(Kernel.SoftmaxCrossEntropy, Linear(batch),
            [P(logits), I(logits.Offset), P(labels), I(labels.Offset), I(batch), I(classes), F(scale), P(dLogits),
             I(dLogits.Offset), P(lossSum), I(lossSum.Offset)]);

    protected override void QuadraticCostCore(BufferView<float> outputs, BufferView<int> labels, int batch,
        int classes, float scale, BufferView<float> dPre, BufferView<float> lossSum) =>
        Launch(Kernel.QuadraticCost, Linear(batch),
            [P(outputs), I(outputs.Offset), P(labels), I(labels.Offset), I(batch), I(classes), F(scale), P(dPre),
             I(dPre.Offset), P(lossSum), I(lossSum.Offset)]);

    protected override void ArgmaxCore(BufferView<float> scores, int batch, int classes, BufferView<int> predictions) =>
        Launch(Kernel.Argmax, Linear(batch),
            [P(scores), I(scores.Offset), I(batch), I(classes), P(predictions), I(predictions.Offset)]);

    protected override void CountCorrectCore(BufferView<float> scores, BufferView<int> labels, int batch,
        int classes, BufferView<int> correct) =>
        Launch(Kernel.CountCorrect, Linear(batch),
            [P(scores), I(scores.Offset), P(labels), I(labels.Offset), I(batch), I(classes), P(correct),
             I(correct.Offset)]);

    /// <summary>Rows outside [0, rows) gather zeros and label −1 (see gather.cl).</summary>
    protected override void GatherBatchCore(BufferView<float> images, BufferView<int> labels,
        BufferView<int> indices, int start, int batch, int features, BufferView<float> x, BufferView<int> y)
    {
        int rows = features == 0 ? labels.Length : Math.Min(images.Length / features, labels.Length);
        Launch(Kernel.GatherBatch, Linear((long)batch * features + batch),
            [P(images), I(images.Offset), P(labels), I(labels.Offset), P(indices), I(indices.Offset), I(start),
             I(batch), I(features), I(rows), P(x), I(x.Offset), P(y), I(y.Offset)]);
    }

    protected override void SgdStepCore(BufferView<float> gradients, int count, int decayCount, float learningRate,
        float weightDecay, BufferView<float> parameters) =>
        Launch(Kernel.SgdStep, Linear(count),
            [P(gradients), I(gradients.Offset), I(count), I(decayCount), F(learningRate), F(weightDecay),
             P(parameters), I(parameters.Offset)]);

    protected override void MomentumStepCore(BufferView<float> gradients, int count, int decayCount,
        float learningRate, float momentum, float weightDecay, BufferView<float> velocity,
        BufferView<float> parameters) =>
        Launch(Kernel.MomentumStep, Linear(count),
            [P(gradients), I(gradients.Offset), I(count), I(decayCount), F(learningRate), F(momentum),
             F(weightDecay), P(velocity), I(velocity.Offset), P(parameters), I(parameters.Offset)]);

    protected override void AdamStepCore(BufferView<float> gradients, int count, int decayCount,
        in AdamParameters adam, BufferView<float> m, BufferView<float> v, BufferView<float> parameters) =>
        Launch(Kernel.AdamStep, Linear(count),
            [P(gradients), I(gradients.Offset), I(count), I(decayCount), F(adam.LearningRate), F(adam.Beta1),
             F(adam.Beta2), F(adam.Epsilon), F(adam.WeightDecay), F(adam.Correction1), F(adam.Correction2),
             P(m), I(m.Offset), P(v), I(v.Offset), P(parameters), I(parameters.Offset)]);

    /// <summary>As <see cref="GatherBatchCore"/>, start read from counter[0] (see gather.cl).</summary>
    protected override void GatherBatchAtCore(BufferView<float> images, BufferView<int> labels,
        BufferView<int> indices, BufferView<int> counter, int batch, int features, BufferView<float> x,
        BufferView<int> y)
    {
        int rows = features == 0 ? labels.Length : Math.Min(images.Length / features, labels.Length);
        Launch(Kernel.GatherBatchAt, Linear((long)batch * features + batch),
            [P(images), I(images.Offset), P(labels), I(labels.Offset), P(indices), I(indices.Offset), I(indices.Length),
             P(counter), I(counter.Offset), I(batch), I(features), I(rows), P(x), I(x.Offset), P(y), I(y.Offset)]);
    }

    protected override void SgdStepAtCore(BufferView<float> gradients, int count, int decayCount,
        BufferView<float> schedule, BufferView<int> counter, float weightDecay, BufferView<float> parameters) =>
        Launch(Kernel.SgdStepAt, Linear(count),
            [P(gradients), I(gradients.Offset), I(count), I(decayCount), P(schedule), I(schedule.Offset),
             I(schedule.Length / 3), P(counter), I(counter.Offset), F(weightDecay), P(parameters), I(parameters.Offset)]);

    protected override void MomentumStepAtCore(BufferView<float> gradients, int count, int decayCount,
        BufferView<float> schedule, BufferView<int> counter, float momentum, float weightDecay,
        BufferView<float> velocity, BufferView<float> parameters) =>
        Launch(Kernel.MomentumStepAt, Linear(count),
            [P(gradients), I(gradients.Offset), I(count), I(decayCount), P(schedule), I(schedule.Offset),
             I(schedule.Length / 3), P(counter), I(counter.Offset), F(momentum), F(weightDecay), P(velocity),
             I(velocity.Offset), P(parameters), I(parameters.Offset)]);

    protected override void AdamStepAtCore(BufferView<float> gradients, int count, int decayCount,
        in AdamParameters adam, BufferView<float> schedule, BufferView<int> counter, BufferView<float> m,
        BufferView<float> v, BufferView<float> parameters) =>
        Launch(Kernel.AdamStepAt, Linear(count),
            [P(gradients), I(gradients.Offset), I(count), I(decayCount), P(schedule), I(schedule.Offset),
             I(schedule.Length / 3), P(counter), I(counter.Offset), F(adam.Beta1), F(adam.Beta2), F(adam.Epsilon),
             F(adam.WeightDecay), P(m), I(m.Offset), P(v), I(v.Offset), P(parameters), I(parameters.Offset)]);

    protected override void AdvanceStepCore(BufferView<int> counter, BufferView<float> lossSum) =>
        Launch(Kernel.AdvanceStep, Linear(1), [P(counter), I(counter.Offset), P(lossSum), I(lossSum.Offset)]);
}
