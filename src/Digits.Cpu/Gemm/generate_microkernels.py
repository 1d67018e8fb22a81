"""Generates MicroKernel512.cs and MicroKernel256.cs: fully unrolled register-tile GEMM micro-kernels.

Run from the repository root: python3 src/Digits.Cpu/Gemm/generate_microkernels.py

The unrolled form is what lets RyuJIT keep every accumulator in a vector register (checked with
DOTNET_JitDisasm=Kernel12x32: zmm0-23 accumulate, zmm24-25 hold B, zmm26 the broadcast, no spills);
a loop over an array of accumulators would live on the stack.
"""
import os


class Isa:
    """One vector width: the C# vector type, lanes per vector, the masked load/store intrinsics."""

    def __init__(self, vector, lanes, masked, mask_load_merges):
        self.vector, self.lanes, self.masked, self.mask_load_merges = vector, lanes, masked, mask_load_merges

    def mask_load(self, address, mask):
        zero = f", {self.vector}<float>.Zero" if self.mask_load_merges else ""
        return f"{self.masked}.MaskLoad({address}, {mask}{zero})"


AVX512 = Isa("Vector512", 16, "Avx512F", True)
AVX2 = Isa("Vector256", 8, "Avx", False)


def wrap(items, first_prefix, indent, width=120, last=";"):
    """Joins items with ", " into lines of at most width characters."""
    lines, line = [], first_prefix
    for k, item in enumerate(items):
        piece = item + (last if k == len(items) - 1 else ",")
        if len(line) + 1 + len(piece) > width and line.strip():
            lines.append(line.rstrip())
            line = " " * indent
        line += ("" if line.endswith(" ") or line == first_prefix else " ") + piece
    lines.append(line)
    return lines


def kernel(isa, name, mr, vectors, summary, rows_of_a=False):
    """rows_of_a: A is read in place from a row-major operand (A(m,k) = a[m·lda + k]) instead of a packed panel;
    rows past mr read row 0 again (a valid address) and are never stored."""
    v_t, lanes, nr = isa.vector, isa.lanes, isa.lanes * vectors
    acc = [[f"c{r:x}{v}" for v in range(vectors)] for r in range(mr)]
    zs = ", ".join(f"z{v}" for v in range(vectors))
    ms = ", ".join(f"m{v}" for v in range(vectors))
    signature = ([f"    public static void {name}(int kc, float* a, nint lda, float* b, float* c, int ldc,",
                  "        in TileEpilogue e, int mr, int nr, float* tile)"] if rows_of_a else
                 [f"    public static void {name}(int kc, float* a, float* b, float* c, int ldc, in TileEpilogue e, "
                  "int mr,", "        int nr, float* tile)"])
    out = [f"    /// <summary>{summary}</summary>",
           "    [MethodImpl(MethodImplOptions.AggressiveOptimization)]"] + signature + ["    {"]
    out += wrap([f"{x} = default" for row in acc for x in row], f"        {v_t}<float> ", 12)
    if rows_of_a:
        out += wrap(["a0 = a"] + [f"a{r:x} = mr > {r} ? a + {r} * lda : a" for r in range(1, mr)],
                    "        float* ", 12)
    out += ["        // C's rows are fetched ~32 iterations (≈ 800 cycles) before the epilogue needs them, so an",
            "        // epilogue that adds to C (every k block after the first) does not wait on L2/L3.",
            "        int prefetchAt = Math.Max(0, kc - 32);",
            "        for (int k = 0; k < kc; k++)",
            "        {",
            "            if (k == prefetchAt) Prefetch(c, ldc, mr);",
            "            " + " ".join(f"var b{v} = {v_t}.Load(b + {v * lanes});" for v in range(vectors))]
    for r in range(mr):
        x = f"x{r:x}" if rows_of_a else f"a{r:x}"  # rows_of_a: a0… are the row pointers
        out.append(f"            var {x} = {v_t}.Create({f'a{r:x}[k]' if rows_of_a else f'a[{r}]'});")
        out += [f"            {acc[r][v]} = {v_t}.FusedMultiplyAdd({x}, b{v}, {acc[r][v]});" for v in range(vectors)]
    out += ([] if rows_of_a else [f"            a += {mr};"]) + [f"            b += {nr};", "        }",
            "        var bias = e.Bias;",
            "        bool hasBias = bias != null, relu = e.Activation == Activation.Relu, add = e.Accumulate;",
            f"        if (mr == {mr} && nr == {nr})",
            "        {"]
    out += [f"            var z{v} = hasBias ? {v_t}.Load(bias + {v * lanes}) : default;" for v in range(vectors)]
    for r in range(mr):
        at = "c" if r == 0 else f"c + {r} * (nint)ldc"
        out.append(f"            Row({at}, {', '.join(acc[r])}, {zs}, add, hasBias, relu);")
    out += [f"            if (e.NeedsRowPass) e.ApplyRowPass(c, ldc, {mr}, {nr});",
            "            return;",
            "        }",
            f"        if ({isa.masked}.IsSupported)",
            "        {",
            "            // A partial tile: rows past mr are skipped, columns past nr masked (masked-off lanes never",
            "            // fault, so the tile may end at the end of an array).",
            f"            var iota = {v_t}.Create(" + ", ".join(f"{j}f" for j in range(lanes)) + ");"]
    out += [f"            var m{v} = {v_t}.LessThan(iota, {v_t}.Create((float)(nr - {v * lanes})));"
            for v in range(vectors)]
    out += [f"            var z{v} = hasBias ? {isa.mask_load(f'bias + {v * lanes}', f'm{v}')} : default;"
            for v in range(vectors)]
    for r in range(mr):
        at = "c" if r == 0 else f"c + {r} * (nint)ldc"
        out.append(f"            if (mr > {r}) RowMasked({at}, {', '.join(acc[r])}, {zs}, {ms}, add, hasBias, relu);")
    out += ["            if (e.NeedsRowPass) e.ApplyRowPass(c, ldc, mr, nr);",
            "            return;",
            "        }"]
    for r in range(mr):
        out.append("        " + " ".join(f"{acc[r][v]}.Store(tile + {r * nr + v * lanes});" for v in range(vectors)))
    out += [f"        e.StoreEdge(tile, {nr}, c, ldc, mr, nr);", "    }"]
    return out


def row(isa, vectors, masked):
    v_t, lanes = isa.vector, isa.lanes
    params = [f"{v_t}<float> v{v}" for v in range(vectors)] + [f"{v_t}<float> z{v}" for v in range(vectors)]
    if masked:
        params += [f"{v_t}<float> m{v}" for v in range(vectors)]
    params += ["bool add", "bool hasBias", "bool relu)"]
    name = "RowMasked" if masked else "Row"
    summary = ("Row epilogue for a partial tile: lanes whose mask is clear are neither read nor written."
               if masked else "Row epilogue of a full tile: C = relu?(acc + C? + bias?).")
    out = [f"    /// <summary>{summary}</summary>", "    [MethodImpl(MethodImplOptions.AggressiveInlining)]"]
    out += wrap(["float* d"] + params, f"    private static void {name}(", 8, last="")
    out.append("    {")
    for v in range(vectors):
        load = isa.mask_load(f"d + {v * lanes}", f"m{v}") if masked else f"{v_t}.Load(d + {v * lanes})"
        out.append(f"        if (add) v{v} += {load};")
    out += [f"        if (hasBias) v{v} += z{v};" for v in range(vectors)]
    out += [f"        if (relu) v{v} = {v_t}.MaxNative(v{v}, {v_t}<float>.Zero);" for v in range(vectors)]
    out += [(f"        {isa.masked}.MaskStore(d + {v * lanes}, m{v}, v{v});" if masked
             else f"        v{v}.Store(d + {v * lanes});") for v in range(vectors)]
    out.append("    }")
    return out


def prefetch(nr):
    return [f"    /// <summary>Asks for the {nr} floats of each of the tile's rows to be brought into L1.</summary>",
            "    [MethodImpl(MethodImplOptions.AggressiveInlining)]",
            "    private static void Prefetch(float* c, int ldc, int rows)",
            "    {",
            "        if (!Sse.IsSupported) return;",
            "        for (int r = 0; r < rows; r++, c += ldc)",
            "        {",
            "            Sse.Prefetch0(c);",
            f"            Sse.Prefetch0(c + {nr} - 1);",
            "        }",
            "    }"]


FILES = {
    "MicroKernel512": (AVX512, 12, [
        "512-bit (AVX-512) micro-kernels: a 12×32 register tile (24 zmm accumulators, 2 vectors of B, one",
        "broadcast of A) and a 12×16 tile for a narrow last panel. Per k: 2 loads of B, 12 broadcasts of A, 24",
        "FMAs. Zen 4 retires one 512-bit FMA per cycle with latency 4, so 24 independent accumulators keep its",
        "FMA pipes full (measured: ~115 GFLOP/s per core from L1, the core's peak)."]),
    "MicroKernel256": (AVX2, 6, [
        "256-bit (AVX2 + FMA) micro-kernels: a 6×16 register tile (12 ymm accumulators, 2 vectors of B, one",
        "broadcast, within the 16 registers AVX2 has) and a 6×8 tile for a narrow last panel; and both again",
        "reading A in place from its rows (<c>RowsOfA</c>), so a row-major A (x in the forward, dz in the",
        "backward-input GEMM) needs no transposing pack."]),
}

# Classes that also get the RowsOfA kernels (A read in place from a row-major operand).
ROWS_OF_A = {"MicroKernel256"}


def emit(cls):
    isa, mr, description = FILES[cls]
    wide, narrow = 2 * isa.lanes, isa.lanes
    out = ["// <auto-generated> by generate_microkernels.py in this folder — edit the script, then run",
           "// `python3 src/Digits.Cpu/Gemm/generate_microkernels.py` from the repository root. </auto-generated>",
           "using System.Runtime.CompilerServices;",
           "using System.Runtime.Intrinsics;",
           "using System.Runtime.Intrinsics.X86;",
           "using Digits.Core.Backends;",
           "",
           "namespace Digits.Cpu.Gemm;",
           "",
           "/// <summary>"]
    out += ["/// " + line for line in description]
    out += ["/// <para>Contract (every kernel): C[0..mr, 0..nr) (row stride ldc) =",
            "/// epilogue(Σₖ a[k·MR + r]·b[k·NR + j]) for k in [0, kc), with a and b packed, zero-padded panels" +
            (" (a[r·lda + k]" if cls in ROWS_OF_A else "."),
            *(["/// for the kernels that read A in place)."] if cls in ROWS_OF_A else []),
            "/// Tiles are stored from registers (partial ones with masked stores); only without x86 masked stores",
            "/// do partial tiles go through <c>tile</c> (MR×NR floats of scratch) and",
            "/// <see cref=\"TileEpilogue.StoreEdge\"/>. Each element of C is one FMA chain in k order wherever its",
            "/// tile lies, so no result depends on how the output was split between threads.</para>",
            "/// </summary>",
            f"internal static unsafe class {cls}",
            "{"]
    out += kernel(isa, f"Kernel{mr}x{wide}", mr, 2,
                  f"C tile ({mr}×{wide}) from a packed A panel ({mr} per k) and a packed B panel ({wide} per k).")
    out.append("")
    out += kernel(isa, f"Kernel{mr}x{narrow}", mr, 1,
                  f"C tile ({mr}×{narrow}), for the last panel of B when at most {narrow} columns remain.")
    if cls in ROWS_OF_A:
        out.append("")
        out += kernel(isa, f"Kernel{mr}x{wide}RowsOfA", mr, 2,
                      f"<see cref=\"Kernel{mr}x{wide}\"/> reading A in place: A(r, k) = a[r·lda + k], r &lt; mr.",
                      rows_of_a=True)
        out.append("")
        out += kernel(isa, f"Kernel{mr}x{narrow}RowsOfA", mr, 1,
                      f"<see cref=\"Kernel{mr}x{narrow}\"/> reading A in place (see "
                      f"<see cref=\"Kernel{mr}x{wide}RowsOfA\"/>).", rows_of_a=True)
    for vectors, masked in ((2, False), (1, False), (2, True), (1, True)):
        out.append("")
        out += row(isa, vectors, masked)
    out.append("")
    out += prefetch(wide)
    out.append("}")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    for name in FILES:
        with open(os.path.join(here, name + ".cs"), "w", encoding="utf-8") as f:
            f.write(emit(name))
