#!/usr/bin/env bash
# Checks the CUDA dialect of the kernels without NVRTC or a GPU: composes the source as KernelSource.Compose
# does for CUDA (prelude_cuda.h, common.h, *.cl in ordinal name order, #line markers), then
#  1. g++ -fsyntax-only on all of it, as C++17 with nvrtc_stubs.h, at both GEMM_T the backends use;
#  2. builds emulate.cpp with AddressSanitizer and UBSan's alignment check and runs the three GEMM kernels on
#     the CPU against a double-precision reference (odd shapes, aligned and unaligned views, float4 on and off);
#  3. forces a misaligned float4 load and expects the sanitizer to stop it (the check can fail).
# Usage: tests/cuda-dialect/run.sh   (needs g++ 11+; about a minute on 2 cores)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
kernels="$here/../../src/Digits.Gpu/Kernels"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
{
  for f in prelude_cuda.h common.h $(cd "$kernels" && LC_ALL=C ls *.cl); do
    echo "#line 1 \"$f\""
    cat "$kernels/$f"
  done
} > "$work/composed.cu"
flags=(-x c++ -std=c++20 -Wall -Wextra -Werror -Wno-unused-parameter -Wno-unknown-pragmas -I"$here" -I"$work")
for t in 16 8; do
  g++ "${flags[@]}" -fsyntax-only -DWG=$((t * t)) -DGEMM_T=$t -include "$here/nvrtc_stubs.h" "$work/composed.cu"
done
echo "syntax: the CUDA dialect compiles as C++ (GEMM_T 16 and 8)"
for t in 16 8; do
  g++ "${flags[@]}" -O1 -g -pthread -fsanitize=address,alignment -fno-sanitize-recover=all -DWG=$((t * t)) \
      -DGEMM_T=$t "$here/emulate.cpp" -o "$work/emulate$t"
  "$work/emulate$t"
done
if "$work/emulate16" misaligned > "$work/negative.txt" 2>&1; then
  echo "FAILED: a misaligned float4 load went unnoticed"; exit 1
fi
grep -q "misaligned address" "$work/negative.txt" && echo "negative control: a misaligned float4 load is caught"
