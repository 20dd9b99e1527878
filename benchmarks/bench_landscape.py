"""P2: the whole landscape of one sample (grid, sites, all hops) on 2 CPU cores (goal <= 60 s).

By default the surface is the stand-in for a bundled sample: a random sum of 250 Gaussian wells in an
11 Å cubic cell (the size of the bundled a-Ta2O5 samples, 10.98 Å), with over a hundred minima and
curved hop paths. With ``--model MODEL --sample NAME`` it is the trained simplified NNP bound to that
sample instead (``SimplifiedNNP.load(MODEL).surface(load_sample(NAME))``). Prints the timing table
and the counts.

With ``--guide`` (the default, as in ``landscape explore`` and the demo) sites are pre-relaxed and
NEB bands relaxed on a tricubic spline of the grid energies, and sites and saddles finished on the
surface itself; ``--no-guide`` does every step on the surface.

Run: ``.venv/bin/python benchmarks/bench_landscape.py [--threads 2] [--model M --sample a-Ta2O5-1a]
[--no-guide]``
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=2, help="torch threads (the machine has 2 cores)")
    p.add_argument("--model", default=None, help="trained SimplifiedNNP (MODEL[.json])")
    p.add_argument("--sample", default="a-Ta2O5-1a", help="bundled sample or structure file")
    p.add_argument("--grid-spacing", type=float, default=0.25, help="Å")
    p.add_argument("--device", default="cpu")
    p.add_argument("--prefactor", default="constant", choices=["constant", "vineyard"])
    p.add_argument(
        "--guide",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="spline guide for the site search and the NEB bands (the CLI's and demo's default)",
    )
    p.add_argument("--candidates", default="distance", choices=["distance", "basins"])
    args = p.parse_args()
    torch.set_num_threads(args.threads)

    from landscape.explore import find_hops, find_sites

    t_all = time.perf_counter()
    if args.model:
        from landscape.nnp import SimplifiedNNP
        from landscape.samples import load_sample

        surface = SimplifiedNNP.load(args.model).surface(
            load_sample(args.sample), device=args.device
        )
        what = f"NNP {args.model} on {args.sample}"
    else:
        from landscape.explore import GaussianSumSurface

        surface = GaussianSumSurface.random(
            250, 11.0, width=(0.4, 0.55), random_state=0, device=args.device
        )
        what = "Gaussian-sum stand-in (250 wells, 11 Å cubic cell)"
    t0 = time.perf_counter()
    sites = find_sites(surface, grid_spacing=args.grid_spacing, progress=False, guide=args.guide)
    t_sites = time.perf_counter() - t0
    print(f"sites done in {t_sites:.1f} s: {len(sites)} sites, {sites.info}", flush=True)
    t0 = time.perf_counter()
    G = find_hops(
        surface,
        sites,
        prefactor=args.prefactor,
        progress=False,
        guide=args.guide,
        candidates=args.candidates,
    )
    t_hops = time.perf_counter() - t0
    total = time.perf_counter() - t_all
    i, s = sites.info, G.graph["search"]
    rows = [
        ("grid energies", i["seconds_grid"], f"{i['n_grid']} points ({i['n_skipped']} skipped)"),
        ("minimise candidates", i["seconds_minimise"], f"{i['n_candidates']} candidates"),
        ("merge + Hessians", i["seconds_hessian"], f"{len(sites)} sites"),
        ("NEB (all bands)", s["seconds"]["neb"], f"{s['candidates']} bands, {s['passes']} passes"),
        ("saddles (polish + Hessians)", s["seconds"]["saddles"], f"{s['hops']} elementary hops"),
        ("sites from composite bands", s["seconds"]["new_sites"], f"{s['added_sites']} added"),
        ("sites total", t_sites, ""),
        ("hops total", t_hops, ""),
        ("TOTAL", total, "goal <= 60 s on 2 cores"),
    ]
    print(
        f"P2 landscape of {what}; torch threads {args.threads}, device {args.device}, "
        f"guide {args.guide}, candidates {args.candidates}"
    )
    print(f"{'stage':30s} {'seconds':>9s}  notes")
    for name, sec, note in rows:
        print(f"{name:30s} {sec:9.2f}  {note}")
    b = np.array([d["barrier"] for *_, d in G.edges(data=True)])
    if len(b):
        q = np.percentile(b, [0, 25, 50, 75, 100])
        print("barriers (eV) min/25/50/75/max: " + " ".join(f"{v:.3f}" for v in q))
    print(f"rejected: {s['rejected']}; decided on the guide alone: {s.get('guide_composite', 0)}")
    print(f"load average (1, 5, 15 min): {os.getloadavg()}")


if __name__ == "__main__":
    main()
