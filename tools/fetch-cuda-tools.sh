#!/usr/bin/env bash
# fetch-cuda-tools.sh — NVIDIA's PTX assembler and SASS disassemblers without a GPU and without installing CUDA.
#
# Debian's non-free component carries the CUDA 11.8 toolkit (nvidia-cuda-toolkit 11.8.89). Its ptxas, cuobjdump and
# nvdisasm are static binaries: this script enables contrib/non-free on the Debian sources apt already has (no new
# source), downloads the one package (84 MB) and extracts only those three files into
#   ${DIGITS_CUDA_TOOLS:-$HOME/.cache/digits/cuda-tools}/bin
# It prints that bin folder on its last line. ptxas 11.8 takes PTX ISA <= 7.8 and knows sm_80 and sm_90; it is the
# step the CUDA driver runs on a GPU machine to turn ILGPU's PTX into machine code (SASS).
# The tests find the tools through DIGITS_CUDA_TOOLS (or ptxas on PATH); .ci/run calls this script.
set -euo pipefail
dest=${DIGITS_CUDA_TOOLS:-$HOME/.cache/digits/cuda-tools}
if [[ -x $dest/bin/ptxas && -x $dest/bin/cuobjdump && -x $dest/bin/nvdisasm ]]; then
  echo "$dest/bin"; exit 0
fi
sudo_cmd=""; [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
sources=/etc/apt/sources.list.d/debian.sources
if [[ -f $sources ]] && grep -q '^Components: main$' "$sources"; then
  $sudo_cmd sed -i 's/^Components: main$/Components: main contrib non-free/' "$sources"
elif [[ -f /etc/apt/sources.list ]] && grep -qE '^deb .*debian.* main$' /etc/apt/sources.list; then
  $sudo_cmd sed -i -E 's/^(deb .*debian.* main)$/\1 contrib non-free/' /etc/apt/sources.list
fi
$sudo_cmd apt-get update -qq >/dev/null
work=$(mktemp -d); chmod 755 "$work"   # apt's _apt user downloads into it
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download -qq nvidia-cuda-toolkit >/dev/null)
dpkg -x "$work"/nvidia-cuda-toolkit_*.deb "$work/x"
mkdir -p "$dest/bin"
for tool in ptxas cuobjdump nvdisasm; do install -m 755 "$work/x/usr/bin/$tool" "$dest/bin/$tool"; done
"$dest/bin/ptxas" --version | tail -n 1 >&2
echo "$dest/bin"
