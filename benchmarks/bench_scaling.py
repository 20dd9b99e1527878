"""Cost of the whole landscape against the host's size (issue 38): time and memory per stage.

    .venv/bin/python benchmarks/bench_scaling.py --model results/cache/nnp-<key>.json
        [--sample a-Ta2O5-1a] [--repeats 111 211 221 222]

The demo's NNP (``make demo`` writes it to ``results/cache/nnp-*.json``) on the bundled sample
replicated ``--repeats`` times (``222``: 2×2×2, 784 atoms), each size in a fresh subprocess so that
its peak memory is its own. Per size: atoms, sites, directed hops, the seconds of the site search
(grid energies, grid minima, minimisation: ``find_sites``) and of the hop search (candidates and
NEB: ``find_hops``), with the demo's settings (``landscape.study.demo.demo_config``), and the peak
resident memory of the process (MiB). Then each stage's time per atom relative to the smallest
host, and the exponent of time against atoms (the slope of log t over log N from the smallest to
the largest size): 1 is linear. Goals: linear in atoms; the 784-atom host's whole landscape
≤ 10 min on 2 cores. A replica has exactly 8× (2×2×2) the sites and hops of the original when the
searches are exact; the counts say how close they come.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time


def one_size(model_path: str, sample: str, repeat: str) -> dict:
    """The landscape of ``sample`` repeated ``repeat`` (e.g. "222") on the model: counts, seconds
    per stage, peak memory (MiB)."""
    from landscape.explore import find_hops, find_sites
    from landscape.nnp.model import SimplifiedNNP
    from landscape.samples import load_sample
    from landscape.study.demo import demo_config
    from landscape.study.scaffold import resolve_hop_distance

    reps = tuple(int(c) for c in repeat)
    host = load_sample(sample).repeat(reps)
    host.info["sample_id"] = f"{sample}x{repeat}"
    cfg = demo_config()
    surface = SimplifiedNNP.load(model_path).surface(host)
    t0 = time.perf_counter()
    sites = find_sites(surface, **vars(cfg.sites), progress=False)
    t_sites = time.perf_counter() - t0
    distance, _ = resolve_hop_distance(cfg.hops.max_distance, host.get_volume(), len(sites))
    t0 = time.perf_counter()
    G = find_hops(surface, sites, **{**vars(cfg.hops), "max_distance": distance}, progress=False)
    t_hops = time.perf_counter() - t0
    return {
        "repeat": repeat,
        "atoms": len(host),
        "sites": len(sites),
        "hops": G.number_of_edges(),
        "t_sites_s": t_sites,
        "t_hops_s": t_hops,
        "peak_MiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--model", required=True, help="the demo's NNP (results/cache/nnp-*.json)")
    ap.add_argument("--sample", default="a-Ta2O5-1a")
    ap.add_argument("--repeats", nargs="+", default=["111", "211", "221", "222"])
    ap.add_argument("--one", help=argparse.SUPPRESS)  # internal: run one size, print JSON
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one_size(args.model, args.sample, args.one)))
        return
    for r in args.repeats:
        if len(r) != 3 or not r.isdigit() or "0" in r:
            ap.error(f"--repeats takes three digits 1-9 per size, e.g. 222; got {r!r}")
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    rows = []
    for r in args.repeats:
        cmd = [sys.executable, __file__, "--model", args.model, "--sample", args.sample]
        out = subprocess.run([*cmd, "--one", r], capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        x = rows[-1]
        print(
            f"{args.sample} × {r}: {x['atoms']:5d} atoms {x['sites']:5d} sites {x['hops']:6d} hops"
            f"  sites {x['t_sites_s']:7.1f} s  hops {x['t_hops_s']:7.1f} s"
            f"  total {x['t_sites_s'] + x['t_hops_s']:7.1f} s  peak {x['peak_MiB']:6.0f} MiB",
            flush=True,
        )
    base = rows[0]
    print("\nper atom, relative to the smallest host (1.00: linear in atoms)")
    print(
        f"{'atoms':>6} {'sites/atom':>11} {'hops/atom':>10} {'t sites':>8} {'t hops':>8} {'t total':>8}"
    )
    for x in rows:
        n = x["atoms"] / base["atoms"]

        def rel(key: str, x=x, n=n) -> float:
            return x[key] / base[key] / n

        total = (x["t_sites_s"] + x["t_hops_s"]) / (base["t_sites_s"] + base["t_hops_s"]) / n
        print(
            f"{x['atoms']:6d} {rel('sites'):11.2f} {rel('hops'):10.2f} {rel('t_sites_s'):8.2f}"
            f" {rel('t_hops_s'):8.2f} {total:8.2f}"
        )
    last = rows[-1]
    if last["atoms"] > base["atoms"]:
        span = math.log(last["atoms"] / base["atoms"])
        for key in ("t_sites_s", "t_hops_s"):
            print(f"exponent of {key} against atoms: {math.log(last[key] / base[key]) / span:.2f}")
        total = last["t_sites_s"] + last["t_hops_s"]
        print(
            f"largest host: {last['atoms']} atoms, whole landscape {total / 60:.1f} min (goal ≤ 10)"
        )
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
