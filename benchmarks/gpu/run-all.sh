#!/usr/bin/env bash
# run-all.sh — on the GPU machine, through .device/run.sh (which unpacks .device/bin, puts dotnet on PATH and sets
# DIGITS_DATA): every CUDA check and measurement in one device call, the cheap steps that diagnose the most first.
# Prepared by benchmarks/gpu/prepare.sh; call it as
#   run  command: bash .device/run.sh bash .device/run-all.sh      carry: [".device"]      timeout_s: 590
#
# Each step runs under `timeout` with its own limit, and the whole script within a budget (RUN_ALL_BUDGET_S, default
# 540 s: with a cold start of a few minutes the call fits the 15 minutes of device time): a step gets at most what is
# left, and one that would get under 15 s is skipped. A step that fails or times out does not stop the others.
# `run-all.sh devices check-cuda` runs only the named steps.
#
# What comes back ($OUT holds at most 8 files): $OUT/steps.txt (each step's exit code and seconds, as it finishes),
# $OUT/environment.txt, and $OUT/run-all.tar.gz, rewritten after every step, so a call cut short still returns what
# was done. The archive holds environment.txt, steps.txt, NN-step.txt per step (the command line first, then
# everything it printed, DIGITS_TRACE=1's ILGPU trace included), ptx/KERNEL.ptx with the driver's JIT log
# ptx/KERNEL.jit.txt for every kernel. stdout (the call's output tail) gets one line per step and the tail of a step
# that failed.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
bin=$here/bin
out=${OUT:-/tmp/digits-gpu-out}
work=$(mktemp -d /tmp/digits-run-all.XXXXXX)
mkdir -p "$out" "$work/ptx"
digits=(dotnet "$bin/Digits.Cli/digits.dll")
tests=(dotnet "$bin/Digits.Tests/Digits.Tests.dll")
budget=${RUN_ALL_BUDGET_S:-540}
began=$(date +%s)
only=" $* "   # run-all.sh [STEP...]: only the named steps (all when none)
n=0
export DIGITS_TRACE=1   # ILGPU's trace (the CUDA JIT's error log among it) goes to stderr, into each step's file

save() {  # the archive and the step list into $OUT, replaced whole so that a cut never leaves half a file
  cp "$work/steps.txt" "$out/steps.txt" 2>/dev/null
  tar -C "$work" -czf "$out/.run-all.tar.gz" . && mv -f "$out/.run-all.tar.gz" "$out/run-all.tar.gz"
}

step() {  # step NAME LIMIT_S COMMAND...
  local name=$1 limit=$2; shift 2
  n=$((n + 1))
  [[ $only == "  " || $only == *" $name "* ]] || return 0
  local file left start rc ms line
  file=$(printf '%s/%02d-%s.txt' "$work" "$n" "$name")
  left=$(( budget - ($(date +%s) - began) - 5 ))
  (( limit > left )) && limit=$left
  if (( limit < 15 )); then
    printf '%-16s skipped: %d s of the %d s budget left\n' "$name" "$((left + 5))" "$budget" | tee -a "$work/steps.txt"
    save; return 0
  fi
  start=$(date +%s%N)
  { echo "\$ $*"; echo "(limit ${limit} s)"; } >"$file"
  timeout -k 5 "$limit" "$@" >>"$file" 2>&1
  rc=$?
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  (( rc == 124 || rc == 137 )) && echo "run-all.sh: TIMED OUT after ${limit} s" >>"$file"
  line=$(printf '%-16s rc=%-4s %d.%03d s%s' "$name" "$rc" $((ms / 1000)) $((ms % 1000)) \
    "$( (( rc == 124 || rc == 137 )) && echo ' (timed out)')")
  echo "$line" >>"$work/steps.txt"
  echo "$line"
  (( rc != 0 )) && tail -n 8 "$file" | sed 's/^/    | /'
  save
}

# A folder holding libcublas.so.12 or .13 (ILGPU.Algorithms loads .12/.11/.10; digits loads .13 in .12's place) when
# the loader finds none: a CUDA toolkit's, or the copy inside a pip-installed PyTorch. Empty when the loader finds
# one itself or none exists.
cublas_dir() {
  local d f
  ldconfig -p 2>/dev/null | grep -qE 'libcublas\.so\.1[0-3]\b' && return 0
  for d in ${CUDA_HOME:+$CUDA_HOME/lib64} ${CUDA_PATH:+$CUDA_PATH/lib64} /usr/local/cuda/lib64 \
           /usr/local/cuda-*/lib64 /usr/local/cuda-*/targets/x86_64-linux/lib /usr/lib/x86_64-linux-gnu; do
    compgen -G "$d/libcublas.so.1[0-3]" >/dev/null && { echo "$d"; return 0; }
  done
  for d in $(timeout 20 python3 -c 'import site; print(" ".join(site.getsitepackages()))' 2>/dev/null); do
    f=$(find "$d/nvidia" -name 'libcublas.so.1[0-3]' 2>/dev/null | head -n 1)
    [[ -n $f ]] && { dirname "$f"; return 0; }
  done
}

{
  echo "run-all.sh at $(date -u '+%Y-%m-%d %H:%M:%S') UTC, budget ${budget} s, $(uname -srm)"
  echo; echo "\$ nvidia-smi"; timeout 20 nvidia-smi 2>&1
  echo; echo "\$ ldconfig -p | grep -E 'cuda|ptxjit|cublas'"; ldconfig -p 2>/dev/null | grep -E 'cuda|ptxjit|cublas' || echo "(none)"
  echo; echo "PyTorch:"; timeout 40 python3 -c 'import torch; print("torch", torch.__version__, "CUDA", torch.version.cuda,
"available", torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")' 2>&1
  echo; echo "dotnet runtimes:"; dotnet --list-runtimes 2>&1
} >"$work/environment.txt" 2>&1
extra=$(cublas_dir)
[[ -n $extra ]] && echo "libcublas added for the gemm step from: $extra" >>"$work/environment.txt"
cp "$work/environment.txt" "$out/environment.txt"
: >"$work/steps.txt"
save

# 1. What ILGPU and the driver see (cuInit's own error name when there is no device), then every kernel JIT-compiled
#    by the driver with its log (registers, spills) and its PTX, then every kernel against the CPU reference.
step devices 30 "${digits[@]}" devices
step kernels-jit 60 "${digits[@]}" kernels --device cuda --ptx "$work/ptx"
step check-cuda 90 "${digits[@]}" check --device cuda
# The GEMM plans on this device's SMs with the model's expected µs (the gemm step below measures them).
step plans 30 "${digits[@]}" kernels --plans
# 2. A training step recorded and replayed as a CUDA graph, then the rest of the suite's CUDA classes
#    (CudaKernelTests, CudaBackendTests; -class takes '*' wildcards). The machine has the .NET runtime only, no SDK,
#    so the xUnit v3 test executable runs them itself.
step graph 90 "${tests[@]}" -class 'Digits.Tests.Gpu.CudaGraphTests' -noColor
step tests-cuda 150 "${tests[@]}" -class '*CudaKernelTests' -class '*CudaBackendTests' -class '*CudaGemmPlanKernelTests' -noColor -longRunning 60
# 3. Our GEMMs against cuBLAS SGEMM, then the throughput table (rows streamed: a cut keeps what was measured).
step gemm 120 env ${extra:+LD_LIBRARY_PATH="$extra${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"} "${digits[@]}" bench --gemm
step bench 150 "${digits[@]}" bench --devices cpu,cuda --json
# 4. Whole runs: the default training, the speedrun to 98 %, the bench without graphs, the PyTorch twin on CUDA.
step train-cuda 90 "${digits[@]}" train --device cuda --json --output /tmp/digits-train-cuda.safetensors
step speedrun-cuda 90 "${digits[@]}" bench --target-accuracy 98 --devices cuda
step bench-no-graphs 90 env DIGITS_CUDA_GRAPHS=0 "${digits[@]}" bench --devices cuda --json
step twin-cuda 120 python3 "$root/benchmarks/pytorch/twin.py" --device cuda --epochs 3 --warmup 1 --json
# 5. The regularized presets (how long `augmented` takes on a GPU): last, so the budget decides whether they fit;
#    `run-all.sh best-cuda augmented-cuda` runs them alone.
step best-cuda 150 "${digits[@]}" train --device cuda --preset best --output /tmp/digits-best-cuda.safetensors
step augmented-cuda 200 "${digits[@]}" train --device cuda --preset augmented --output /tmp/digits-augmented-cuda.safetensors
echo "total $(( $(date +%s) - began )) s of the ${budget} s budget" | tee -a "$work/steps.txt"
save
rm -rf "$work"
