#!/usr/bin/env bash
# Digits' CPU path against its FMA peak and against PyTorch and TorchSharp, side by side, in one go.
#
#   bash benchmarks/cpu/compare.sh                 # from the repository root; DIGITS_DATA must hold mnist/
#   ROUNDS=3 THREADS=2 ISAS="avx2 native" OMP_POLICIES="default passive" bash benchmarks/cpu/compare.sh
#   CONFIGS=nielsen EPOCHS=1 WARMUP=0 ROUNDS=1 bash benchmarks/cpu/compare.sh      # a quick check that it all runs
#
# For each instruction set in ISAS, ROUNDS alternated rounds of: `digits bench --devices cpu` (which measures the FMA
# peak at its kernels' width in the same process: 256-bit for avx2, 512-bit for native on an AVX-512 CPU), the
# PyTorch twin (benchmarks/pytorch/twin.py) and the TorchSharp twin (benchmarks/torchsharp), each training small,
# large and nielsen on THREADS threads, 3 timed epochs after 1 warm-up, median epoch seconds, training only. Then one
# table: the median over rounds of each runner's median epoch, Digits' % of the peak, and its lead over the best peer.
#
# avx2 runs everything as on a CPU without AVX-512: .NET with DOTNET_EnableAVX512=0 (no 512-bit code anywhere,
# Digits' 256-bit kernels), OpenBLAS with its Haswell kernels, PyTorch/libtorch at their AVX2 level, MKL and oneDNN
# limited to AVX2. On a CPU with AVX-512 that is a proxy for an AVX2 machine (the memory system is not the same);
# on a CPU without it, avx2 and native are the same run. native leaves every library to pick its best.
#
# Peers are a comparison, never a dependency: missing ones are reported and left out. PyTorch is Debian's
# python3-torch (1.13) with libopenblas0-pthread under /usr/bin/python3; TorchSharp is TorchSharp-cpu 0.107
# (libtorch 2.10), restored by `dotnet build benchmarks/torchsharp` (about 1 GB). On Debian 12 its
# libLibTorchSharp.so needs GCC 13's libstdc++ for one function: a copy is patched (benchmarks/torchsharp/debian12).
# OMP_POLICIES: OpenMP wait policies to run the peers with (each is a column; the best counts); "default" leaves
# OMP_WAIT_POLICY unset. Raw JSON lines and logs go to $OUT (default /tmp/digits-compare-<time>).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

ROUNDS=${ROUNDS:-2}
THREADS=${THREADS:-2}
ISAS=${ISAS:-avx2 native}
OMP_POLICIES=${OMP_POLICIES:-default}
CONFIGS=${CONFIGS:-small,large,nielsen}
EPOCHS=${EPOCHS:-3}
WARMUP=${WARMUP:-1}
OUT=${OUT:-/tmp/digits-compare-$(date -u +%Y%m%dT%H%M%S)}
: "${DIGITS_DATA:?set DIGITS_DATA to the folder holding mnist/}"
mkdir -p "$OUT"
echo "compare: results in $OUT; $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs);" \
  "AVX-512: $(grep -q avx512f /proc/cpuinfo && echo yes || echo no)"

echo "compare: building (Release)"
dotnet build src/Digits.Cli -c Release -v q -nologo >"$OUT/build.log" 2>&1 || { cat "$OUT/build.log"; exit 1; }
DIGITS=(dotnet src/Digits.Cli/bin/Release/net10.0/digits.dll)

have_pytorch=no
if /usr/bin/python3 -c "import torch" 2>/dev/null; then have_pytorch=yes
else echo "compare: PyTorch missing (apt-get install python3-torch libopenblas0-pthread); left out"; fi

have_torchsharp=no
TS_DIR=benchmarks/torchsharp/bin/Release/net10.0
TS_PRELOAD=""
if dotnet build benchmarks/torchsharp -c Release -v q -nologo >"$OUT/build-torchsharp.log" 2>&1; then
  have_torchsharp=yes
  native=$TS_DIR/runtimes/linux-x64/native/libLibTorchSharp.so
  if ldd "$native" 2>&1 | grep -q "GLIBCXX_3.4.32' not found"; then
    # Debian 12's libstdc++ is GCC 12's: mark the one GCC 13 requirement weak and supply its function.
    python3 benchmarks/torchsharp/debian12/weaken_verneed.py "$native" GLIBCXX_3.4.32 >>"$OUT/build-torchsharp.log"
    g++ -O2 -shared -fPIC -o "$OUT/libios_init_shim.so" benchmarks/torchsharp/debian12/ios_init_shim.cpp
    TS_PRELOAD=$OUT/libios_init_shim.so
  elif ldd "$native" 2>&1 | grep -q "not found"; then
    echo "compare: TorchSharp's native library cannot load here:" \
      "$(ldd "$native" | grep 'not found' | head -1); left out"
    have_torchsharp=no
  fi
else
  echo "compare: TorchSharp twin did not build (see $OUT/build-torchsharp.log); left out"
fi

# env for one instruction set: NAME=VALUE words
isa_env() {
  if [[ $1 == avx2 ]]; then
    echo "DOTNET_EnableAVX512=0 OPENBLAS_CORETYPE=Haswell ATEN_CPU_CAPABILITY=avx2 MKL_ENABLE_INSTRUCTIONS=AVX2" \
      "ONEDNN_MAX_CPU_ISA=AVX2 DNNL_MAX_CPU_ISA=AVX2"
  fi
}

omp_env() { [[ $1 == default ]] || echo "OMP_WAIT_POLICY=$1"; }

for round in $(seq 1 "$ROUNDS"); do
  for isa in $ISAS; do
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    echo "compare: round $round, $isa: digits (load $load)"
    env $(isa_env "$isa") "${DIGITS[@]}" bench --devices cpu --threads "$THREADS" --config $CONFIGS --epochs "$EPOCHS" \
      --warmup "$WARMUP" --json 2>"$OUT/digits-$isa-$round.log" |
      sed "s/^{/{\"runner\":\"digits\",\"isa\":\"$isa\",\"round\":$round,\"load\":\"$load\",/" >>"$OUT/results.jsonl"
    # The FMA probe once more on its own (digits bench --json keeps its figure in peak_gflops_per_second).
    env $(isa_env "$isa") "${DIGITS[@]}" devices 2>/dev/null | grep -o "GEMM tile; .*" | sed "s/^GEMM tile; //" |
      sed "s/^/$isa round $round: /" | tee -a "$OUT/peaks.txt" | sed "s/^/compare:   /"
    for policy in $OMP_POLICIES; do
      if [[ $have_pytorch == yes ]]; then
        echo "compare: round $round, $isa: pytorch ($policy OpenMP wait policy, load $(cut -d' ' -f1 /proc/loadavg))"
        env $(isa_env "$isa") $(omp_env "$policy") /usr/bin/python3 benchmarks/pytorch/twin.py --threads "$THREADS" \
          --config $CONFIGS --epochs "$EPOCHS" --warmup "$WARMUP" --json 2>>"$OUT/pytorch.log" |
          sed "s/^{/{\"runner\":\"pytorch-$policy\",\"isa\":\"$isa\",\"round\":$round,/" >>"$OUT/results.jsonl"
      fi
      if [[ $have_torchsharp == yes ]]; then
        echo "compare: round $round, $isa: torchsharp ($policy OpenMP wait policy, load $(cut -d' ' -f1 /proc/loadavg))"
        env $(isa_env "$isa") $(omp_env "$policy") ${TS_PRELOAD:+LD_PRELOAD=$TS_PRELOAD} \
          dotnet "$TS_DIR/Digits.TorchSharpTwin.dll" \
          --threads "$THREADS" --config $CONFIGS --epochs "$EPOCHS" --warmup "$WARMUP" --json 2>>"$OUT/torchsharp.log" |
          sed "s/^{/{\"runner\":\"torchsharp-$policy\",\"isa\":\"$isa\",\"round\":$round,/" >>"$OUT/results.jsonl"
      fi
    done
  done
done

python3 benchmarks/cpu/table.py "$OUT/results.jsonl" | tee "$OUT/table.md"
echo; echo "FMA probe (digits devices) after each Digits run:"; cat "$OUT/peaks.txt"
