#!/usr/bin/env bash
# The README's fine-tuning measurement: an MNIST model fine-tuned with `digits train --init` on typed digits, measured
# before and after on typed digits it never saw and on the MNIST test set.
#   usage (repository root, DIGITS_DATA set): benchmarks/finetune/run.sh [WORK_FOLDER] [SEED...]
# Needs the fonts of README.md here (apt-get install …). Prints one table row per dataset and seed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
work=${1:-/tmp/digits-finetune}; shift || true
seeds=("${@:-1}")
mkdir -p "$work"
dotnet build src/Digits.Cli -c Release -v q -nologo >/dev/null
digits() { dotnet src/Digits.Cli/bin/Release/net10.0/digits.dll "$@"; }
accuracy() { # MODEL DATASET: test accuracy in percent
  digits evaluate --model "$1" --dataset "$2" --device cpu --skip-bad --json | tail -n 1 |
    python3 -c "import json, sys; print('%.2f' % (100 * json.load(sys.stdin)['test_accuracy']))"
}
# the typed digits: unseen-fonts (train and test fonts of disjoint families), same-fonts (DejaVu, other renders)
dotnet run -c Release --project benchmarks/finetune -- "$work/unseen-fonts" --split packages --train-per-class 30 --test-per-class 200
dotnet run -c Release --project benchmarks/finetune -- "$work/same-fonts" --split dejavu --train-per-class 30 --test-per-class 200
# the MNIST model: the default run (784-256-128-10 ReLU, Adam, 10 epochs; 98.21 % on the cpu device)
[[ -f $work/mnist.safetensors ]] || digits train --device cpu --output "$work/mnist.safetensors" --quiet
mnist_before=$(accuracy "$work/mnist.safetensors" mnist)
echo "| typed digits | seed | typed before | typed after | MNIST before | MNIST after |"
for set in unseen-fonts same-fonts; do
  before=$(accuracy "$work/mnist.safetensors" "folder:$work/$set")
  for seed in "${seeds[@]}"; do
    digits train --init "$work/mnist.safetensors" --dataset "folder:$work/$set" --skip-bad --device cpu --seed "$seed" \
      --output "$work/$set-$seed.safetensors" --quiet >/dev/null
    echo "| $set | $seed | $before % | $(accuracy "$work/$set-$seed.safetensors" "folder:$work/$set") % | $mnist_before % |" \
         "$(accuracy "$work/$set-$seed.safetensors" mnist) % |"
  done
done
