#!/usr/bin/env bash
# run-all.sh — on the GPU machine, through .device/run.sh (which unpacks .device/bin, puts dotnet on PATH and sets
# DIGITS_DATA): every CUDA check and measurement the README and the issues ask for, in one device call. Each step's
# output goes to $OUT/NN-name.txt, its exit code and seconds to $OUT/steps.txt; a step that fails or times out does
# not stop the others. Each step has its own time limit and the whole script a budget (RUN_ALL_BUDGET_S, default
# 470 s, about 8 minutes): a step gets at most what is left of it, and one that would get under 15 s is skipped.
# `run-all.sh cublas bench` runs only the named steps. Prepared by benchmarks/gpu/prepare.sh; call it as
#   run  command: bash .device/run.sh bash .device/run-all.sh      carry: [".device"]      timeout_s: 560
# Everything runs on the ILGPU CUDA backend (kernels compiled from C# to PTX by ILGPU when a backend opens); the
# cuBLAS yardstick loads libcublas through ILGPU.Algorithms (libcublas.so.12/11/10 on the loader's path; a CUDA
# toolkit's or PyTorch's copy is added to LD_LIBRARY_PATH for that step when the loader has none).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
bin=$here/bin
out=${OUT:-/tmp/digits-gpu-out}
mkdir -p "$out"
digits=(dotnet "$bin/Digits.Cli/digits.dll")
tests=(dotnet "$bin/Digits.Tests/Digits.Tests.dll")
benchmarks=(dotnet "$bin/Digits.Benchmarks/Digits.Benchmarks.dll")
budget=${RUN_ALL_BUDGET_S:-470}
began=$(date +%s)
only=" $* "   # run-all.sh [STEP...]: only the named steps (all when none)
n=0

step() {  # step NAME LIMIT_S COMMAND...
  local name=$1 limit=$2; shift 2
  n=$((n + 1))
  [[ $only == "  " || $only == *" $name "* ]] || return 0
  local file left start rc ms
  file=$(printf '%s/%02d-%s.txt' "$out" "$n" "$name")
  left=$(( budget - ($(date +%s) - began) - 5 ))
  (( limit > left )) && limit=$left
  if (( limit < 15 )); then
    printf '%-16s skipped: %d s of the %d s budget left\n' "$name" "$((left + 5))" "$budget" | tee -a "$out/steps.txt"
    return 0
  fi
  start=$(date +%s%N)
  { echo "\$ $*"; echo "(limit ${limit} s)"; } >"$file"
  timeout -k 5 "$limit" "$@" >>"$file" 2>&1
  rc=$?
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  (( rc == 124 || rc == 137 )) && echo "run-all.sh: TIMED OUT after ${limit} s" >>"$file"
  printf '%-16s rc=%-4s %d.%03d s%s\n' "$name" "$rc" $((ms / 1000)) $((ms % 1000)) \
    "$( (( rc == 124 || rc == 137 )) && echo ' (timed out)')" | tee -a "$out/steps.txt"
}

# A folder holding libcublas.so.12/11/10 when the loader does not already find one: a CUDA toolkit's, or the copy
# inside a pip-installed PyTorch (nvidia-cublas-cu12). Empty when the loader finds one itself or none exists.
cublas_dir() {
  local d known
  known=$(ldconfig -p 2>/dev/null)
  grep -qE 'libcublas\.so\.1[012]\b' <<<"$known" && return 0
  for d in ${CUDA_HOME:+$CUDA_HOME/lib64} ${CUDA_PATH:+$CUDA_PATH/lib64} /usr/local/cuda/lib64 \
           /usr/local/cuda-*/lib64 /usr/local/cuda-*/targets/x86_64-linux/lib /usr/lib/x86_64-linux-gnu \
           $(timeout 20 python3 -c 'import nvidia.cublas as c, os; print(os.path.join(c.__path__[0], "lib"))' 2>/dev/null); do
    if compgen -G "$d/libcublas.so.1[012]" >/dev/null; then echo "$d"; return 0; fi
  done
}

{
  echo "run-all.sh at $(date -u '+%Y-%m-%d %H:%M:%S') UTC, budget ${budget} s"
  nvidia-smi 2>&1
  echo; echo "dotnet runtimes:"; dotnet --list-runtimes 2>&1
  echo; echo "libcublas known to the loader:"; ldconfig -p 2>/dev/null | grep libcublas || echo "(none)"
} >"$out/00-environment.txt" 2>&1
extra=$(cublas_dir)
[[ -n $extra ]] && echo "libcublas added for the cublas step from: $extra" >>"$out/00-environment.txt"
: >"$out/steps.txt"

# Devices ILGPU finds (and why not), then the CLI's own kernel check on cuda.
step devices 40 "${digits[@]}" devices
step check-cuda 90 "${digits[@]}" check --device cuda
# The GEMM plans on this device's SMs, with the model's expected µs (issue 23); the cublas step measures them.
step plans 40 "${digits[@]}" kernels --plans
# The test suite's CUDA classes (CudaKernelTests, CudaBackendTests, CudaGraphTests; -class takes '*' wildcards).
# The machine has the .NET runtime only, no SDK, so the xUnit v3 test executable runs them itself rather than
# `dotnet test --filter FullyQualifiedName~Cuda`.
step tests-cuda 180 "${tests[@]}" -class '*Cuda*' -noColor -longRunning 60
# Our GEMMs (16-byte tile loads on and off) against cuBLAS SGEMM: large's shapes and 4096³.
step cublas 150 env ${extra:+LD_LIBRARY_PATH="$extra${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"} "${benchmarks[@]}" --cublas
# A default training run, the speedrun to 98 %, and the bench with and without CUDA graphs (the CPU rows do not
# depend on DIGITS_CUDA_GRAPHS, so the second run is cuda alone).
step train-cuda 90 "${digits[@]}" train --device cuda --output /tmp/digits-train-cuda.safetensors
step speedrun-cuda 90 "${digits[@]}" bench --target-accuracy 98 --devices cuda
step bench 150 "${digits[@]}" bench --devices cpu,cuda --json
step bench-no-graphs 90 env DIGITS_CUDA_GRAPHS=0 "${digits[@]}" bench --devices cuda --json
# The PyTorch twin on CUDA (same configurations, TF32 off; needs a CUDA build of torch on this machine).
step twin-cuda 120 python3 "$root/benchmarks/pytorch/twin.py" --device cuda --epochs 3 --warmup 1 --json
# The regularized presets on CUDA (issue 14 asks how long `augmented` takes on a GPU); last, so the budget decides
# whether they fit: `run-all.sh best-cuda augmented-cuda` runs them alone.
step best-cuda 150 "${digits[@]}" train --device cuda --preset best --output /tmp/digits-best-cuda.safetensors
step augmented-cuda 200 "${digits[@]}" train --device cuda --preset augmented --output /tmp/digits-augmented-cuda.safetensors
echo "total $(( $(date +%s) - began )) s of the ${budget} s budget" | tee -a "$out/steps.txt"
