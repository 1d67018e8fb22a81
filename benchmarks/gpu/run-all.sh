#!/usr/bin/env bash
# run-all.sh — on the GPU machine, through .device/run.sh (which puts dotnet on PATH and sets DIGITS_DATA):
# every CUDA measurement the README and the issues ask for, in one call of at most 10 minutes, each step's
# output in $OUT/NN-name.txt and a summary of exit codes in $OUT/steps.txt. A step that fails does not stop the
# others; `run-all.sh bench cublas` runs only the named steps. Prepared by benchmarks/gpu/prepare.sh.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin=$here/bin
out=${OUT:-/tmp/digits-gpu-out}
mkdir -p "$out"
digits=(dotnet "$bin/Digits.Cli/digits.dll")
only=" $* "   # run-all.sh [STEP...]: only the named steps (all when none)
n=0
step() {  # step NAME TIMEOUT_S COMMAND...
  local name=$1 limit=$2; shift 2
  n=$((n + 1))
  [[ $only == "  " || $only == *" $name "* ]] || return 0
  local file=$(printf '%s/%02d-%s.txt' "$out" "$n" "$name")
  local start=$(date +%s%N)
  timeout "$limit" "$@" >"$file" 2>&1
  local rc=$?
  local ms=$(( ($(date +%s%N) - start) / 1000000 ))
  printf '%-16s rc=%-4s %d.%03d s\n' "$name" "$rc" $((ms / 1000)) $((ms % 1000)) | tee -a "$out/steps.txt"
}
nvidia-smi >"$out/00-nvidia-smi.txt" 2>&1
step devices 60 "${digits[@]}" devices
step check-cuda 120 "${digits[@]}" check --device cuda
step tests 300 dotnet "$bin/Digits.Tests/Digits.Tests.dll"
step train-cuda 120 "${digits[@]}" train --device cuda --output "$out/model-cuda.safetensors"
step speedrun-cuda 120 "${digits[@]}" bench --devices cuda --target-accuracy 98
step bench 300 "${digits[@]}" bench --devices cpu,cuda --epochs 3 --warmup 1 --json
step twin-cuda 240 python3 benchmarks/pytorch/twin.py --device cuda --epochs 3 --warmup 1 --json
step cublas 240 dotnet "$bin/Digits.Benchmarks/Digits.Benchmarks.dll" --cublas
step cublas-scalar 120 dotnet "$bin/Digits.Benchmarks/Digits.Benchmarks.dll" --cublas --scalar-loads
step no-graphs 120 env DIGITS_CUDA_GRAPHS=0 "${digits[@]}" bench --devices cuda --config small --json
cat "$out/steps.txt"
