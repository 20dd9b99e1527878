"""P3: batched climbing-image NEB against ase.mep.NEB, per hop, on the same surface and tolerance.

The surface is a random sum of Gaussian wells (a stand-in for an amorphous host). Its elementary hops
are found once with :func:`landscape.explore.find_hops`; then the same bands (straight initial path,
``n_images`` images, climbing image, improved tangent, spring ``k``, FIRE, ``fmax``) are relaxed
(a) all together by :func:`landscape.explore.batched_neb` and (b) one by one by ``ase.mep.NEB`` with
``ase.optimize.FIRE`` and :class:`landscape.explore.SurfaceCalculator`. Prints per-hop times, the
ratio (goal >= 50x) and the largest barrier difference between the two.

Run: ``.venv/bin/python benchmarks/bench_neb.py [--threads 2] [--n-ase 6]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=2, help="torch threads (the machine has 2 cores)")
    p.add_argument("--n-ase", type=int, default=6, help="hops relaxed with ase.mep.NEB")
    p.add_argument("--wells", type=int, default=250)
    p.add_argument("--length", type=float, default=11.0, help="cubic cell side, Å")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--images", type=int, default=9)
    p.add_argument("--fmax", type=float, default=0.02, help="eV/Å")
    p.add_argument("--spring", type=float, default=0.5, help="eV/Å²")
    args = p.parse_args()
    torch.set_num_threads(args.threads)

    from ase.mep import NEB
    from ase.optimize import FIRE

    from landscape.explore import (
        GaussianSumSurface,
        SurfaceCalculator,
        batched_neb,
        find_hops,
        find_sites,
    )

    surface = GaussianSumSurface.random(
        args.wells, args.length, width=(0.4, 0.55), random_state=args.seed
    )
    sites = find_sites(surface, progress=False)
    G = find_hops(
        surface, sites, n_images=args.images, fmax=args.fmax, spring=args.spring, progress=False
    )
    cell = np.asarray(G.graph["cell"])
    hops = [
        (u, v, d) for u, v, d in G.edges(data=True) if u < v or (u == v and d["shift"] > [0, 0, 0])
    ]
    start = np.array([G.nodes[u]["position"] for u, _, _ in hops])
    end = np.array(
        [np.asarray(G.nodes[v]["position"]) + np.asarray(d["shift"]) @ cell for _, v, d in hops]
    )
    print(
        f"surface: {args.wells} Gaussian wells, {args.length} Å cell; {len(sites)} sites, "
        f"{len(hops)} elementary hops; torch threads {args.threads}"
    )

    t0 = time.perf_counter()
    res = batched_neb(
        surface,
        torch.as_tensor(start),
        torch.as_tensor(end),
        n_images=args.images,
        fmax=args.fmax,
        spring=args.spring,
        climb=True,
        early_composite=None,
    )
    t_batched = time.perf_counter() - t0
    e = res.energies.numpy()
    b_batched = e.max(axis=1) - e[:, 0]
    per_hop_batched = t_batched / len(hops)
    print(
        f"batched: {len(hops)} bands in {t_batched:.2f} s = {1e3 * per_hop_batched:.2f} ms/hop; "
        f"converged {int(res.converged.sum())}/{len(hops)}, steps max {int(res.steps.max())}"
    )

    rng = np.random.default_rng(0)
    pick = rng.choice(len(hops), size=min(args.n_ase, len(hops)), replace=False)
    times, dev = [], []
    for k in pick:
        images = [SurfaceCalculator.atoms_at(surface, start[k]) for _ in range(args.images - 1)]
        images.append(SurfaceCalculator.atoms_at(surface, end[k]))
        neb = NEB(images, k=args.spring, climb=True, method="improvedtangent")
        neb.interpolate()
        t0 = time.perf_counter()
        ok = FIRE(neb, logfile=None).run(fmax=args.fmax, steps=2000)
        times.append(time.perf_counter() - t0)
        en = np.array([im.get_potential_energy() for im in images])
        dev.append(en.max() - en[0] - b_batched[k])
        print(
            f"  ase.mep.NEB hop {k:4d}: {times[-1]:.3f} s, converged {ok}, "
            f"barrier {en.max() - en[0]:.4f} eV (batched {b_batched[k]:.4f})"
        )
    per_hop_ase = float(np.mean(times))
    print(f"ase.mep.NEB: {1e3 * per_hop_ase:.1f} ms/hop (mean of {len(times)})")
    print(
        f"P3 ratio (ase per hop / batched per hop): {per_hop_ase / per_hop_batched:.0f}x (goal >= 50x)"
    )
    print(f"largest barrier difference: {1e3 * np.max(np.abs(dev)):.3f} meV")


if __name__ == "__main__":
    main()
