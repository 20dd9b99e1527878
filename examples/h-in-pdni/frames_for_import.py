"""Write results "computed elsewhere" to try `landscape reference import` without DFT.

The host and 120 host + H frames, each with H at a random point at least 1.1 Å from every host
atom and the host atoms within 5 Å relaxed on ASE's EMT (H and the far atoms held by FixAtoms,
written to extxyz as ``move_mask``), energies and forces included: what a DFT code's results look
like to the importer. About 50 s on 2 cores. Usage, from this folder:

    python frames_for_import.py                  # writes emt-results.extxyz
    landscape reference import emt-results.extxyz --db imported.db --sample-id a-Pd80Ni20 \\
        --species H --calculator "EMT (ASE), stand-in for DFT"

(docs/tutorial-own-material.md, section 6).
"""

import numpy as np
from ase import Atom
from ase.calculators.emt import EMT
from ase.constraints import FixAtoms
from ase.io import read, write
from ase.optimize import BFGS

N_POINTS, MIN_DISTANCE, RELAX_RADIUS = 120, 1.1, 5.0  # -, Å, Å

host = read("a-Pd80Ni20.extxyz")
host.calc = EMT()
host.get_potential_energy()
frames = [host]
rng = np.random.default_rng(7)
while len(frames) < N_POINTS + 1:
    p = rng.random(3) @ host.cell
    a = host.copy()
    a.append(Atom("H", p))
    d = a.get_distances(len(a) - 1, range(len(host)), mic=True)
    if d.min() < MIN_DISTANCE:
        continue
    far = [i for i in range(len(host)) if d[i] > RELAX_RADIUS]
    a.set_constraint(FixAtoms(far + [len(host)]))
    a.calc = EMT()
    BFGS(a, logfile=None).run(fmax=0.05, steps=300)
    a.get_potential_energy()
    frames.append(a)
write("emt-results.extxyz", frames)
print(f"wrote emt-results.extxyz: the host and {N_POINTS} host + H frames")
