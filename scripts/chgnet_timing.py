"""Time CHGNet energy+force evaluations of a host + Cu cell: one at a time and batched.

Usage: python scripts/chgnet_timing.py SAMPLE DEVICE  (prints one JSON line)
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np


def main() -> None:
    from ase import Atom
    from pymatgen.io.ase import AseAtomsAdaptor

    from landscape.calculators import get_calculator
    from landscape.reference.points import random_points
    from landscape.samples import load_sample

    sample, device = sys.argv[1], sys.argv[2]
    host = load_sample(sample)
    calc = get_calculator("chgnet", use_device=device)
    pts = random_points(host, 64, seed=123)
    cells = []
    for p in pts:
        a = host.copy()
        a.append(Atom("Cu", p))
        cells.append(a)
    out: dict[str, float] = {"device": device, "n_atoms": len(cells[0])}
    a = cells[0].copy()
    a.calc = calc
    a.get_forces()
    t = time.perf_counter()
    for _ in range(10):
        a.positions[0] += 0.001
        a.get_forces()
    out["single_ms"] = (time.perf_counter() - t) / 10 * 1e3
    t = time.perf_counter()
    for c in cells[:20]:
        calc.model.graph_converter(AseAtomsAdaptor.get_structure(c))
    out["graph_ms"] = (time.perf_counter() - t) / 20 * 1e3
    for n in (8, 16, 32, 64):
        calc.batch_energy_forces(cells[:n])
        t = time.perf_counter()
        res = calc.batch_energy_forces(cells[:n])
        out[f"batch{n}_ms_per_cell"] = (time.perf_counter() - t) / n * 1e3
    a = cells[5].copy()
    a.calc = calc
    out["batch_vs_single_energy_diff_eV"] = float(abs(a.get_potential_energy() - res[5][0]))
    out["batch_vs_single_force_diff"] = float(np.abs(a.get_forces() - res[5][1]).max())
    print(json.dumps(out))


if __name__ == "__main__":
    main()
