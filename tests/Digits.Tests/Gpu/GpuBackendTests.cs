using Digits.Core.Backends;
using Digits.Cpu;
using Digits.Gpu;
using Digits.Tests.Support;
using Xunit;
using static Digits.Tests.Support.Close;

namespace Digits.Tests.Gpu;

/// <summary>
/// What every GPU backend promises beyond the kernels' arithmetic, written once and run per backend:
/// compile errors carry the compiler's log, failing native calls carry the native error's name, creating
/// and disposing backends leaks nothing, and a training step moves nothing between host and device.
/// </summary>
public abstract class GpuBackendTests
{
    /// <summary>The device under test, as <c>--device</c> spells it.</summary>
    protected abstract string Device { get; }

    /// <summary>Where the compiler reports an error on line 4 of a file named broken.cl.</summary>
    protected abstract string ErrorLocation { get; }

    /// <summary>Compiles the preludes and <paramref name="text"/> with the backend's compiler.</summary>
    protected abstract void Compile(IBackend backend, string file, string text);

    /// <summary>Makes one native call fail and returns the exception and the native name it must carry.</summary>
    protected abstract (GpuException Error, string ExpectedName) FailNativeCall(IBackend backend);

    /// <summary>The backend's native objects alive in this process, as one comparable text.</summary>
    protected abstract string LiveNativeObjects();

    protected GpuBackend Backend => (GpuBackend)TestBackends.Get(Device);

    [Fact]
    public void A_kernel_that_does_not_compile_throws_with_the_compiler_log()
    {
        const string broken = """
            KERNEL void broken(GLOBAL float* p, int n)
            {
                if (n > 0)
                    p[0] = n + ;
            }
            """;
        var e = Assert.Throws<KernelCompilationException>(() => Compile(Backend, "broken.cl", broken));
        Assert.Contains(ErrorLocation, e.Message);
        Assert.Contains("error", e.Log, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(e.Log, e.Message);
    }

    [Fact]
    public void A_failing_native_call_names_its_native_error_and_the_call()
    {
        var (error, expected) = FailNativeCall(Backend);
        Assert.Equal(expected, error.NativeName);
        Assert.Contains(expected, error.Message);
        Assert.Contains(error.Call, error.Message);
        Assert.False(string.IsNullOrWhiteSpace(error.Description));
    }

    [Fact]
    public void Creating_and_disposing_twenty_backends_leaves_nothing_behind()
    {
        _ = Backend; // skip here, with the reason, when the device is missing
        string before = LiveNativeObjects();
        for (int k = 0; k < 20; k++)
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
        Assert.Equal(before, LiveNativeObjects());
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
    public void Queuing_ops_allocates_nothing_on_the_managed_heap()
    {
        var backend = Backend;
        using var x = backend.Allocate<float>(64 * 32);
        using var w = backend.Allocate<float>(16 * 32);
        using var b = backend.Allocate<float>(16);
        using var y = backend.Allocate<float>(64 * 16);
        void Ops()
        {
            backend.Fill(0.5f, x);
            backend.LinearForward(x, w, b, Activation.Relu, 64, 32, 16, y);
            backend.ActivationBackward(y, y, Activation.Relu, 64 * 16, y);
            backend.SgdStep(b, 16, 0, 0.1f, 0f, b);
        }
        Ops(); // first calls may set up caches
        backend.Synchronize();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 0; k < 20; k++) Ops();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        backend.Synchronize();
        Assert.Equal(0, allocated);
    }

    /// <summary>A 12→9→4 tanh MLP, mini-batches of 7 gathered on the device, softmax cross-entropy and SGD with
    /// momentum over one flat parameter buffer: W1 (9,12), W2 (4,9), b1 (9), b2 (4).</summary>
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
        be.Upload<float>(TestData.Uniform(random, n * inputs, 0f, 1f), images);
        be.Upload<int>(TestData.Labels(random, n, classes), labels);
        be.Upload<int>(Enumerable.Range(0, n).OrderBy(_ => random.Next()).ToArray(), order);
        be.Upload<float>(TestData.Uniform(random, count, -0.5f, 0.5f), p);
        onReady();
        for (int step = 0; step < 3; step++)
        {
            be.GatherBatch(images, labels, order, step * batch, batch, inputs, x, y);
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
            be.MomentumStep(g, count, b1, 0.5f, 0.9f, 1e-3f, velocity, p);
        }
        onDone();
        var lossHost = new float[1];
        var parameters = new float[count];
        be.Download(loss.View(), lossHost);
        be.Download(p.View(), parameters);
        return (lossHost[0], parameters);
    }
}
