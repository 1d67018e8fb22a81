#!/usr/bin/env bash
# prepare.sh — on the development machine, before a session with a lent GPU: packs .device/ with
# ../shared/device/pack.sh (this machine's .NET runtime, Release builds of the tests and the CLI, MNIST, run.sh) and
# adds this folder's run-all.sh. Nothing GPU-specific is built here: ILGPU compiles the kernels to PTX on the GPU
# machine when a backend opens, and the cuBLAS yardstick is the CLI's own `digits bench --gemm`. One thing is taken
# out of the builds: ONNX Runtime's native library (libonnxruntime.so, 28 MiB, about 8 MiB packed), which only the
# ONNX export test loads; the call runs the test suite's CUDA classes, never that test. Then one device call:
#   run  command: bash .device/run.sh bash .device/run-all.sh      carry: [".device"]      timeout_s: 590
# which writes what it measures under $OUT (see run-all.sh).
#
# It ends by printing what that call carries — the working tree the device tool sends (tracked files and untracked
# ones git does not ignore) plus .device — and fails when that is 60 MiB or more (the tool's limit is 64 MiB).
# `prepare.sh --check` only measures an existing .device. .ci/run runs it on a clean clone, so the carry cannot grow
# past the limit unnoticed. Run it from a clone, not a git worktree: pack.sh writes .git/info/exclude.
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
limit_mib=60
if [[ ${1:-} != --check ]]; then
  [[ -d .git ]] || { echo "prepare.sh: $root is not a clone (.git is not a folder); pack.sh needs .git/info/exclude" >&2; exit 2; }
  [[ -d ../shared/device ]] || { echo "prepare.sh: ../shared/device/pack.sh not found beside $root" >&2; exit 2; }
  bash ../shared/device/pack.sh
  rm -rf .device/unpacked && mkdir .device/unpacked
  tar -C .device/unpacked -xJf .device/bin.tar.xz
  find .device/unpacked -name 'libonnxruntime*.so*' -delete
  XZ_OPT=-9e tar -C .device/unpacked -cJf .device/bin.tar.xz bin && rm -rf .device/unpacked
  cp benchmarks/gpu/run-all.sh .device/run-all.sh
  bash -n .device/run-all.sh
fi
[[ -f .device/bin.tar.xz && -f .device/dotnet.tar.xz ]] || { echo "prepare.sh: no packed .device here" >&2; exit 2; }
tree=$(git ls-files -z --cached --others --exclude-standard | xargs -0 -r stat -c %s -- 2>/dev/null | awk '{s += $1} END {print s + 0}')
device=$(find .device -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')
total=$((tree + device))
mib() { awk -v b="$1" 'BEGIN {printf "%.1f", b / 1048576}'; }
echo "carry: $(mib "$total") MiB = working tree $(mib "$tree") + .device $(mib "$device") (runtime $(mib "$(stat -c %s .device/dotnet.tar.xz)"), builds $(mib "$(stat -c %s .device/bin.tar.xz)"), data $(mib "$(du -sb .device/data 2>/dev/null | cut -f1)")); limit ${limit_mib} MiB of the tool's 64"
(( total < limit_mib * 1048576 )) || { echo "prepare.sh: the call would carry $(mib "$total") MiB, over ${limit_mib} MiB" >&2; exit 1; }
