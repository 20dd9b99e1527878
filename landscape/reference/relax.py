"""One reference relaxation: the host relaxed around a fixed mobile atom, or the host alone.

:func:`relax_insertion` inserts the mobile atom, fixes it (``ase.constraints.FixAtoms``) and relaxes
the host (optionally only the host atoms within ``relax_radius`` Å of the mobile atom).
:func:`relax_host` relaxes the host without the mobile atom; its energy is ``e_host`` of the
reference rows.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from ase import Atom, Atoms

from ..config import DEFAULTS
from ..errors import ConvergenceError, InputError

__all__ = [
    "relax_insertion",
    "relax_host",
    "OPTIMIZERS",
    "HOST_ALONE_MAX_STEPS",
    "optimizer_class",
    "mic_vectors",
]

#: Optimisers by name (ASE classes).
OPTIMIZERS = ("BFGS", "LBFGS", "FIRE")

#: Optimiser steps at most when the host relaxes alone (a run of :func:`run_reference` uses the
#: larger of this and its own step limit).
HOST_ALONE_MAX_STEPS = 1000


def optimizer_class(name: str):
    """The ASE optimiser class called ``name`` (any case).

    Raises
    ------
    InputError
        ``name`` is not one of :data:`OPTIMIZERS`.
    """
    from ase import optimize

    key = name.upper()
    if key not in OPTIMIZERS:
        raise InputError(f"unknown optimiser {name!r}; expected one of {list(OPTIMIZERS)}")
    return getattr(optimize, key)


def mic_vectors(cell: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """Minimum-image versions of displacement ``vectors`` (n, 3), Å, in the periodic ``cell``."""
    from ase.geometry import find_mic

    v, _ = find_mic(vectors, cell, pbc=True)
    return v


def relax_insertion(
    host: Atoms,
    position: np.ndarray,
    calculator: Any,
    *,
    species: str = "Cu",
    fmax: float = DEFAULTS.host_fmax,
    max_steps: int = DEFAULTS.host_max_steps,
    relax_radius: float | None = None,
    optimizer: str = DEFAULTS.host_optimizer,
    return_atoms: bool = False,
) -> dict[str, Any]:
    """Insert the mobile atom at ``position``, fix it, and relax the host around it.

    Parameters
    ----------
    host : ase.Atoms
        The (relaxed) periodic host.
    position : array_like, shape (3,)
        Cartesian position of the mobile atom, Å.
    calculator : ase.calculators.calculator.Calculator
        The reference calculator.
    species : str
        Mobile species.
    fmax : float
        Force criterion on the free host atoms, eV/Å.
    max_steps : int
        Optimiser step limit.
    relax_radius : float, optional
        Only host atoms within this distance (Å, periodic) of the mobile atom move; ``None``
        relaxes all host atoms.
    optimizer : str
        ``"BFGS"``, ``"LBFGS"`` or ``"FIRE"``.
    return_atoms : bool
        Also return the relaxed structure (``atoms``).

    Returns
    -------
    dict
        ``energy`` (total, eV), ``fmax`` (largest force on a free host atom at the end, eV/Å),
        ``steps``, ``converged`` (bool), ``max_displacement`` (largest host displacement, Å),
        ``seconds`` (wall time), ``position`` (wrapped, Å), ``force`` (force on the mobile atom,
        eV/Å, shape (3,)); with ``return_atoms`` also ``atoms``: the relaxed host with the mobile
        atom last (a copy, wrapped, without calculator or constraint).

    Raises
    ------
    ConvergenceError
        The calculator returned a non-finite energy or force.
    """
    from ase.constraints import FixAtoms

    t0 = time.perf_counter()
    opt_cls = optimizer_class(optimizer)
    atoms = host.copy()
    atoms.calc = None
    atoms.set_constraint()
    n_host = len(host)
    atoms.append(Atom(species, np.asarray(position, dtype=float)))
    atoms.wrap()
    start = atoms.positions[:n_host].copy()
    fixed = [n_host]
    if relax_radius is not None:
        d = np.linalg.norm(
            mic_vectors(np.asarray(atoms.cell), start - atoms.positions[n_host]), axis=1
        )
        fixed = np.flatnonzero(d > relax_radius).tolist() + [n_host]
    atoms.set_constraint(FixAtoms(indices=fixed))
    atoms.calc = calculator
    opt = opt_cls(atoms, logfile=None)
    steps = 0
    for _ in opt.irun(fmax=fmax, steps=max_steps):
        f = atoms.get_forces()
        if not np.all(np.isfinite(f)):
            raise ConvergenceError(f"calculator returned non-finite forces at step {steps}")
        steps += 1
    steps = max(steps - 1, 0)  # irun yields once before the first step
    energy = float(atoms.get_potential_energy())
    if not np.isfinite(energy):
        raise ConvergenceError(f"calculator returned a non-finite energy ({energy})")
    forces = atoms.get_forces(apply_constraint=False)
    free = np.ones(len(atoms), dtype=bool)
    free[fixed] = False
    fm = float(np.linalg.norm(forces[free], axis=1).max()) if free.any() else 0.0
    disp = mic_vectors(np.asarray(atoms.cell), atoms.positions[:n_host] - start)
    out = {
        "energy": energy,
        "fmax": fm,
        "steps": int(steps),
        "converged": bool(fm <= fmax),
        "max_displacement": float(np.linalg.norm(disp, axis=1).max()),
        "seconds": time.perf_counter() - t0,
        "position": atoms.positions[n_host].copy(),
        "force": forces[n_host].copy(),
    }
    if return_atoms:
        relaxed = atoms.copy()
        relaxed.calc = None
        relaxed.set_constraint()
        relaxed.wrap()
        out["atoms"] = relaxed
    return out


def relax_host(
    host: Atoms,
    calculator: Any,
    *,
    fmax: float = DEFAULTS.host_fmax,
    max_steps: int = HOST_ALONE_MAX_STEPS,
    optimizer: str = DEFAULTS.host_optimizer,
) -> tuple[Atoms, float, dict[str, Any]]:
    """Relax the host alone (positions, fixed cell) and return it with its energy ``e_host`` (eV).

    Parameters
    ----------
    host : ase.Atoms
        The periodic host.
    calculator : ase.calculators.calculator.Calculator
        The reference calculator.
    fmax : float
        Force criterion on every atom, eV/Å.
    max_steps : int
        Optimiser step limit.
    optimizer : str
        ``"BFGS"``, ``"LBFGS"`` or ``"FIRE"``.

    Returns
    -------
    host : ase.Atoms
        Relaxed copy (no calculator attached).
    e_host : float
        eV.
    info : dict
        ``fmax`` (eV/Å), ``steps``, ``converged``, ``seconds``.

    Raises
    ------
    ConvergenceError
        Non-finite energy.
    """
    t0 = time.perf_counter()
    atoms = host.copy()
    atoms.set_constraint()
    atoms.calc = calculator
    opt = optimizer_class(optimizer)(atoms, logfile=None)
    steps = -1
    for _ in opt.irun(fmax=fmax, steps=max_steps):
        steps += 1
    e = float(atoms.get_potential_energy())
    if not np.isfinite(e):
        raise ConvergenceError(f"calculator returned a non-finite host energy ({e})")
    fm = float(np.linalg.norm(atoms.get_forces(), axis=1).max())
    atoms.calc = None
    atoms.wrap()
    return (
        atoms,
        e,
        {
            "fmax": fm,
            "steps": max(steps, 0),
            "converged": fm <= fmax,
            "seconds": time.perf_counter() - t0,
        },
    )
