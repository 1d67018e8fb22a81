"""Generates MicroKernel512.cs and MicroKernel256.cs: fully unrolled register-tile GEMM kernels.

RyuJIT keeps every Vector512 local of the unrolled form in a zmm register (checked with
DOTNET_JitDisasm); a loop over an accumulator array would spill them to the stack.
"""
import sys  # noqa: F401
def kernel(name, V, lanes, MR, NV, summary):
    NR = lanes*NV
    acc = [[f"c{r:x}{v}" for v in range(NV)] for r in range(MR)]
    L=[]
    L.append(f"    /// <summary>{summary}</summary>")
    L.append(f"    [MethodImpl(MethodImplOptions.AggressiveOptimization)]")
    L.append(f"    public static void {name}(int kc, float* a, float* b, float* c, int ldc, in TileEpilogue e, int mr, int nr,")
    L.append(f"        float* tile)")
    L.append("    {")
    decl = ", ".join(f"{x} = default" for row in acc for x in row)
    # wrap
    L.append(f"        {V}<float> " + wrap(decl, 8, 120))
    L.append(f"        // C's rows are fetched ~32 iterations (≈ 800 cycles) before the epilogue needs them, so an")
    L.append(f"        // epilogue that adds to C (every k block after the first) does not wait on L2/L3.")
    L.append(f"        int prefetchAt = Math.Max(0, kc - 32);")
    L.append("        for (int k = 0; k < kc; k++)")
    L.append("        {")
    L.append(f"            if (k == prefetchAt) Prefetch(c, ldc, mr);")
    L.append("            " + " ".join(f"var b{v} = {V}.Load(b + {v*lanes});" for v in range(NV)))
    for r in range(MR):
        parts=[f"var a{r:x} = {V}.Create(a[{r}]);"] + [f"{acc[r][v]} = {V}.FusedMultiplyAdd(a{r:x}, b{v}, {acc[r][v]});" for v in range(NV)]
        L.append("            " + parts[0])
        for p in parts[1:]: L.append("            " + p)
    L.append(f"            a += {MR};")
    L.append(f"            b += {NR};")
    L.append("        }")
    L.append(f"        if (mr == {MR} && nr == {NR})")
    L.append("        {")
    L.append(f"            var bias = e.Bias;")
    L.append(f"            bool hasBias = bias != null, relu = e.Activation == Activation.Relu, add = e.Accumulate;")
    for v in range(NV):
        L.append(f"            var z{v} = hasBias ? {V}.Load(bias + {v*lanes}) : default;")
    for r in range(MR):
        args = ", ".join(acc[r])
        zs = ", ".join(f"z{v}" for v in range(NV))
        at = "c" if r == 0 else f"c + {r} * (nint)ldc"
        L.append(f"            Row({at}, {args}, {zs}, add, hasBias, relu);")
    L.append(f"            if (e.NeedsRowPass) e.ApplyRowPass(c, ldc, {MR}, {NR});")
    L.append("            return;")
    L.append("        }")
    isa = "Avx512F" if V == "Vector512" else "Avx"
    L.append(f"        if ({isa}.IsSupported)")
    L.append("        {")
    L.append(f"            // A partial tile: rows past mr are skipped, columns past nr masked (masked-off lanes never fault).")
    L.append(f"            var iota = {V}.Create(" + ", ".join(f"{j}f" for j in range(lanes)) + ");")
    L.append(f"            var bias = e.Bias;")
    L.append(f"            bool hasBias = bias != null, relu = e.Activation == Activation.Relu, add = e.Accumulate;")
    for v in range(NV):
        L.append(f"            var m{v} = {V}.LessThan(iota, {V}.Create((float)(nr - {v*lanes})));")
    for v in range(NV):
        L.append(f"            var z{v} = hasBias ? {isa}.MaskLoad(bias + {v*lanes}, m{v}" + (f", {V}<float>.Zero)" if V == "Vector512" else ")") + " : default;")
    for r in range(MR):
        args = ", ".join(acc[r]); zs = ", ".join(f"z{v}" for v in range(NV)); ms = ", ".join(f"m{v}" for v in range(NV))
        at = "c" if r == 0 else f"c + {r} * (nint)ldc"
        L.append(f"            if (mr > {r}) RowMasked({at}, {args}, {zs}, {ms}, add, hasBias, relu);")
    L.append(f"            if (e.NeedsRowPass) e.ApplyRowPass(c, ldc, mr, nr);")
    L.append("            return;")
    L.append("        }")
    for r in range(MR):
        L.append("        " + " ".join(f"{acc[r][v]}.Store(tile + {r*NR + v*lanes});" for v in range(NV)))
    L.append(f"        e.StoreEdge(tile, {NR}, c, ldc, mr, nr);")
    L.append("    }")
    return "\n".join(L)

def wrap(s, indent, width):
    out=[]; line=""
    for tok in s.split(", "):
        cand = (line + ", " + tok) if line else tok
        if len(cand) + indent + 20 > width and line:
            out.append(line + ","); line = tok
        else: line = cand
    out.append(line + ";")
    return ("\n" + " "*(indent+4)).join(out)

def row_masked(V, lanes, NV):
    isa = "Avx512F" if V == "Vector512" else "Avx"
    args = ", ".join(f"{V}<float> v{v}" for v in range(NV))
    zs = ", ".join(f"{V}<float> z{v}" for v in range(NV))
    ms = ", ".join(f"{V}<float> m{v}" for v in range(NV))
    L = []
    L.append("    /// <summary>Row epilogue for a partial tile: lanes whose mask is clear are neither read nor written.</summary>")
    L.append("    [MethodImpl(MethodImplOptions.AggressiveInlining)]")
    L.append(f"    private static void RowMasked(float* d, {args}, {zs},")
    L.append(f"        {ms}, bool add, bool hasBias, bool relu)")
    L.append("    {")
    for v in range(NV):
        load = f"{isa}.MaskLoad(d + {v*lanes}, m{v}" + (f", {V}<float>.Zero)" if V == "Vector512" else ")")
        L.append(f"        if (add) v{v} += {load};")
    for v in range(NV):
        L.append(f"        if (hasBias) v{v} += z{v};")
    for v in range(NV):
        L.append(f"        if (relu) v{v} = {V}.MaxNative(v{v}, {V}<float>.Zero);")
    for v in range(NV):
        L.append(f"        {isa}.MaskStore(d + {v*lanes}, m{v}, v{v});")
    L.append("    }")
    return "\n".join(L)

def prefetch(NR):
    return "\n".join([
        "    /// <summary>Asks for the first " + str(NR) + " floats of each of the tile's rows to be brought into L1.</summary>",
        "    [MethodImpl(MethodImplOptions.AggressiveInlining)]",
        "    private static void Prefetch(float* c, int ldc, int rows)",
        "    {",
        "        if (!Sse.IsSupported) return;",
        "        for (int r = 0; r < rows; r++, c += ldc)",
        "        {",
        "            Sse.Prefetch0(c);",
        "            Sse.Prefetch0(c + " + str(NR) + " - 1);",
        "        }",
        "    }"])

def row(V, lanes, NV):
    args = ", ".join(f"{V}<float> v{v}" for v in range(NV))
    zs = ", ".join(f"{V}<float> z{v}" for v in range(NV))
    L=[]
    L.append("    [MethodImpl(MethodImplOptions.AggressiveInlining)]")
    L.append(f"    private static void Row(float* d, {args}, {zs}, bool add,")
    L.append("        bool hasBias, bool relu)")
    L.append("    {")
    for v in range(NV):
        L.append(f"        if (add) v{v} += {V}.Load(d + {v*lanes});")
    for v in range(NV):
        L.append(f"        if (hasBias) v{v} += z{v};")
    for v in range(NV):
        L.append(f"        if (relu) v{v} = {V}.MaxNative(v{v}, {V}<float>.Zero);")
    for v in range(NV):
        L.append(f"        v{v}.Store(d + {v*lanes});")
    L.append("    }")
    return "\n".join(L)


HEADERS = {
    "512": ("MicroKernel512", [
        "512-bit (AVX-512) micro-kernels: a 12×32 register tile (24 zmm accumulators, 2 vectors of B, one",
        "broadcast of A) and a 12×16 tile for a narrow last panel. Per k: 2 loads of B, 12 broadcasts of A, 24",
        "FMAs. Zen 4 retires one 512-bit FMA per cycle with latency 4, so 24 independent accumulators keep its",
        "FMA pipes full (measured: ~115 GFLOP/s per core from L1, the core's peak)."]),
    "256": ("MicroKernel256", [
        "256-bit (AVX2 + FMA) micro-kernels: a 6×16 register tile (12 ymm accumulators, 2 vectors of B, one",
        "broadcast, within the 16 registers AVX2 has) and a 6×8 tile for a narrow last panel."]),
}

def emit(which):
    cls, desc = HEADERS[which]
    out = ["// <auto-generated> by Gemm/generate_microkernels.py — edit the script, then run",
           "// `python3 src/Digits.Cpu/Gemm/generate_microkernels.py` from the repository root. </auto-generated>",
           "using System.Runtime.CompilerServices;", "using System.Runtime.Intrinsics;",
           "using System.Runtime.Intrinsics.X86;", "using Digits.Core.Backends;", "",
           "namespace Digits.Cpu.Gemm;", "", "/// <summary>"]
    out += ["/// " + d for d in desc]
    out += ["/// <para>Contract (every kernel): C[0..mr, 0..nr) (row stride ldc) = epilogue(Σₖ a[k·MR + r]·b[k·NR + j])",
            "/// for k in [0, kc), with a and b packed, zero-padded panels. Tiles are stored from registers (partial",
            "/// ones with masked stores); only without x86 masked stores do partial tiles go through <c>tile</c>",
            "/// (MR×NR floats of scratch) and <see cref=\"TileEpilogue.StoreEdge\"/>.",
            "/// Each element of C is one FMA chain in k order wherever its tile lies, so no result depends on how the",
            "/// output was split between threads.</para>",
            "/// </summary>",
            f"internal static unsafe class {cls}", "{"]
    if which == "512":
        out.append(kernel("Kernel12x32", "Vector512", 16, 12, 2, "C tile (12×32) from a packed A panel (12 per k) and a packed B panel (32 per k)."))
        out.append("")
        out.append(kernel("Kernel12x16", "Vector512", 16, 12, 1, "C tile (12×16), for the last panel of B when at most 16 columns remain."))
        out.append(""); out.append(row("Vector512", 16, 2)); out.append(""); out.append(row("Vector512", 16, 1))
        out.append(""); out.append(row_masked("Vector512", 16, 2)); out.append(""); out.append(row_masked("Vector512", 16, 1))
        out.append(""); out.append(prefetch(32))
    else:
        out.append(kernel("Kernel6x16", "Vector256", 8, 6, 2, "C tile (6×16) from a packed A panel (6 per k) and a packed B panel (16 per k)."))
        out.append("")
        out.append(kernel("Kernel6x8", "Vector256", 8, 6, 1, "C tile (6×8), for the last panel of B when at most 8 columns remain."))
        out.append(""); out.append(row("Vector256", 8, 2)); out.append(""); out.append(row("Vector256", 8, 1))
        out.append(""); out.append(row_masked("Vector256", 8, 2)); out.append(""); out.append(row_masked("Vector256", 8, 1))
        out.append(""); out.append(prefetch(16))
    out.append("}")
    return "\n".join(out) + "\n"

if __name__ == "__main__":
    import os
    here = os.path.dirname(os.path.abspath(__file__))
    for which in ("512", "256"):
        with open(os.path.join(here, HEADERS[which][0] + ".cs"), "w", encoding="utf-8") as f:
            f.write(emit(which))
