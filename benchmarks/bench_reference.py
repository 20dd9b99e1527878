"""Reference-energy speed: CHGNet graph building, energy+force calls, seconds per relaxed point.

Peers measured in the same run:
- CHGNet's own ``CrystalGraphConverter`` vs the vectorised builder of
  ``landscape.calculators.chgnet_graph`` (identical graphs; ratio printed);
- the stock ``CHGNetCalculator`` (energy, forces, stress, magmoms) vs landscape's energy+forces
  calculator (same energies; ratio printed);
- optionally (``--points N``) N insertion points of Cu in the bundled sample relaxed with
  ``run_reference`` (BFGS, fmax 0.05 eV/Å): seconds per point and mean optimiser steps.

Usage: ``.venv/bin/python benchmarks/bench_reference.py [--device cpu|cuda] [--points N]``
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np


def _best(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--points", type=int, default=0)
    ap.add_argument("--sample", default="a-Ta2O5-1a")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    from ase import Atom
    from chgnet.model.dynamics import CHGNetCalculator
    from pymatgen.io.ase import AseAtomsAdaptor

    from landscape.calculators.chgnet_graph import crystal_graph
    from landscape.reference import InsertionPoints, get_calculator, random_points, run_reference
    from landscape.samples import load_sample

    host = load_sample(args.sample)
    atoms = host.copy()
    atoms.append(Atom("Cu", random_points(host, 1, seed=0)[0]))
    calc = get_calculator("chgnet", use_device=args.device)
    conv = calc.model.graph_converter
    s = AseAtomsAdaptor.get_structure(atoms)
    out: dict[str, object] = {"device": args.device, "n_atoms": len(atoms)}
    t_stock = _best(lambda: conv(s), args.repeat)
    t_fast = _best(lambda: crystal_graph(conv, s), args.repeat)
    out["graph_ms_stock"] = round(t_stock * 1e3, 2)
    out["graph_ms_vectorised"] = round(t_fast * 1e3, 2)
    out["graph_speedup"] = round(t_stock / t_fast, 2)

    stock = CHGNetCalculator(model=calc.model, use_device=args.device)

    rng = np.random.default_rng(0)

    def call(c):
        def f():
            a = atoms.copy()
            a.positions += rng.normal(scale=1e-3, size=a.positions.shape)  # no cached result
            a.calc = c
            a.get_forces()

        return f

    t_stock = _best(call(stock), args.repeat)
    t_ours = _best(call(calc), args.repeat)
    out["ef_ms_stock_calculator"] = round(t_stock * 1e3, 1)
    out["ef_ms_landscape_calculator"] = round(t_ours * 1e3, 1)
    out["ef_speedup"] = round(t_stock / t_ours, 2)

    if args.points:
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "bench.db"
            run_reference(host, db, InsertionPoints(n_points=0), calculator=calc)  # host row first
            t = time.perf_counter()
            points = InsertionPoints(n_points=args.points, seed=1)
            summary = run_reference(host, db, points, calculator=calc)
            wall = time.perf_counter() - t
            from ase.db import connect

            steps = [r.steps for r in connect(str(db)).select(kind="point", status="ok")]
        out["points"] = summary.done
        out["seconds_per_point"] = round(wall / max(summary.done, 1), 2)
        out["mean_steps"] = round(float(np.mean(steps)), 1) if steps else None
    print(json.dumps(out))


if __name__ == "__main__":
    main()
