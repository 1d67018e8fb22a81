using System.Diagnostics;
using Digits.Cli.Verbs;
using Digits.Core.Backends;
using Digits.Gpu;
using ILGPU.Runtime.Cuda;

namespace Digits.Cli.Commands;

/// <summary>Which dense-layer GEMM: forward (y = x·Wᵀ), backward-input (dx = dz·W) or backward-weight
/// (dW = dzᵀ·x).</summary>
internal enum GemmOp
{
    Forward,
    BackwardInput,
    BackwardWeight,
}

/// <summary>One GEMM as a dense layer issues it: batch B, layer inputs I, outputs O; <see cref="Name"/> says where it
/// comes from (<c>large</c>, <c>square</c>, <c>check</c>).</summary>
internal sealed record GemmShape(string Config, GemmOp Op, int Batch, int Inputs, int Outputs)
{
    /// <summary>2·B·I·O floating-point operations.</summary>
    public double Flops => 2.0 * Batch * Inputs * Outputs;

    /// <summary>(M, N, K) of the product C(M,N) = A(M,K)·B(K,N) this op computes.</summary>
    public (int M, int N, int K) Mnk => Op switch
    {
        GemmOp.Forward => (Batch, Outputs, Inputs),
        GemmOp.BackwardInput => (Batch, Inputs, Outputs),
        _ => (Outputs, Inputs, Batch),
    };

    public string Name => $"{Config} {Op} B={Batch} I={Inputs} O={Outputs}";
}

/// <summary>
/// <c>digits bench --gemm</c>: our three dense-layer GEMMs (<see cref="IlgpuBackend"/>'s <c>LinearForward</c>,
/// <c>LinearBackwardInput</c>, <c>LinearBackwardWeight</c>: the ILGPU kernels of
/// <c>src/Digits.Gpu/Kernels/LinearKernels.cs</c>), each with its 16-byte tile loads on and off
/// (<see cref="IlgpuBackend.VectorLoads"/>), against cuBLAS SGEMM (ILGPU.Algorithms' <see cref="CuBlas"/>, see
/// <see cref="CublasYardstick"/>) on the same stream and buffers: on CUDA at the <c>large</c> configuration's shapes
/// (batch 256, layers 784→1024, 1024→1024, 1024→10, every op) and at S³ (<c>--square S</c>, default 4096); elsewhere
/// (ilgpu-cpu, OpenCL: ours alone, to prove the path) at S³ only, S defaulting to 64. GFLOP/s, and ours as a fraction
/// of cuBLAS. Before anything is timed every variant is checked element by element against a CPU result computed in
/// double. Each row is printed as soon as it is measured.
/// <para>A device that is missing is one line and the next device goes on (exit 0); with CUDA but no cuBLAS it says
/// so in one line and times ours alone. A failure once running (a CUDA or cuBLAS error, a mismatch) exits 1.</para>
/// </summary>
internal static class GemmBench
{
    private const double SecondsPerRep = 0.02;
    private const int Reps = 11;

    /// <summary>Runs the yardstick on each of <paramref name="devices"/> (ILGPU devices: cuda[:N], opencl[:N],
    /// ilgpu-cpu) with S = <paramref name="square"/> (0: the device's default).</summary>
    public static int Run(IReadOnlyList<string> devices, int square, TextWriter stdout)
    {
        int status = ExitCodes.Success;
        foreach (string device in devices)
        {
            IlgpuBackend? backend;
            try
            {
                if (!IlgpuDevices.TryCreate(device, out backend, out string reason))
                {
                    stdout.WriteLine($"GEMM yardstick on {device} skipped: unavailable ({reason})");
                    continue;
                }
            }
            catch (GpuException e)
            {
                stdout.WriteLine($"GEMM yardstick: failed to open {device}: {e.Message}");
                status = ExitCodes.RuntimeFailure;
                continue;
            }
            using (backend)
            {
                try
                {
                    if (Run(backend!, square, stdout) != ExitCodes.Success) status = ExitCodes.RuntimeFailure;
                }
                catch (Exception e) when (e is GpuException or InvalidOperationException or CuBlasException)
                {
                    stdout.WriteLine($"GEMM yardstick: failed: {e.GetType().Name}: {e.Message}");
                    status = ExitCodes.RuntimeFailure;
                }
            }
        }
        return status;
    }

    private static int Run(IlgpuBackend backend, int square, TextWriter stdout)
    {
        bool gpu = backend.Kind == GpuKind.Cuda;
        if (square <= 0) square = gpu ? 4096 : 64;
        var shapes = Shapes(square).Where(s => gpu || s.Config == "square").ToList();
        stdout.WriteLine($"device: {backend.Description}" +
                         (backend.Device.PeakGflops is { } peak ? $"; FP32 FMA peak {peak:F0} GFLOP/s ({backend.Device.PeakSource})" : ""));
        stdout.WriteLine($"our GEMM: ILGPU kernels (loaded in {backend.KernelLoadSeconds:F2} s), 128×128 or 64×64 " +
                         "outputs per group (8×8 or 8×4 per thread) and split-K as GemmPlanner plans each shape for " +
                         $"{backend.Multiprocessors} multiprocessors (plan; model µs: what its H100 model expects); " +
                         "timed with 16-byte tile loads where aligned (vec) and element by element (scalar)");
        CublasYardstick? cublas = null;
        if (gpu)
        {
            cublas = CublasYardstick.TryCreate(backend, out string reason);
            stdout.WriteLine(cublas is null
                ? $"cuBLAS yardstick skipped: {reason}; timing ours only"
                : $"cuBLAS {cublas.VersionText} ({CublasYardstick.Library}) via ILGPU.Algorithms, math mode " +
                  $"{cublas.MathMode} (FP32, no TF32)" +
                  (Environment.GetEnvironmentVariable("NVIDIA_TF32_OVERRIDE") == "1"
                      ? "; WARNING: NVIDIA_TF32_OVERRIDE=1 is set, cuBLAS may use TF32" : ""));
        }
        using (cublas)
        {
            if (!Check(backend, cublas, stdout)) return ExitCodes.RuntimeFailure;
            Table(backend, shapes, cublas, stdout);
        }
        return ExitCodes.Success;
    }

    /// <summary>The large configuration's nine GEMMs (the first layer's backward-input included, though training
    /// never needs it) and the three at S³.</summary>
    public static IEnumerable<GemmShape> Shapes(int square)
    {
        foreach (var (inputs, outputs) in new[] { (784, 1024), (1024, 1024), (1024, 10) })
            foreach (var op in Enum.GetValues<GemmOp>())
                yield return new GemmShape("large", op, 256, inputs, outputs);
        foreach (var op in Enum.GetValues<GemmOp>()) yield return new GemmShape("square", op, square, square, square);
    }

    private enum Variant
    {
        Vec,
        Scalar,
        Cublas,
    }

    /// <summary>Every variant against a CPU result in double, every op, at 37×101×45 (no dimension a multiple of
    /// 4: the element-by-element path and the tile edges), 64×128×96 (aligned: the 16-byte path) and, on a GPU, the
    /// large configuration's middle layer (B=256, I=O=1024) (the fused bias and activation are <c>digits check</c>'s
    /// to check). An element may differ from the exact sum by at most the FP32
    /// worst case γ_K·Σ|a·b| (K·2⁻²⁴ of the sum of the terms' magnitudes, for any order of summation); the largest
    /// difference is printed per variant as a fraction of that bound.</summary>
    private static bool Check(IlgpuBackend backend, CublasYardstick? cublas, TextWriter stdout)
    {
        var sizes = new List<(int B, int I, int O)> { (37, 101, 45), (64, 128, 96) };
        if (backend.Device.IsGpu) sizes.Add((256, 1024, 1024));
        var variants = new List<Variant> { Variant.Vec, Variant.Scalar };
        if (cublas is not null) variants.Add(Variant.Cublas);
        var worst = variants.ToDictionary(v => v, _ => (Error: 0.0, Ratio: 0.0));
        bool ok = true;
        foreach (var (b, i, o) in sizes)
            foreach (var op in Enum.GetValues<GemmOp>())
            {
                var shape = new GemmShape("check", op, b, i, o);
                using var operands = new Operands(backend, shape);
                var (exact, bound) = operands.CpuResult();
                foreach (var variant in variants)
                {
                    operands.Run(variant, cublas);
                    float[] got = operands.Output();
                    for (int k = 0; k < got.Length; k++)
                    {
                        double error = Math.Abs(got[k] - exact[k]), ratio = error / bound[k];
                        if (!(ratio <= 1))
                        {
                            if (ok)
                                stdout.WriteLine($"MISMATCH: {Label(variant)} {shape.Name} [{k}]: {got[k]} vs " +
                                                  $"{exact[k]} (bound {bound[k]:0.0e+00})");
                            ok = false;
                        }
                        var w = worst[variant];
                        worst[variant] = (Math.Max(w.Error, error), Math.Max(w.Ratio, double.IsNaN(ratio) ? 1e9 : ratio));
                    }
                }
            }
        backend.VectorLoads = true;
        stdout.WriteLine($"checked against a CPU result in double at {string.Join(", ", sizes.Select(s => $"B={s.B} I={s.I} O={s.O}"))}, " +
                          "forward, backward-input, backward-weight: " +
                          string.Join("; ", variants.Select(v =>
                              $"{Label(v)} max |error| {worst[v].Error:0.0e+00} ({100 * worst[v].Ratio:0.#}% of the FP32 bound)")) +
                          (ok ? "" : " — MISMATCH"));
        return ok;
    }

    private static void Table(IlgpuBackend backend, List<GemmShape> shapes, CublasYardstick? cublas, TextWriter stdout)
    {
        stdout.WriteLine($"timing: median of {Reps} reps, each ≥ {SecondsPerRep * 1e3:0} ms of back-to-back calls on " +
                          "the backend's stream and one synchronize, after warm-up; GFLOP/s = 2·B·I·O per call; our " +
                          "forward includes its fused bias (zeros, identity activation)");
        stdout.WriteLine();
        string header = $"{"shape",-40} {"M×N×K",-16} {"plan",-24} {"model µs",9} {"vec µs",9} {"GFLOP/s",8} " +
                        $"{"scalar µs",10} {"GFLOP/s",8}";
        if (cublas is not null) header += $" {"cuBLAS µs",10} {"GFLOP/s",8} {"vec/cuBLAS",10} {"scalar/cuBLAS",13}";
        stdout.WriteLine(header);
        foreach (var shape in shapes)
        {
            using var operands = new Operands(backend, shape);
            double vec = MedianSeconds(() => operands.Run(Variant.Vec, cublas), backend.Synchronize, Reps);
            double scalar = MedianSeconds(() => operands.Run(Variant.Scalar, cublas), backend.Synchronize, Reps);
            backend.VectorLoads = true;
            var (m, n, k) = shape.Mnk;
            var plan = backend.GemmPlanFor(m, n, k);
            double model = Digits.Gpu.Kernels.GemmPlanner.Seconds(plan, m, n, k, backend.Multiprocessors);
            string line = $"{shape.Name,-40} {$"{m}×{n}×{k}",-16} {plan,-24} {model * 1e6,9:F1} {vec * 1e6,9:F1} " +
                          $"{shape.Flops / vec / 1e9,8:F1} {scalar * 1e6,10:F1} {shape.Flops / scalar / 1e9,8:F1}";
            if (cublas is not null)
            {
                double theirs = MedianSeconds(() => operands.Run(Variant.Cublas, cublas), backend.Synchronize, Reps);
                line += $" {theirs * 1e6,10:F1} {shape.Flops / theirs / 1e9,8:F1} {100 * theirs / vec,9:F0}% " +
                        $"{100 * theirs / scalar,12:F0}%";
            }
            stdout.WriteLine(line);
        }
    }

    /// <summary>Median seconds per call: one call to load and warm up, one timed to size the reps, a rep's worth
    /// more to warm up, then <paramref name="reps"/> reps of back-to-back calls each closed by one
    /// <paramref name="sync"/>.</summary>
    private static double MedianSeconds(Action run, Action sync, int reps)
    {
        run();
        sync();
        long start = Stopwatch.GetTimestamp();
        run();
        sync();
        double once = Stopwatch.GetElapsedTime(start).TotalSeconds;
        int calls = (int)Math.Clamp(Math.Ceiling(SecondsPerRep / Math.Max(once, 1e-7)), 1, 10_000);
        for (int k = 0; k < calls; k++) run();
        sync();
        var samples = new double[Math.Max(reps, 1)];
        for (int s = 0; s < samples.Length; s++)
        {
            start = Stopwatch.GetTimestamp();
            for (int k = 0; k < calls; k++) run();
            sync();
            samples[s] = Stopwatch.GetElapsedTime(start).TotalSeconds / calls;
        }
        Array.Sort(samples);
        return samples[samples.Length / 2];
    }

    private static string Label(Variant variant) => variant switch
    {
        Variant.Vec => "ours vec",
        Variant.Scalar => "ours scalar",
        _ => "cuBLAS",
    };

    /// <summary>One shape's operands on the device, laid out as the ops take them (forward:
    /// a = x, b = W → y; backward-input: a = dz, b = W → dx; backward-weight: a = x, b = dz → dW), a bias of zeros
    /// and one output, which every variant overwrites.</summary>
    private sealed class Operands : IDisposable
    {
        private readonly IlgpuBackend _backend;
        private readonly GemmShape _shape;
        private readonly float[] _hostA, _hostB;
        private readonly DeviceBuffer<float> _a, _b, _bias, _c;

        public Operands(IlgpuBackend backend, GemmShape shape)
        {
            _backend = backend;
            _shape = shape;
            int b = shape.Batch, i = shape.Inputs, o = shape.Outputs;
            (int aLen, int bLen, int cLen) = shape.Op switch
            {
                GemmOp.Forward => (b * i, o * i, b * o),
                GemmOp.BackwardInput => (b * o, o * i, b * i),
                _ => (b * i, b * o, o * i),
            };
            var random = new Random(b * 31 + i * 7 + o + (int)shape.Op);
            (_hostA, _a) = Put(aLen, random);
            (_hostB, _b) = Put(bLen, random);
            _bias = backend.Allocate<float>(o);
            _c = backend.Allocate<float>(cLen);
        }

        public void Run(Variant variant, CublasYardstick? cublas)
        {
            var (b, i, o) = (_shape.Batch, _shape.Inputs, _shape.Outputs);
            if (variant == Variant.Cublas)
            {
                cublas!.Gemm(_shape.Op, b, i, o, IlgpuBackend.V(_a.View()), IlgpuBackend.V(_b.View()),
                    IlgpuBackend.V(_c.View()));
                return;
            }
            _backend.VectorLoads = variant == Variant.Vec;
            switch (_shape.Op)
            {
                case GemmOp.Forward: _backend.LinearForward(_a, _b, _bias, Activation.Identity, b, i, o, _c); break;
                case GemmOp.BackwardInput: _backend.LinearBackwardInput(_a, _b, b, i, o, _c); break;
                default: _backend.LinearBackwardWeight(_a, _b, b, i, o, _c); break;
            }
        }

        public float[] Output()
        {
            var host = new float[_c.Length];
            _backend.Download(_c.View(), host);
            return host;
        }

        /// <summary>The exact product (in double: every float product is exact there, the sums nearly so) and
        /// each element's FP32 worst-case bound 1.01·K·2⁻²⁴·Σ|a·b| (plus 1e-30, so an all-zero sum allows 0).</summary>
        public (double[] Exact, double[] Bound) CpuResult()
        {
            var (m, n, k) = _shape.Mnk;
            int inputs = _shape.Inputs, outputs = _shape.Outputs;
            float[] x = _hostA, y = _hostB;
            // A(r, t) and B(t, c) of C(M,N) = A(M,K)·B(K,N), read from the row-major host copies.
            Func<int, int, float> a, b;
            switch (_shape.Op)
            {
                case GemmOp.Forward: // x(B,I)·W(O,I)ᵀ
                    a = (r, t) => x[r * inputs + t];
                    b = (t, c) => y[c * inputs + t];
                    break;
                case GemmOp.BackwardInput: // dz(B,O)·W(O,I)
                    a = (r, t) => x[r * outputs + t];
                    b = (t, c) => y[t * inputs + c];
                    break;
                default: // dz(B,O)ᵀ·x(B,I), a = x and b = dz
                    a = (r, t) => y[t * outputs + r];
                    b = (t, c) => x[t * inputs + c];
                    break;
            }
            var exact = new double[m * n];
            var bound = new double[m * n];
            double gamma = 1.01 * k * Math.Pow(2, -24);
            Parallel.For(0, m, r =>
            {
                for (int c = 0; c < n; c++)
                {
                    double sum = 0, magnitude = 0;
                    for (int t = 0; t < k; t++)
                    {
                        double term = (double)a(r, t) * b(t, c);
                        sum += term;
                        magnitude += Math.Abs(term);
                    }
                    exact[r * n + c] = sum;
                    bound[r * n + c] = gamma * magnitude + 1e-30;
                }
            });
            return (exact, bound);
        }

        private (float[], DeviceBuffer<float>) Put(int length, Random random)
        {
            var host = new float[length];
            for (int k = 0; k < length; k++) host[k] = random.NextSingle() * 2 - 1;
            var buffer = _backend.Allocate<float>(length);
            _backend.Upload<float>(host, buffer.View());
            return (host, buffer);
        }

        public void Dispose()
        {
            _a.Dispose();
            _b.Dispose();
            _bias.Dispose();
            _c.Dispose();
        }
    }
}
