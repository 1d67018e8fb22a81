using Digits.Core.Backends;
using Digits.Cpu;

namespace Digits.Benchmarks;

/// <summary><c>--quick --ops</c>: the non-GEMM ops of each configuration's step at its shapes (µs per call).</summary>
internal static class OpsBench
{
    public static int Run(CpuBackend backend, string filter)
    {
        Console.WriteLine($"{"config",-8} {"op",-44} {"best µs",9} {"median µs",10} {"cpu µs",9}");
        foreach (var c in StepConfig.All.Where(c => c.Name.Contains(filter, StringComparison.OrdinalIgnoreCase)))
        {
            int batch = c.Batch, hidden = c.Widths[1], classes = c.Widths[^1], inputs = c.Widths[0];
            int count = 0;
            for (int l = 0; l + 1 < c.Widths.Length; l++) count += (c.Widths[l] + 1) * c.Widths[l + 1];
            var random = new Random(2);
            using var p = Put(backend, count, random);
            using var g = Put(backend, count, random);
            using var m = Put(backend, count, random);
            using var v = Put(backend, count, random, 0.001f);
            using var h = Put(backend, batch * hidden, random);
            using var dh = Put(backend, batch * hidden, random);
            using var logits = Put(backend, batch * classes, random);
            using var dLogits = backend.Allocate<float>(batch * classes);
            using var loss = backend.Allocate<float>(1);
            // A full-size dataset gathered in shuffled order, as an epoch does (so rows come from DRAM).
            const int rows = StepConfig.TrainingImages;
            using var images = Put(backend, rows * inputs, random);
            using var labels = backend.Allocate<int>(rows);
            using var indices = backend.Allocate<int>(rows);
            backend.Upload<int>(Enumerable.Range(0, rows).OrderBy(_ => random.Next()).ToArray(), indices.View());
            using var x = backend.Allocate<float>(batch * inputs);
            using var y = backend.Allocate<int>(batch);
            // The step scalars the device-driven ops read, set up once outside the timed region: a one-row schedule
            // (lr, c1, c2) and a counter at 0 for the optimizers; for the gather one counter per mini-batch of the
            // dataset (the view at k holds k), taken in turn so that successive gathers walk the shuffled epoch.
            var adam = new AdamParameters(0.9f, 0.999f, 1e-8f, 0f);
            var (c1, c2) = adam.Corrections(10);
            using var schedule = backend.Allocate<float>(3);
            backend.Upload<float>([1e-3f, c1, c2], schedule.View());
            using var counter = backend.Allocate<int>(3);
            using var advance = backend.Allocate<int>(3);
            int batches = rows / batch, gather = 0;
            using var positions = backend.Allocate<int>(batches);
            backend.Upload<int>(Enumerable.Range(0, batches).ToArray(), positions.View());
            (string, Action)[] ops =
            [
                ($"AdamStep count={count}",
                    () => backend.AdamStep(g, count, count - 100, adam, schedule, counter, m, v, p)),
                ($"SgdStep count={count}", () => backend.SgdStep(g, count, count - 100, schedule, counter, 0f, p)),
                ($"ActivationBackward {c.Hidden} {batch}×{hidden}",
                    () => backend.ActivationBackward(h, dh, c.Hidden, batch * hidden, dh)),
                ($"BiasBackward {batch}×{hidden}", () => backend.BiasBackward(dh, batch, hidden, p.View(0, hidden))),
                ($"SoftmaxCrossEntropy {batch}×{classes}",
                    () => backend.SoftmaxCrossEntropy(logits, y, batch, classes, 1f / batch, dLogits, loss)),
                ($"QuadraticCost {batch}×{classes}",
                    () => backend.QuadraticCost(logits, y, batch, classes, 1f / batch, dLogits, loss)),
                ($"GatherBatch {batch}×{inputs} (shuffled, 60000 rows)",
                    () =>
                    {
                        backend.GatherBatch(images, labels, indices, positions.View(gather, 1), batch, batch, inputs,
                            x, y);
                        gather = (gather + 1) % batches;
                    }),
                ("AdvanceStep", () => backend.AdvanceStep(advance, loss)),
            ];
            foreach (var (name, op) in ops)
            {
                var (best, median, cpu) = QuickBench.Time(op, 1e6);
                Console.WriteLine($"{c.Name,-8} {name,-44} {best * 1e6,9:F2} {median * 1e6,10:F2} {cpu * 1e6,9:F2}");
            }
        }
        return 0;
    }

    private static DeviceBuffer<float> Put(IBackend backend, int length, Random random, float scale = 1f)
    {
        var buffer = backend.Allocate<float>(length);
        backend.Upload<float>(Enumerable.Range(0, length).Select(_ => random.NextSingle() * scale).ToArray(),
            buffer.View());
        return buffer;
    }
}
