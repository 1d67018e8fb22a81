using Digits.Cpu.Gemm;

namespace Digits.Benchmarks;

/// <summary><c>--quick --pack</c>: packing throughput (ns per element) of the transposing and copying packs.</summary>
internal static unsafe class PackBench
{
    public static int Run()
    {
        const int rows = 1024, lds = 1024;
        float[] src = new float[rows * lds];
        new Random(1).NextBytes(new byte[1]);
        for (int k = 0; k < src.Length; k++) src[k] = k;
        float[] dst = new float[rows * lds + 64];
        foreach (int kc in new[] { 256, 196, 208 })
            foreach (var (name, transposed, nr) in new[] { ("B transposed (W in forward)", true, 32),
                         ("B row-major", false, 32), ("A row-major (transposing)", false, 12),
                         ("A transposed (copy)", true, 12) })
            {
                bool isA = nr == 12;
                var (_, _, cpu) = QuickBench.Time(() =>
                {
                    fixed (float* s = src, d = dst)
                    {
                        if (isA) Packing.PackA(s, lds, transposed, 0, 240, 0, kc, 12, d);
                        else Packing.PackB(s, lds, transposed, 0, kc, 0, 1024, 32, d);
                    }
                }, 1e6);
                double elements = (isA ? 240.0 : 1024.0) * kc;
                Console.WriteLine($"kc {kc,4}  {name,-30} {cpu * 1e9 / elements,6:F3} ns/element");
            }
        return 0;
    }
}
