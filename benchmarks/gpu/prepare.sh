#!/usr/bin/env bash
# prepare.sh — on the development machine, before a session with a lent GPU: packs .device/ with
# ../shared/device/pack.sh (the .NET runtime, Release builds of the tests and the CLI, MNIST), then adds the
# benchmarks project (for the cuBLAS yardstick, which reaches cuBLAS through ILGPU.Algorithms) and this folder's
# run-all.sh. Nothing GPU-specific is built here: ILGPU compiles the kernels to PTX on the GPU machine when a backend
# opens. Then, with the device tool, one call:
#   run  command: bash .device/run.sh bash .device/run-all.sh      carry: [".device"]      timeout_s: 560
# which writes everything it measures under $OUT (see run-all.sh; about 8 minutes at most). Checks the 64 MiB carry
# limit.
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
mkdir -p "$(git rev-parse --git-dir)/info"   # pack.sh records .device/ in info/exclude
bash ../shared/device/pack.sh
rm -rf .device/unpacked
mkdir -p .device/unpacked && tar -C .device/unpacked -xJf .device/bin.tar.xz
publish=.device/unpacked/bin/Digits.Benchmarks
dotnet publish benchmarks/Digits.Benchmarks -c Release -o "$publish" --nologo >/dev/null
# BenchmarkDotNet's diagnostics bring native files for every platform (tens of MiB); the GPU machine is linux-x64
# (it runs this machine's x64 runtime), so only those travel.
find "$publish/runtimes" -mindepth 1 -maxdepth 1 ! -name linux-x64 ! -name linux ! -name unix -exec rm -rf {} + \
  2>/dev/null || true
rm -rf "$publish/amd64" "$publish/x86" "$publish/arm64"
tar -C .device/unpacked -cJf .device/bin.tar.xz bin && rm -rf .device/unpacked
cp benchmarks/gpu/run-all.sh .device/run-all.sh
bash -n .device/run-all.sh
size=$(du -sm .device | cut -f1)
echo "carry [\".device\"]: ${size} MiB (the working tree counts too; limit 64 MiB)"
(( size < 60 )) || { echo "prepare.sh: .device is too large to carry" >&2; exit 1; }
