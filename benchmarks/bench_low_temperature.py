"""Superbasin KMC against the exact solver at low temperature, on the demo's networks.

At 250-400 K the rates of one demo network span 10¹⁵-10²⁰, where the former exact solver (an LU
solve of the corrector equation) printed wrong D values; the exact solver is now a Kron reduction
that keeps full relative accuracy (landscape.kinetics.exact). This script sets it beside the mean-rate
superbasin KMC (an independent method: sampled walks) on each network and prints the ratio
KMC / exact with KMC's 95 % interval, and the wall time of each.

Run after ``make demo`` (which writes results/networks/*.json):
    .venv/bin/python benchmarks/bench_low_temperature.py [results/networks/*.json] [--T 250 300 400]
"""

from __future__ import annotations

import argparse
import glob
import time

from landscape.kinetics import exact_diffusion, hop_arrays, kmc, load_network


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("networks", nargs="*", help="hop networks (default results/networks/*.json)")
    p.add_argument("--T", type=float, nargs="+", default=[250.0, 300.0, 400.0])
    p.add_argument("--walkers", type=int, default=2000)
    p.add_argument("--steps", type=float, default=2e4, help="moves per walker")
    args = p.parse_args()
    paths = args.networks or sorted(glob.glob("results/networks/*.json"))
    if not paths:
        raise SystemExit("no networks: run 'make demo' first or name NETWORK.json files")
    kmc(hop_arrays(load_network(paths[0])), 500.0, walkers=10, steps=10, random_state=0)  # compile
    print(
        f"{'network':<16} {'T (K)':>6} {'D exact (cm²/s)':>16} {'D KMC (cm²/s)':>14} "
        f"{'KMC/exact':>9} {'95 % interval / exact':>22} {'inside':>6} {'exact s':>8} {'KMC s':>7}"
    )
    for path in paths:
        net = hop_arrays(load_network(path))
        name = path.rsplit("/", 1)[-1].removesuffix(".json")
        for T in args.T:
            t0 = time.perf_counter()
            exact = exact_diffusion(net, T).D[0]
            t_exact = time.perf_counter() - t0
            t0 = time.perf_counter()
            res = kmc(
                net, T, walkers=args.walkers, steps=args.steps, superbasins=True, random_state=1
            )
            t_kmc = time.perf_counter() - t0
            lo, hi = res.D_ci[0] / exact
            print(
                f"{name:<16} {T:>6g} {exact:>16.4e} {res.D[0]:>14.4e} {res.D[0] / exact:>9.4f} "
                f"{f'[{lo:.4f}, {hi:.4f}]':>22} {'yes' if lo <= 1 <= hi else 'NO':>6} "
                f"{t_exact:>8.3f} {t_kmc:>7.1f}"
            )


if __name__ == "__main__":
    main()
