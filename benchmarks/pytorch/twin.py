#!/usr/bin/env python3
"""PyTorch twin of `digits bench`: the same MLP training runs, timed the same way, side by side.

Each configuration below must stay identical to the Digits bench presets (layer sizes,
activations, loss, optimizer, learning rate, mini-batch size); change both or neither.

  small   784-128-10 ReLU, softmax cross-entropy, Adam lr 1e-3, batch 128
  large   784-1024-1024-10 ReLU, softmax cross-entropy, Adam lr 1e-3, batch 256
  nielsen 784-30-10 sigmoid (hidden and outputs), quadratic cost 0.5*sum((a-onehot)^2)/B,
          plain SGD lr 3.0, batch 10

An epoch is: a fresh torch.randperm, then per mini-batch (the last, partial one included) an
index_select gather from the preloaded tensors (counted as training time, as in Digits), forward,
loss, backward, optimizer step, zero_grad(set_to_none=True). Warm-up epochs are not counted;
evaluation is not timed. On CUDA the clock is read after torch.cuda.synchronize() and TF32 is off.

On CPU the matrix products go to the BLAS that torch was built against. Debian's python3-torch calls
the system libblas.so.3, which is netlib's slow reference BLAS unless an optimized one (Debian
recommends libopenblas0) is installed; the BLAS actually loaded is reported in the "blas" field and
OpenBLAS gets --threads threads too (torch.set_num_threads does not reach it). On a CPU shared with
other busy processes, run with OMP_WAIT_POLICY=passive: PyTorch's spinning OpenMP workers otherwise
fight everything else for the cores (reported as "omp_wait_policy").

  DIGITS_DATA=/path/to/data python3 twin.py [--device cpu|cuda] [--threads 2] [--epochs 3]
                                           [--warmup 1] [--config small,large,nielsen] [--json]
"""
import argparse, ctypes, gzip, json, os, statistics, sys, time

import numpy as np
import torch
from torch import nn

CONFIGS = {  # name: (layer sizes, activation, loss, optimizer, learning rate, batch size)
    "small": ([784, 128, 10], "relu", "xent", "adam", 1e-3, 128),
    "large": ([784, 1024, 1024, 10], "relu", "xent", "adam", 1e-3, 256),
    "nielsen": ([784, 30, 10], "sigmoid", "quadratic", "sgd", 3.0, 10),
}


def read_idx(path):
    """An IDX file (gzip): big-endian magic (type byte, dimension count), sizes, then uint8 data."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load_mnist(root, device):
    def part(images, labels):
        x = read_idx(os.path.join(root, images)).reshape(-1, 784).astype(np.float32) / 255.0
        y = read_idx(os.path.join(root, labels)).astype(np.int64)
        return torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
    return (part("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
            part("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"))


def build(sizes, activation):
    act = nn.ReLU if activation == "relu" else nn.Sigmoid
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2 or activation == "sigmoid":  # nielsen: sigmoid outputs too
            layers.append(act())
    return nn.Sequential(*layers)


def make_loss(kind):
    if kind == "xent":
        return nn.CrossEntropyLoss()  # on logits, mean over the batch

    def quadratic(a, y):  # mean over the batch of 0.5 * sum_j (a_j - onehot_j)^2
        t = nn.functional.one_hot(y, a.shape[1]).to(a.dtype)
        return 0.5 * ((a - t) ** 2).sum() / a.shape[0]
    return quadratic


def blas_library(threads):
    """The shared BLAS this process loaded (Linux), given `threads` threads if it is OpenBLAS; else "built-in"."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "/" in line}
    except OSError:
        return "unknown"
    found = sorted(p for p in paths if any(k in os.path.basename(p) for k in ("blas", "blis", "mkl_rt"))
                   and "cublas" not in p)
    for path in found:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        if hasattr(lib, "openblas_set_num_threads"):
            lib.openblas_set_num_threads(threads)
            return f"{path} (OpenBLAS {threads} threads)"
    return ", ".join(found) or "built-in"


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def train_epoch(model, loss_fn, opt, x, y, batch, device):
    n = x.shape[0]
    perm = torch.randperm(n, device=device)
    for start in range(0, n, batch):
        idx = perm[start:start + batch]
        xb, yb = x.index_select(0, idx), y.index_select(0, idx)
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)


@torch.no_grad()
def accuracy(model, x, y, batch=10000):
    correct = 0
    for start in range(0, x.shape[0], batch):
        correct += (model(x[start:start + batch]).argmax(1) == y[start:start + batch]).sum().item()
    return correct / x.shape[0]


def run(name, data, device, args):
    sizes, activation, loss_kind, opt_kind, lr, batch = CONFIGS[name]
    (xtr, ytr), (xte, yte) = data
    model = build(sizes, activation).to(device)
    opt = (torch.optim.Adam(model.parameters(), lr=lr) if opt_kind == "adam"
           else torch.optim.SGD(model.parameters(), lr=lr))
    loss_fn = make_loss(loss_kind)
    model.train()
    for _ in range(args.warmup):
        train_epoch(model, loss_fn, opt, xtr, ytr, batch, device)
    times = []
    for _ in range(args.epochs):
        sync(device)
        t0 = time.perf_counter()
        train_epoch(model, loss_fn, opt, xtr, ytr, batch, device)
        sync(device)
        times.append(time.perf_counter() - t0)
    model.eval()
    median = statistics.median(times)
    return {
        "framework": "pytorch", "torch_version": torch.__version__, "device": str(device),
        "threads": torch.get_num_threads(), "blas": args.blas if device.type == "cpu" else None,
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"), "config": name,
        "median_epoch_seconds": median, "min_epoch_seconds": min(times), "max_epoch_seconds": max(times),
        "images_per_second": xtr.shape[0] / median, "test_accuracy": accuracy(model, xte, yte),
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (default cpu)")
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    p.add_argument("--epochs", type=int, default=3, help="timed epochs (default 3)")
    p.add_argument("--warmup", type=int, default=1, help="untimed epochs first (default 1)")
    p.add_argument("--config", default="small,large,nielsen", help="comma-separated: " + ",".join(CONFIGS))
    p.add_argument("--json", action="store_true", help="one JSON object per configuration")
    p.add_argument("--data", default=None, help="data root (default $DIGITS_DATA); MNIST under <root>/mnist/")
    args = p.parse_args()
    names = [c.strip() for c in args.config.split(",") if c.strip()]
    if bad := [c for c in names if c not in CONFIGS]:
        p.error(f"unknown config {', '.join(bad)}; configs are {', '.join(CONFIGS)}")
    if args.epochs < 1 or args.warmup < 0 or args.threads < 1:
        p.error("--epochs and --threads must be >= 1, --warmup >= 0")
    root = args.data or os.environ.get("DIGITS_DATA")
    if not root:
        p.error("set DIGITS_DATA (or --data) to the folder holding mnist/")

    device = torch.device(args.device)
    torch.set_num_threads(args.threads)
    args.blas = blas_library(args.threads)
    if device.type == "cuda":  # exact fp32 matmuls, as Digits computes them
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    data = load_mnist(os.path.join(root, "mnist"), device)

    for name in names:
        r = run(name, data, device, args)
        if args.json:
            print(json.dumps(r), flush=True)
        else:
            print(f"{name:8s} {r['device']} threads {r['threads']}: epoch median {r['median_epoch_seconds']:.3f} s "
                  f"(min {r['min_epoch_seconds']:.3f}, max {r['max_epoch_seconds']:.3f}), "
                  f"{r['images_per_second']:,.0f} images/s, test accuracy {100 * r['test_accuracy']:.2f} %",
                  flush=True)


if __name__ == "__main__":
    sys.exit(main())
