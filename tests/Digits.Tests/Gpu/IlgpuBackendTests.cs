using Digits.Core.Backends;
using Digits.Cpu;
using Digits.Gpu;
using Digits.Tests.Support;
using Xunit;
using static Digits.Tests.Support.Close;

namespace Digits.Tests.Gpu;

/// <summary>
/// What the ILGPU backend promises beyond each kernel's arithmetic (KernelTests), written once and run per
/// accelerator: disposing frees everything, a training step moves nothing between host and device, the same device
/// gives the same bits run after run (no float atomics), 16-byte tile loads change no bit, indices a GPU cannot
/// throw for are answered with zeros instead of stray reads, and every kernel queued counts as a launch.
/// </summary>
public abstract class IlgpuBackendTests
{
    /// <summary>The device under test, as <c>--device</c> spells it.</summary>
    protected abstract string Device { get; }

    private IlgpuBackend Backend => (IlgpuBackend)TestBackends.Get(Device);

    [Fact]
    public void Disposing_a_backend_frees_the_buffers_its_owners_forgot()
    {
        _ = Backend; // skip here, with the reason, when the device is missing
        for (int k = 0; k < 2; k++)
        {
            var backend = TestBackends.CreateFresh(Device);
            var x = backend.Allocate<float>(6);
            var w = backend.Allocate<float>(6);
            var b = backend.Allocate<float>(2);
            var y = backend.Allocate<float>(4);
            using (var empty = backend.Allocate<int>(0)) Assert.Equal(0, empty.Length);
            backend.Upload<float>([1, 2, 3, 4, 5, 6], x);
            backend.Upload<float>([1, 0, -1, 2, 1, 0], w);
            backend.LinearForward(x, w, b, Activation.Identity, 2, 3, 2, y);
            var result = new float[4];
            backend.Download(y.View(), result);
            Assert.Equal([-2f, 4f, -2f, 13f], result);
            x.Dispose();
            Assert.Equal(3, backend.LiveBuffers);
            backend.Dispose(); // frees w, b and y, which their owner forgot
            Assert.True(w.IsDisposed && b.IsDisposed && y.IsDisposed);
            Assert.Equal(0, backend.LiveBuffers);
            Assert.Equal(0, backend.AllocatedBytes);
            y.Dispose(); // a later dispose by the owner does nothing
            Assert.Throws<ObjectDisposedException>(() => backend.Allocate<float>(1));
        }
    }

    /// <summary><see cref="IBackend.Launches"/> counts kernels, not ops: Augment queues four with an elastic field
    /// (the raw field, its two Gaussian passes, the warp) and the warp alone without one.</summary>
    [Fact]
    public void Launches_counts_every_kernel_an_op_queues()
    {
        var backend = Backend;
        using var r = new Rig(backend);
        float[] taps = AugmentParameters.GaussianTaps(1f);
        var a = new AugmentParameters
        {
            SeedLow = 1, Height = 4, Width = 4, ScaleMin = 1f, ScaleMax = 1f, ElasticRadius = taps.Length / 2,
            ElasticAlpha = 1f,
        };
        var x = r.Put(new float[2 * 16], "x");
        var y = r.Put(new float[2 * 16], "y");
        var gaussian = r.Put(taps, "gaussian");
        var field = r.Put(new float[a.FieldLength(2)], "field");
        var counter = r.Put([0, 0, -1], "counter");
        var loss = r.Put([0f], "loss");
        long before = backend.Launches;
        backend.Augment(x, counter, a, 2, gaussian, field, y);
        Assert.Equal(4, backend.Launches - before);
        before = backend.Launches;
        backend.Augment(x, counter, a with { ElasticRadius = 0, ElasticAlpha = 0f }, 2, gaussian, field, y);
        Assert.Equal(1, backend.Launches - before);
        before = backend.Launches;
        backend.AdvanceStep(counter, loss);
        Assert.Equal(1, backend.Launches - before);
    }

    [Fact]
    public void A_training_step_moves_nothing_between_host_and_device_and_matches_the_reference()
    {
        var backend = Backend;
        long transfersBefore = -1;
        var (gpuLoss, gpuParameters) = TrainThreeSteps(backend, onReady: () => transfersBefore = backend.HostTransfers,
            onDone: () => Assert.Equal(transfersBefore, backend.HostTransfers));
        var (loss, parameters) = TrainThreeSteps(new ReferenceBackend(), () => { }, () => { });
        AssertClose([loss], [gpuLoss], new Tolerance(1e-4, 1e-4), "loss sum over three steps");
        AssertClose(parameters, gpuParameters, new Tolerance(1e-5, 1e-4), "parameters after three steps");
    }

    [Fact]
    public void The_same_device_gives_the_same_bits_run_after_run()
    {
        // The loss, the correct count and the bias gradient are sums over the batch in a fixed order.
        var backend = Backend;
        var first = TrainThreeSteps(backend, () => { }, () => { });
        var second = TrainThreeSteps(backend, () => { }, () => { });
        Assert.Equal(BitConverter.SingleToInt32Bits(first.Loss), BitConverter.SingleToInt32Bits(second.Loss));
        Assert.True(first.Parameters.AsSpan().SequenceEqual(second.Parameters), "parameters differ between two runs");
    }

    /// <summary>(B, I, O) shapes around the 64×64 tile and its 16-deep k steps, at aligned and unaligned offsets.</summary>
    public static TheoryData<int, int, int, int> Float4Shapes => new()
    {
        { 65, 68, 33, 0 }, { 64, 64, 64, 4 }, { 3, 20, 9, 1 }, { 17, 36, 12, 8 },
    };

    [Theory]
    [MemberData(nameof(Float4Shapes))]
    public void Sixteen_byte_tile_loads_give_the_same_bits_as_element_loads(int batch, int inputs, int outputs, int offset)
    {
        var backend = Backend;
        var random = new Random(batch + inputs + outputs + offset);
        float[] x = TestData.Uniform(random, batch * inputs), w = TestData.Uniform(random, outputs * inputs),
            b = TestData.Uniform(random, outputs), dz = TestData.Uniform(random, batch * outputs);
        float[][] Go(bool vector)
        {
            backend.VectorLoads = vector;
            try
            {
                using var r = new Rig(backend);
                var y = r.Put(new float[batch * outputs], offset, "y");
                var dx = r.Put(new float[batch * inputs], offset, "dx");
                var dw = r.Put(new float[outputs * inputs], offset, "dW");
                BufferView<float> xv = r.Put(x, offset), wv = r.Put(w, offset), dzv = r.Put(dz, offset);
                backend.LinearForward(xv, wv, r.Put(b), Activation.Relu, batch, inputs, outputs, y);
                backend.LinearBackwardInput(dzv, wv, batch, inputs, outputs, dx);
                backend.LinearBackwardWeight(xv, dzv, batch, inputs, outputs, dw);
                r.AssertNoStrayWrites();
                return [r.Take(y), r.Take(dx), r.Take(dw)];
            }
            finally
            {
                backend.VectorLoads = true;
            }
        }
        var vector = Go(true);
        var scalar = Go(false);
        for (int k = 0; k < 3; k++)
            AssertClose(scalar[k], vector[k], Tolerance.Exact, $"GEMM {k} with 16-byte loads (offset {offset})");
    }

    [Theory]
    [InlineData(0, 4, true)]
    [InlineData(8, 784, true)]
    [InlineData(2, 784, false)]
    [InlineData(0, 10, false)]
    public void Offset_and_leading_dimension_must_both_be_multiples_of_4(int offset, int leading, bool expected) =>
        Assert.Equal(expected, Digits.Gpu.Kernels.Float4Views.Aligned(offset, leading));

    [Fact]
    public void Indices_outside_the_data_gather_zero_rows_and_label_minus_one_and_a_row_outside_the_schedule_changes_nothing()
    {
        // A GPU cannot throw from a kernel, so these are answered with values (the CPU backends throw instead).
        var backend = Backend;
        using var r = new Rig(backend);
        var images = r.Put([1f, 2, 3, 4, 5, 6]); // 3 rows of 2
        var labels = r.Put([7, 8, 9]);
        var x = r.Put(new float[6], "x");
        var y = r.Put(new int[3], "y");
        backend.GatherBatch(images, labels, r.Put([2, 3, -1, 0]), r.Put([0]), 3, 3, 2, x, y);
        AssertClose([5f, 6, 0, 0, 0, 0], r.Take(x), Tolerance.Exact, "x");
        AssertEqual([9, -1, -1], r.Take(y), "y");
        backend.GatherBatch(images, labels, r.Put([0, 1]), r.Put([1]), 1, 1, 2, x.Slice(0, 2), y.Slice(0, 1));
        AssertClose([3f, 4], r.Take(x.Slice(0, 2)), Tolerance.Exact, "x at counter 1");
        backend.GatherBatch(images, labels, r.Put([0, 1]), r.Put([2]), 1, 1, 2, x.Slice(0, 2), y.Slice(0, 1));
        AssertEqual([-1], r.Take(y.Slice(0, 1)), "a position past the indices");

        var p = r.Put([1f, 2f], "p");
        backend.SgdStep(r.Put([1f, 1f]), 2, 0, r.Put([0.5f, 1f, 1f]), r.Put([1]), 0f, p);
        AssertClose([1f, 2f], r.Take(p), Tolerance.Exact, "parameters after a step outside the schedule");
        r.AssertNoStrayWrites();
    }

    /// <summary>A 12→9→4 tanh MLP, mini-batches of 7 gathered on the device at the step counter, softmax
    /// cross-entropy and SGD with momentum over one flat parameter buffer: W1 (9,12), W2 (4,9), b1 (9), b2 (4).</summary>
    private static (float Loss, float[] Parameters) TrainThreeSteps(IBackend be, Action onReady, Action onDone)
    {
        const int n = 30, inputs = 12, hidden = 9, classes = 4, batch = 7;
        const int w1 = 0, w2 = w1 + hidden * inputs, b1 = w2 + classes * hidden, b2 = b1 + hidden, count = b2 + classes;
        var random = new Random(42);
        using var images = be.Allocate<float>(n * inputs);
        using var labels = be.Allocate<int>(n);
        using var order = be.Allocate<int>(n);
        using var p = be.Allocate<float>(count);
        using var g = be.Allocate<float>(count);
        using var velocity = be.Allocate<float>(count);
        using var x = be.Allocate<float>(batch * inputs);
        using var y = be.Allocate<int>(batch);
        using var h = be.Allocate<float>(batch * hidden);
        using var z = be.Allocate<float>(batch * classes);
        using var dz = be.Allocate<float>(batch * classes);
        using var dh = be.Allocate<float>(batch * hidden);
        using var loss = be.Allocate<float>(1);
        using var schedule = be.Allocate<float>(9);
        using var counter = be.Allocate<int>(3);
        be.Upload<float>(TestData.Uniform(random, n * inputs, 0f, 1f), images);
        be.Upload<int>(TestData.Labels(random, n, classes), labels);
        be.Upload<int>(Enumerable.Range(0, n).OrderBy(_ => random.Next()).ToArray(), order);
        be.Upload<float>(TestData.Uniform(random, count, -0.5f, 0.5f), p);
        be.Upload<float>([0.5f, 1, 1, 0.4f, 1, 1, 0.3f, 1, 1], schedule);
        be.Upload<int>([0, 0, -1], counter);
        onReady();
        for (int step = 0; step < 3; step++)
        {
            be.GatherBatch(images, labels, order, counter, batch, batch, inputs, x, y);
            be.LinearForward(x, p.View(w1, hidden * inputs), p.View(b1, hidden), Activation.Tanh, batch, inputs, hidden, h);
            be.LinearForward(h, p.View(w2, classes * hidden), p.View(b2, classes), Activation.Identity, batch, hidden,
                classes, z);
            be.SoftmaxCrossEntropy(z, y, batch, classes, 1f / batch, dz, loss);
            be.LinearBackwardWeight(h, dz, batch, hidden, classes, g.View(w2, classes * hidden));
            be.BiasBackward(dz, batch, classes, g.View(b2, classes));
            be.LinearBackwardInput(dz, p.View(w2, classes * hidden), batch, hidden, classes, dh);
            be.ActivationBackward(h, dh, Activation.Tanh, batch * hidden, dh);
            be.LinearBackwardWeight(x, dh, batch, inputs, hidden, g.View(w1, hidden * inputs));
            be.BiasBackward(dh, batch, hidden, g.View(b1, hidden));
            be.MomentumStep(g, count, b1, schedule, counter, 0.9f, 1e-3f, velocity, p);
            be.AdvanceStep(counter, loss);
        }
        onDone();
        var lossHost = new float[1];
        var parameters = new float[count];
        be.Download(loss.View(), lossHost);
        be.Download(p.View(), parameters);
        return (lossHost[0], parameters);
    }
}

public sealed class IlgpuCpuBackendTests : IlgpuBackendTests
{
    protected override string Device => "ilgpu-cpu";
}

public sealed class CudaBackendTests : IlgpuBackendTests
{
    protected override string Device => "cuda";
}

public sealed class OpenClBackendTests : IlgpuBackendTests
{
    protected override string Device => "opencl";
}
