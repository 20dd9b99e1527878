"""P5: exact-solver time vs the KMC time needed for a 1 % error in D, on a network of >= 500 sites.

Goal: exact >= 1000x faster. KMC's relative standard error does not shrink with longer
runs, only with more walkers (about sqrt(c / walkers)), while the run must be long enough that the
start-up offset of the mean squared displacement is negligible. So: a pilot with ``--pilot-walkers``
at ``--steps`` hops per walker measures the relative standard error; the walker count that gives
``--target`` follows from 1/sqrt(walkers); that run is then made for real and timed, and its error
against the exact value is reported.
Run: .venv/bin/python benchmarks/bench_exact_vs_kmc.py [--sites 500] [--T 600] [--steps 1e5]
"""

from __future__ import annotations

import argparse
import math
import os
import time

import numba

from landscape.kinetics import exact_diffusion, hop_arrays, kmc
from landscape.kinetics.synthetic import random_network


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--sites", type=int, default=500)
    p.add_argument("--T", type=float, default=600.0)
    p.add_argument("--steps", type=float, default=1e5)
    p.add_argument("--pilot-walkers", type=int, default=2000)
    p.add_argument("--target", type=float, default=0.01, help="relative standard error")
    p.add_argument("--max-walkers", type=int, default=60_000)
    args = p.parse_args()

    G = random_network(args.sites, random_state=1)
    net = hop_arrays(G)
    print(
        f"network: random_network({args.sites}), {net.n_sites} sites, {net.n_hops} hops; "
        f"T = {args.T} K; numba threads = {numba.get_num_threads()}; "
        f"load average = {os.getloadavg()[0]:.2f}"
    )
    times = []
    for _ in range(7):
        t0 = time.perf_counter()
        exact = exact_diffusion(net, args.T).D[0]
        times.append(time.perf_counter() - t0)
    t_exact = min(times)
    print(f"  exact: D = {exact:.6e} cm²/s in {t_exact * 1e3:.2f} ms (best of 7)")

    kmc(net, args.T, walkers=100, steps=10, random_state=0)  # compile (or load the cache)
    pilot = kmc(net, args.T, walkers=args.pilot_walkers, steps=args.steps, random_state=1)
    rel = pilot.D_stderr[0] / pilot.D[0]
    need = math.ceil(args.pilot_walkers * (rel / args.target) ** 2)
    print(
        f"  pilot: {args.pilot_walkers} walkers x {args.steps:.0e} hops: rel. stderr {rel:.4f}, "
        f"error vs exact {pilot.D[0] / exact - 1:+.4f}; walkers for {args.target:.0%}: {need}"
    )
    walkers = min(need, args.max_walkers)
    t0 = time.perf_counter()
    res = kmc(net, args.T, walkers=walkers, steps=args.steps, random_state=2)
    t_kmc = time.perf_counter() - t0
    rel = res.D_stderr[0] / res.D[0]
    t_needed = t_kmc * max(1.0, need / walkers)
    print(
        f"  KMC: {walkers} walkers, {res.hops[0]:.3e} hops in {t_kmc:.1f} s "
        f"({res.hops[0] / res.wall_seconds[0]:.3e} hops/s): D = {res.D[0]:.6e} cm²/s, "
        f"rel. stderr {rel:.4f}, 95 % CI [{res.D_ci[0, 0] / exact:.4f}, {res.D_ci[0, 1] / exact:.4f}] "
        f"x exact, error vs exact {res.D[0] / exact - 1:+.4f}"
    )
    if walkers < need:
        print(f"  (capped at {walkers} walkers; time scaled to {need}: {t_needed:.1f} s)")
    ratio = t_needed / t_exact
    print(
        f"P5: exact {t_exact * 1e3:.2f} ms vs KMC {t_needed:.1f} s for a {args.target:.0%} error: "
        f"{ratio:.0f}x (goal >= 1000x: {'met' if ratio >= 1000 else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
