#!/usr/bin/env python3
"""The table compare.sh prints: results.jsonl (one JSON object per runner, instruction set, round and config) →
per instruction set and config, the median over rounds of each runner's median epoch seconds, Digits' GFLOP/s as a
% of the FMA peak its run measured, and Digits' lead over the best peer (PyTorch or TorchSharp, any OpenMP policy).

    python3 benchmarks/cpu/table.py RESULTS.jsonl
"""
import json, statistics, sys

CONFIGS = ["small", "large", "nielsen"]


def main(path):
    rows = [json.loads(line) for line in open(path) if line.startswith("{")]
    runners = sorted({r["runner"] for r in rows if r["runner"] != "digits"})
    isas = [i for i in ("avx2", "native") if any(r["isa"] == i for r in rows)]

    def median(isa, runner, config, key="median_epoch_seconds"):
        values = [r[key] for r in rows if r["isa"] == isa and r["runner"] == runner and r["config"] == config]
        return (statistics.median(values), len(values)) if values else (None, 0)

    peer_heads = "".join(f" {r} s |" for r in runners)
    print(f"| ISA | config | Digits s (rounds) | % of peak (peak GFLOP/s) |{peer_heads} lead over the best peer |")
    print("| --- | --- | ---: | ---: |" + " ---: |" * len(runners) + " ---: |")
    for isa in isas:
        for config in CONFIGS:
            digits, n = median(isa, "digits", config)
            if digits is None:
                continue
            peak, _ = median(isa, "digits", config, "peak_gflops_per_second")
            share, _ = median(isa, "digits", config, "fraction_of_peak")
            peers = {r: median(isa, r, config)[0] for r in runners}
            best = min((s for s in peers.values() if s is not None), default=None)
            cells = "".join(f" {'—' if s is None else f'{s:.3f}'} |" for s in peers.values())
            lead = "—" if best is None else f"**{best / digits:.2f}×**"
            print(f"| {isa} | {config} | {digits:.3f} ({n}) | {100 * share:.0f} % ({peak:.0f}) |{cells} {lead} |")
    loads = sorted({r["load"] for r in rows if "load" in r})
    print(f"\nload averages when each Digits run began: {', '.join(loads)}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
