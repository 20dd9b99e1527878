"""The MD and relaxation steps shared by :mod:`.generate` and :mod:`.anneal`: a Langevin
integrator, a linear temperature ramp, a fixed-cell relaxation with a reference calculator, and a
progress bar."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from ase import Atoms

__all__ = ["langevin", "ramp", "relax_fixed_cell", "progress_bar"]


def langevin(atoms: Atoms, temperature: float, timestep: float, rng: np.random.Generator):
    """Maxwell-Boltzmann velocities at ``temperature`` (K) and a Langevin integrator (friction 0.02
    per fs, time step in fs) for ``atoms`` with its calculator attached."""
    from ase import units
    from ase.md.langevin import Langevin
    from ase.md.velocitydistribution import MaxwellBoltzmannDistribution

    MaxwellBoltzmannDistribution(atoms, temperature_K=temperature, rng=rng)
    return Langevin(
        atoms,
        timestep * units.fs,
        temperature_K=temperature,
        friction=0.02,
        rng=rng,
        logfile=None,
        fixcm=False,
    )


def ramp(md, t_from: float, t_to: float, n_chunks: int, chunk: int, bar) -> None:
    """Linear temperature ramp (K) in ``n_chunks`` stages of ``chunk`` MD steps each."""
    for c in range(n_chunks):
        md.set_temperature(temperature_K=t_from + (t_to - t_from) * (c + 1) / n_chunks)
        md.run(chunk)
        bar.update(chunk)


def relax_fixed_cell(
    atoms: Atoms,
    calculator: str,
    calculator_kwargs: dict[str, Any] | None,
    fmax: float,
    max_steps: int,
    progress: bool,
    prefix: str = "gen",
) -> dict[str, Any]:
    """Relax the atom positions at fixed cell with a reference calculator (BFGS); provenance keys."""
    from ase.optimize import BFGS

    from ..calculators import calculator_info, get_calculator

    kw = dict(calculator_kwargs or {})
    atoms.calc = get_calculator(calculator, **kw)
    t1 = time.perf_counter()
    opt = BFGS(atoms, logfile=None, maxstep=0.2)
    steps = 0
    bar = progress_bar(max_steps, "relax", progress)
    for _ in opt.irun(fmax=fmax, steps=max_steps):
        steps += 1
        bar.update(1)
    bar.close()
    f = float(np.linalg.norm(atoms.get_forces(), axis=1).max())
    ci = calculator_info(calculator, kw)
    return {
        f"{prefix}_calculator": ci["calculator"],
        f"{prefix}_calculator_version": ci["calculator_version"],
        f"{prefix}_relax_optimizer": "BFGS",
        f"{prefix}_relax_fmax": float(fmax),
        f"{prefix}_relax_steps": int(steps),
        f"{prefix}_relax_final_fmax": round(f, 5),
        f"{prefix}_relax_seconds": round(time.perf_counter() - t1, 1),
        "energy_eV": float(atoms.get_potential_energy()),
    }


def progress_bar(total: int, desc: str, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, disable=not enabled, leave=False)
