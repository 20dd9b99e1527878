"""Annealing a sample on the reference calculator's own landscape, then relaxing it (fixed cell)."""

from __future__ import annotations

import datetime as _dt
import shlex
import sys
import time
from typing import Any

import numpy as np
from ase import Atoms

from ..config import DEFAULTS
from ..errors import InputError
from ._md import langevin, progress_bar, ramp, relax_fixed_cell
from .io import validate_sample

__all__ = ["anneal_sample"]


def anneal_sample(
    atoms: Atoms,
    *,
    calculator: str = "chgnet",
    calculator_kwargs: dict[str, Any] | None = None,
    t_anneal: float = 1500.0,
    t_final: float = 300.0,
    anneal_steps: int = 2000,
    cool_steps: int = 2000,
    timestep: float = 2.0,
    seed: int = 0,
    fmax: float = DEFAULTS.host_fmax,
    max_steps: int = 1000,
    sample_id: str | None = None,
    command: str | None = None,
    progress: bool = False,
) -> Atoms:
    """Anneal a sample with the reference calculator itself, then relax it (fixed cell).

    A structure quenched with the cheap pair potential and only relaxed with the reference
    calculator sits in a shallow, strained minimum of the reference landscape: inserting the
    mobile atom then often triggers host rearrangements (atoms moving by more than 0.6 Å), which
    make the relaxed insertion energy jump between nearby positions. Annealing on the reference
    landscape removes the softest of those motifs.

    Steps: Langevin MD (friction 0.02 per fs) at ``t_anneal`` for ``anneal_steps``; a linear
    cooling to ``t_final`` over ``cool_steps``; BFGS relaxation of the positions to ``fmax``.
    The cell, hence the density, is kept.

    Parameters
    ----------
    atoms : ase.Atoms
        The sample (not modified; a copy is annealed). Its ``info`` (generation provenance) is kept.
    calculator, calculator_kwargs
        Reference calculator by name (:func:`landscape.reference.get_calculator`) and its keywords.
    t_anneal, t_final : float
        Annealing and final temperatures, K.
    anneal_steps, cool_steps : int
        MD steps at ``t_anneal`` and of the cooling ramp.
    timestep : float
        MD time step, fs.
    seed : int
        Seeds the velocities and the thermostat.
    fmax : float
        Force criterion of the final relaxation, eV/Å.
    max_steps : int
        Step limit of the final relaxation.
    sample_id : str, optional
        New ``info["sample_id"]`` (default: keep the sample's).
    command : str, optional
        The command line (provenance).
    progress : bool
        Show progress bars.

    Returns
    -------
    ase.Atoms
        The annealed, relaxed sample; ``info`` gains ``anneal_*`` keys (parameters, MD seconds,
        mean potential energy of the last 10 % of the anneal in eV, calculator, relaxation).
    """
    for name, v in (("t_anneal", t_anneal), ("t_final", t_final), ("timestep", timestep)):
        if not (np.isfinite(v) and v > 0):
            raise InputError(f"{name} must be a positive number, got {v}")
    if int(anneal_steps) < 0 or int(cool_steps) < 0:
        raise InputError(
            f"anneal_steps and cool_steps must be >= 0, got {anneal_steps}, {cool_steps}"
        )
    validate_sample(atoms, name=str(atoms.info.get("sample_id", "sample")))
    out = atoms.copy()
    out.info = dict(atoms.info)
    kw = dict(calculator_kwargs or {})
    from ..calculators import get_calculator

    out.calc = get_calculator(calculator, **kw)
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    md = langevin(out, t_anneal, timestep, rng)
    chunk = 25
    energies: list[float] = []
    bar = progress_bar(int(anneal_steps) + int(cool_steps), "anneal", progress)
    for _ in range(int(anneal_steps) // chunk):
        md.run(chunk)
        energies.append(float(out.get_potential_energy()))
        bar.update(chunk)
    ramp(md, t_anneal, t_final, int(cool_steps) // chunk, chunk, bar)
    bar.close()
    tail = energies[-max(1, len(energies) // 10) :] if energies else [float("nan")]
    info: dict[str, Any] = {
        "anneal_method": "Langevin MD with the reference calculator + fixed-cell relaxation",
        "anneal_seed": int(seed),
        "anneal_t_K": float(t_anneal),
        "anneal_t_final_K": float(t_final),
        "anneal_steps": int(anneal_steps),
        "anneal_cool_steps": int(cool_steps),
        "anneal_timestep_fs": float(timestep),
        "anneal_md_seconds": round(time.perf_counter() - t0, 1),
        "anneal_mean_energy_eV": float(np.mean(tail)),
        "anneal_command": command or " ".join(shlex.quote(a) for a in sys.argv),
        "anneal_date": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    out.set_momenta(np.zeros((len(out), 3)))
    info.update(relax_fixed_cell(out, calculator, kw, fmax, max_steps, progress, prefix="anneal"))
    out.wrap()
    out.calc = None
    out.info.update(info)
    if sample_id:
        out.info["sample_id"] = sample_id
    return out
