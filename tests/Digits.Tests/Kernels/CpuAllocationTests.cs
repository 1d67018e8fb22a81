using Digits.Core.Backends;
using Digits.Cpu;
using Xunit;

namespace Digits.Tests.Kernels;

/// <summary>
/// A training step on CpuBackend allocates nothing once the first step has sized the pack buffers: not on the
/// calling thread (GC.GetAllocatedBytesForCurrentThread) and not on the pool's workers (which count their own
/// allocations while running chunks). The measured steps come after a warm-up longer than one step because the
/// runtime's tiered JIT, when it promotes a method (after 30 calls, i.e. ~30 steps), can allocate a few KiB on
/// the calling thread for its own bookkeeping — seen intermittently at steps 3–5, never with
/// DOTNET_TieredCompilation=0 — which is not the backend's allocation.
/// </summary>
public sealed class CpuAllocationTests
{
    [Theory]
    [InlineData(128, 784, 128, Activation.Relu, false, 2)]   // small: 784-128-10, Adam, cross-entropy
    [InlineData(10, 784, 30, Activation.Sigmoid, true, 2)]    // nielsen: 784-30-10, SGD, quadratic cost
    [InlineData(64, 784, 100, Activation.Tanh, false, 1)]
    public void Training_step_allocates_nothing_after_the_first(int batch, int inputs, int hidden,
        Activation activation, bool nielsen, int threads)
    {
        using var backend = new CpuBackend(threads);
        using var step = new TrainingStep(backend, batch, inputs, hidden, activation, nielsen);
        step.Run(1); // sizes the pack buffers
        long firstStep = backend.WorkspaceBytes;
        for (int t = 2; t <= 80; t++) step.Run(t); // past tiered JIT's promotions
        Thread.Sleep(300);                          // let its background compiles land
        for (int t = 81; t <= 90; t++) step.Run(t);
        Assert.Equal(firstStep, backend.WorkspaceBytes); // grown once, in the first step
        long caller = GC.GetAllocatedBytesForCurrentThread(), workers = backend.Pool.WorkerAllocatedBytes;
        long dispatches = backend.Pool.Dispatches;
        for (int t = 91; t <= 100; t++) step.Run(t);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - caller);
        Assert.Equal(0, backend.Pool.WorkerAllocatedBytes - workers);
        if (threads > 1 && !nielsen) Assert.True(backend.Pool.Dispatches > dispatches, "workers were not used");
    }

    /// <summary>One mini-batch step of a 2-layer MLP, every op the trainer issues, on preallocated buffers.</summary>
    private sealed class TrainingStep : IDisposable
    {
        private const int Rows = 300, Classes = 10;
        private readonly IBackend _b;
        private readonly int _batch, _inputs, _hidden, _count, _decay;
        private readonly Activation _activation;
        private readonly bool _nielsen;
        private readonly List<IDisposable> _owned = [];
        private readonly DeviceBuffer<float> _images, _params, _grads, _m, _v, _x, _h, _logits, _dLogits, _dh, _loss, _schedule;
        private readonly DeviceBuffer<int> _labels, _indices, _y, _correct, _counter;

        public TrainingStep(IBackend backend, int batch, int inputs, int hidden, Activation activation, bool nielsen)
        {
            (_b, _batch, _inputs, _hidden) = (backend, batch, inputs, hidden);
            (_activation, _nielsen) = (activation, nielsen);
            _decay = hidden * inputs + Classes * hidden;
            _count = _decay + hidden + Classes;
            var random = new Random(1);
            _images = F(Rows * inputs, random);
            _labels = I(Enumerable.Range(0, Rows).Select(k => k % Classes).ToArray());
            _indices = I(Enumerable.Range(0, Rows).Reverse().ToArray());
            _params = F(_count, random, 0.05f);
            (_grads, _m, _v) = (F(_count), F(_count), F(_count));
            (_x, _h, _dh) = (F(batch * inputs), F(batch * hidden), F(batch * hidden));
            (_logits, _dLogits, _loss) = (F(batch * Classes), F(batch * Classes), F(1));
            (_y, _correct) = (I(new int[batch]), I(new int[1]));
            (_schedule, _counter) = (F(3), I(new int[1]));
        }

        private BufferView<float> W1 => _params.View(0, _hidden * _inputs);
        private BufferView<float> W2 => _params.View(_hidden * _inputs, Classes * _hidden);
        private BufferView<float> B1 => _params.View(_decay, _hidden);
        private BufferView<float> B2 => _params.View(_decay + _hidden, Classes);
        private BufferView<float> DW1 => _grads.View(0, _hidden * _inputs);
        private BufferView<float> DW2 => _grads.View(_hidden * _inputs, Classes * _hidden);
        private BufferView<float> DB1 => _grads.View(_decay, _hidden);
        private BufferView<float> DB2 => _grads.View(_decay + _hidden, Classes);

        public void Run(int t)
        {
            int start = t * _batch % (Rows - _batch);
            // Host scalars through the device-driven ops: counter[0] = start (stride 1), one schedule row.
            Span<int> at = stackalloc int[1];
            at[0] = start;
            _b.Upload<int>(at, _counter);
            var adam = new AdamParameters(0.9f, 0.999f, 1e-8f, 0f);
            var (c1, c2) = adam.Corrections(t);
            Span<float> row = stackalloc float[3];
            (row[0], row[1], row[2]) = (_nielsen ? 0.1f : 1e-3f, c1, c2);
            _b.Upload<float>(row, _schedule);
            _b.GatherBatch(_images, _labels, _indices, _counter, 1, _batch, _inputs, _x, _y);
            _b.LinearForward(_x, W1, B1, _activation, _batch, _inputs, _hidden, _h);
            var outAct = _nielsen ? Activation.Sigmoid : Activation.Identity;
            _b.LinearForward(_h, W2, B2, outAct, _batch, _hidden, Classes, _logits);
            if (_nielsen) _b.QuadraticCost(_logits, _y, _batch, Classes, 1f / _batch, _dLogits, _loss);
            else _b.SoftmaxCrossEntropy(_logits, _y, _batch, Classes, 1f / _batch, _dLogits, _loss);
            _b.CountCorrect(_logits, _y, _batch, Classes, _correct);
            _b.LinearBackwardWeight(_h, _dLogits, _batch, _hidden, Classes, DW2);
            _b.BiasBackward(_dLogits, _batch, Classes, DB2);
            _b.LinearBackwardInput(_dLogits, W2, _batch, _hidden, Classes, _dh);
            _b.ActivationBackward(_h, _dh, _activation, _batch * _hidden, _dh);
            _b.LinearBackwardWeight(_x, _dh, _batch, _inputs, _hidden, DW1);
            _b.BiasBackward(_dh, _batch, _hidden, DB1);
            _b.Upload<int>([0], _counter);
            if (_nielsen) _b.SgdStep(_grads, _count, _decay, _schedule, _counter, 0f, _params);
            else _b.AdamStep(_grads, _count, _decay, adam, _schedule, _counter, _m, _v, _params);
            _b.Synchronize();
        }

        private DeviceBuffer<float> F(int length, Random? random = null, float scale = 1f)
        {
            var buffer = _b.Allocate<float>(length);
            _owned.Add(buffer);
            if (random is not null)
            {
                float[] data = Enumerable.Range(0, length).Select(_ => (random.NextSingle() * 2 - 1) * scale).ToArray();
                _b.Upload<float>(data, buffer.View());
            }
            return buffer;
        }

        private DeviceBuffer<int> I(int[] data)
        {
            var buffer = _b.Allocate<int>(data.Length);
            _owned.Add(buffer);
            _b.Upload<int>(data, buffer.View());
            return buffer;
        }

        public void Dispose()
        {
            foreach (var d in _owned) d.Dispose();
        }
    }
}
