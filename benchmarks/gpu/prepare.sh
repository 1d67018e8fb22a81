#!/usr/bin/env bash
# prepare.sh — on the development machine, before a session with a lent GPU: packs .device/ with
# ../shared/device/pack.sh (runtime, Release builds of the tests and the CLI, MNIST), then adds the
# benchmarks project (for the cuBLAS yardstick) and this folder's run-all.sh. Then, with the device tool:
#   run  command: bash .device/run.sh bash .device/run-all.sh      carry: [".device"]
# which writes everything it measures under $OUT (see run-all.sh). Checks the 64 MiB carry limit.
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
mkdir -p "$(git rev-parse --git-dir)/info"   # pack.sh records .device/ in info/exclude
bash ../shared/device/pack.sh
mkdir -p .device/unpacked && tar -C .device/unpacked -xJf .device/bin.tar.xz
dotnet publish benchmarks/Digits.Benchmarks -c Release -o .device/unpacked/bin/Digits.Benchmarks --nologo >/dev/null
tar -C .device/unpacked -cJf .device/bin.tar.xz bin && rm -rf .device/unpacked
cp benchmarks/gpu/run-all.sh .device/run-all.sh
size=$(du -sm .device | cut -f1)
echo "carry [\".device\"]: ${size} MiB (the working tree counts too; limit 64 MiB)"
(( size < 60 )) || { echo "prepare.sh: .device is too large to carry" >&2; exit 1; }
