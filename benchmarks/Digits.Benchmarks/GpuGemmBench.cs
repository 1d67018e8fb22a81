using System.Diagnostics;
using System.Globalization;
using Digits.Core.Backends;
using Digits.Gpu;
using Digits.Gpu.Cuda;
using Digits.Gpu.OpenCl;

namespace Digits.Benchmarks;

/// <summary>
/// <c>--cublas</c>: our three dense-layer GEMMs on <c>cuda:0</c> (<see cref="CudaBackend"/>'s
/// <c>linear_forward</c>, <c>linear_backward_input</c>, <c>linear_backward_weight</c>) against cuBLAS SGEMM on the
/// same stream and buffers, at the <c>large</c> configuration's shapes (batch 256, layers 784→1024, 1024→1024,
/// 1024→10, every op) and at S³ (<c>--square S</c>, default 4096), in GFLOP/s and ours as a % of cuBLAS. Ours is
/// first checked against the CPU reference and cuBLAS against ours (max |difference| printed) before anything is
/// timed. <c>--opencl</c> times our GEMMs on <c>opencl:0</c> instead, without cuBLAS (square default 1024).
/// Other options: <c>--reps N</c> (default 11), <c>--filter TEXT</c>, <c>--pedantic</c>
/// (CUBLAS_PEDANTIC_MATH instead of CUBLAS_DEFAULT_MATH; neither uses TF32), <c>--scalar-loads</c> (our GEMMs
/// without their float4 tile loads, for comparison). Without a CUDA device or cuBLAS it prints why in one line
/// and exits 0.
/// </summary>
internal static class GpuGemmBench
{
    private const double SecondsPerRep = 0.02;

    public static int Run(string[] args)
    {
        bool openCl = args.Contains("--opencl");
        int reps = 11, square = openCl ? 1024 : 4096;
        string filter = "";
        for (int k = 0; k + 1 < args.Length; k++)
        {
            switch (args[k])
            {
                case "--reps": reps = int.Parse(args[++k], CultureInfo.InvariantCulture); break;
                case "--square": square = int.Parse(args[++k], CultureInfo.InvariantCulture); break;
                case "--filter": filter = args[++k]; break;
            }
        }
        var shapes = Shapes(square).Where(s => s.Name.Contains(filter, StringComparison.OrdinalIgnoreCase)).ToList();
        try
        {
            return openCl ? RunOpenCl(shapes, reps, args) : RunCuda(shapes, reps, args);
        }
        catch (Exception e) when (e is GpuException or InvalidOperationException or DllNotFoundException
                                      or EntryPointNotFoundException)
        {
            Console.WriteLine($"{(openCl ? "gemm" : "cublas")} yardstick: failed: {e.Message}");
            return 1;
        }
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

    private static int RunCuda(List<GemmShape> shapes, int reps, string[] args)
    {
        var devices = CudaBackend.ListDevices();
        if (!devices.IsAvailable)
        {
            Console.WriteLine($"cublas yardstick: cuda unavailable: {devices.Reason}; skipped");
            return 0;
        }
        if (!CublasNative.TryLoad(out string? library))
        {
            Console.WriteLine($"cublas yardstick: libcublas not found (tried {string.Join(", ", CublasNative.Candidates)}); " +
                              "skipped");
            return 0;
        }
        if (!CudaBackend.TryCreate(0, out var backend, out string reason))
        {
            Console.WriteLine($"cublas yardstick: cuda unavailable: {reason}; skipped");
            return 0;
        }
        using (backend)
        {
            bool pedantic = args.Contains("--pedantic");
            backend.MakeContextCurrent();
            using var cublas = new CublasHandle(backend.Stream, pedantic ? CublasNative.PedanticMath : CublasNative.DefaultMath);
            Console.WriteLine($"device: {backend.Description}");
            Configure(backend, args);
            Console.WriteLine($"cuBLAS {cublas.VersionText} ({library}), " +
                              $"{(pedantic ? "CUBLAS_PEDANTIC_MATH" : "CUBLAS_DEFAULT_MATH")}, FP32 (no TF32)" +
                              (Environment.GetEnvironmentVariable("NVIDIA_TF32_OVERRIDE") == "1"
                                  ? "; WARNING: NVIDIA_TF32_OVERRIDE=1 is set" : ""));
            CheckOurs(backend);
            if (!CheckCublas(backend, cublas)) return 1;
            Table(backend, shapes, reps, cublas);
        }
        return 0;
    }

    private static int RunOpenCl(List<GemmShape> shapes, int reps, string[] args)
    {
        if (!OpenClBackend.TryCreate(0, out var backend, out string reason))
        {
            Console.WriteLine($"gemm yardstick: opencl unavailable: {reason}; skipped");
            return 0;
        }
        using (backend)
        {
            Console.WriteLine($"device: {backend.Description}");
            Configure(backend, args);
            CheckOurs(backend);
            Table(backend, shapes, reps, null);
        }
        return 0;
    }

    private static void Configure(GpuBackend backend, string[] args)
    {
        if (args.Contains("--scalar-loads")) backend.VectorLoads = false;
        Console.WriteLine($"our GEMM: {backend.GemmThreads}×{backend.GemmThreads} threads per group, 4×4 outputs per " +
                          $"thread, {(backend.VectorLoads ? "float4 tile loads where aligned" : "scalar tile loads")}");
    }

    /// <summary>Ours against the CPU reference at 37×101×45, every op (throws on a difference).</summary>
    private static void CheckOurs(IBackend backend)
    {
        foreach (var op in Enum.GetValues<GemmOp>())
        {
            GemmRunner.CheckAgainstReference(backend, op);
            GemmRunner.CheckAgainstReference(backend, op, new GemmShape("check", op, 64, 128, 96));
        }
        Console.WriteLine("ours checked against the CPU reference at 37×101×45 and 64×128×96: forward, backward-input, " +
                          "backward-weight");
    }

    /// <summary>cuBLAS against ours at the large configuration's middle layer, every op: max |difference|, and a
    /// failure when it is past what float rounding over K terms explains.</summary>
    private static bool CheckCublas(CudaBackend backend, CublasHandle cublas)
    {
        var parts = new List<string>();
        bool ok = true;
        foreach (var op in Enum.GetValues<GemmOp>())
        {
            var shape = new GemmShape("check", op, 256, 1024, 1024);
            using var operands = new Operands(backend, shape, withCublasOutput: true);
            operands.RunOurs();
            operands.RunCublas(cublas);
            float[] ours = operands.Download(operands.C), theirs = operands.Download(operands.CublasC!);
            double most = 0, scale = 0;
            for (int k = 0; k < ours.Length; k++)
            {
                most = Math.Max(most, Math.Abs(ours[k] - theirs[k]));
                scale = Math.Max(scale, Math.Abs(ours[k]));
            }
            double allowed = 1e-6 * shape.Mnk.K * Math.Max(scale, 1);
            ok &= most <= allowed;
            parts.Add($"{Label(op)} {most:0.0e+00}{(most <= allowed ? "" : $" (MISMATCH: more than {allowed:0.0e+00})")}");
        }
        Console.WriteLine($"cuBLAS checked against ours at B=256 I=1024 O=1024: max |difference| {string.Join(", ", parts)}");
        return ok;
    }

    private static void Table(GpuBackend backend, List<GemmShape> shapes, int reps, CublasHandle? cublas)
    {
        Console.WriteLine($"timing: median of {reps} reps, each ≥ {SecondsPerRep * 1e3:0} ms of back-to-back calls on " +
                          "the backend's queue and one synchronize, after warm-up; forward includes our fused bias " +
                          "(identity activation)");
        Console.WriteLine();
        string header = $"{"shape",-42} {"M×N×K",-16} {"ours µs",10} {"GFLOP/s",9}";
        if (cublas is not null) header += $" {"cuBLAS µs",10} {"GFLOP/s",9} {"ours/cuBLAS",11}";
        Console.WriteLine(header);
        foreach (var shape in shapes)
        {
            using var operands = new Operands(backend, shape, withCublasOutput: cublas is not null);
            double ours = MedianSeconds(operands.RunOurs, backend.Synchronize, reps);
            var (m, n, k) = shape.Mnk;
            string line = $"{shape.Name,-42} {$"{m}×{n}×{k}",-16} {ours * 1e6,10:F1} {shape.Flops / ours / 1e9,9:F1}";
            if (cublas is not null)
            {
                double theirs = MedianSeconds(() => operands.RunCublas(cublas), backend.Synchronize, reps);
                line += $" {theirs * 1e6,10:F1} {shape.Flops / theirs / 1e9,9:F1} {100 * theirs / ours,10:F0}%";
            }
            Console.WriteLine(line);
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

    private static string Label(GemmOp op) => op switch
    {
        GemmOp.Forward => "forward",
        GemmOp.BackwardInput => "backward-input",
        _ => "backward-weight",
    };

    /// <summary>One shape's operands on the device, laid out as <see cref="GemmRunner"/> lays them out (forward:
    /// x, W → y; backward-input: dz, W → dx; backward-weight: x, dz → dW), a bias of zeros, and a second output
    /// for cuBLAS.</summary>
    private sealed class Operands : IDisposable
    {
        private readonly GpuBackend _backend;
        private readonly GemmShape _shape;
        private readonly DeviceBuffer<float> _a, _b, _bias;

        public Operands(GpuBackend backend, GemmShape shape, bool withCublasOutput)
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
            var random = new Random(b * 31 + i * 7 + o);
            _a = Put(aLen, random);
            _b = Put(bLen, random);
            _bias = backend.Allocate<float>(o);
            C = backend.Allocate<float>(cLen);
            CublasC = withCublasOutput ? backend.Allocate<float>(cLen) : null;
        }

        public DeviceBuffer<float> C { get; }

        public DeviceBuffer<float>? CublasC { get; }

        public void RunOurs()
        {
            var (b, i, o) = (_shape.Batch, _shape.Inputs, _shape.Outputs);
            switch (_shape.Op)
            {
                case GemmOp.Forward: _backend.LinearForward(_a, _b, _bias, Activation.Identity, b, i, o, C); break;
                case GemmOp.BackwardInput: _backend.LinearBackwardInput(_a, _b, b, i, o, C); break;
                default: _backend.LinearBackwardWeight(_a, _b, b, i, o, C); break;
            }
        }

        public void RunCublas(CublasHandle cublas) =>
            cublas.Gemm(_shape.Op, _shape.Batch, _shape.Inputs, _shape.Outputs, Address(_a), Address(_b),
                Address(CublasC!));

        public float[] Download(DeviceBuffer<float> buffer)
        {
            var host = new float[buffer.Length];
            _backend.Download(buffer.View(), host);
            return host;
        }

        private static ulong Address(DeviceBuffer<float> buffer) => ((CudaBuffer<float>)buffer).Address;

        private DeviceBuffer<float> Put(int length, Random random)
        {
            var host = new float[length];
            for (int k = 0; k < length; k++) host[k] = random.NextSingle() * 2 - 1;
            var buffer = _backend.Allocate<float>(length);
            _backend.Upload<float>(host, buffer.View());
            return buffer;
        }

        public void Dispose()
        {
            _a.Dispose();
            _b.Dispose();
            _bias.Dispose();
            C.Dispose();
            CublasC?.Dispose();
        }
    }
}
