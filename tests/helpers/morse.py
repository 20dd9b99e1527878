"""Test helpers: random periodic Ta–O hosts and an analytic Morse reference data set.

The "reference" energy of a Cu atom at ``r`` is a sum of Morse pair terms Cu–O and Cu–Ta over all
periodic images, multiplied by the cosine cutoff of the descriptors (so the NNP can represent it
exactly in principle), with no host relaxation. It is written in the ASE-database format of
:mod:`landscape.reference.dataset` (one ``kind="host"`` row per sample and ``kind="point"`` rows).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator, all_changes
from ase.calculators.singlepoint import SinglePointCalculator

R_CUT = 6.0
#: Morse parameters (D eV, a 1/Å, r0 Å) of the analytic Cu–host reference.
MORSE = {"O": (1.2, 1.8, 1.95), "Ta": (0.6, 1.4, 2.8)}


def random_host(seed: int, n_ta: int = 8, n_o: int = 20, length: float = 9.0) -> Atoms:
    """A random periodic Ta/O structure, atoms at least 1.8 Å apart (cubic cell, Å)."""
    rng = np.random.default_rng(seed)
    cell = np.eye(3) * length
    frac: list[np.ndarray] = []
    while len(frac) < n_ta + n_o:
        f = rng.random(3)
        if all(np.linalg.norm((f - g - np.round(f - g)) @ cell) >= 1.8 for g in frac):
            frac.append(f)
    atoms = Atoms(
        symbols=["Ta"] * n_ta + ["O"] * n_o, scaled_positions=np.array(frac), cell=cell, pbc=True
    )
    atoms.info["sample_id"] = f"random-{seed}"
    return atoms


def _image_vectors(host: Atoms, position: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distances (Å) and species of every host image within R_CUT of ``position``."""
    cell = host.cell.array
    heights = 1.0 / np.linalg.norm(np.linalg.inv(cell), axis=0)
    n = np.ceil(R_CUT / heights).astype(int) + 1
    shifts = np.array(list(itertools.product(*(range(-k, k + 1) for k in n)))) @ cell
    d = host.positions[None, :, :] + shifts[:, None, :] - position  # (S, N, 3)
    r = np.linalg.norm(d, axis=2)  # (S, N)
    sym = np.broadcast_to(np.array(host.get_chemical_symbols()), r.shape)
    keep = r < R_CUT
    return r[keep], sym[keep]


def morse_energy(host: Atoms, position: np.ndarray) -> float:
    """Analytic insertion energy (eV) of a Cu atom at ``position`` (Å)."""
    r, sym = _image_vectors(host, np.asarray(position, dtype=float))
    e = 0.0
    for s, (d0, a, r0) in MORSE.items():
        rs = r[sym == s]
        fc = 0.5 * (np.cos(np.pi * rs / R_CUT) + 1.0)
        e += float(np.sum(d0 * ((1.0 - np.exp(-a * (rs - r0))) ** 2 - 1.0) * fc))
    return e


def random_points(host: Atoms, n: int, seed: int, min_distance: float = 1.5) -> np.ndarray:
    """``n`` random positions (Å) at least ``min_distance`` from every host atom (periodic)."""
    rng = np.random.default_rng(seed)
    out = []
    cell = host.cell.array
    while len(out) < n:
        p = rng.random(3) @ cell
        d = host.positions - p
        frac = d @ np.linalg.inv(cell)
        d = (frac - np.round(frac)) @ cell
        if np.min(np.linalg.norm(d, axis=1)) >= min_distance:
            out.append(p)
    return np.array(out)


def morse_force(host: Atoms, position: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Force (eV/Å) on the Cu atom: minus the central-difference gradient of :func:`morse_energy`."""
    p = np.asarray(position, dtype=float)
    g = [(morse_energy(host, p + d) - morse_energy(host, p - d)) / (2 * h) for d in np.eye(3) * h]
    return -np.array(g)


def write_morse_db(
    path: Path,
    hosts: list[Atoms],
    n_points: list[int],
    seed: int = 0,
    *,
    forces: bool = False,
    calculator: str | None = None,
) -> Path:
    """Write an analytic reference database in the format of landscape.reference.dataset
    (with the force on the Cu atom in each point row when ``forces``; rows labelled with
    ``calculator`` when given, e.g. ``"tests.helpers.morse:RigidHostMorse"`` so that landscape can add points
    to the same data set)."""
    from ase.db import connect

    with connect(str(path), append=False) as db:
        _write_rows(db, hosts, n_points, seed, forces, calculator)
    return path


def _write_rows(
    db, hosts: list[Atoms], n_points: list[int], seed: int, forces: bool, label: str | None = None
) -> None:
    for k, (host, n) in enumerate(zip(hosts, n_points, strict=True)):
        sid = host.info["sample_id"]
        if label is not None:  # the calculator's name is the row's "calculator" (ase.db)
            host = host.copy()
            host.calc = SinglePointCalculator(host, energy=0.0)
            host.calc.name = label
        db.write(host, kind="host", sample_id=sid, e_host=0.0)
        for i, p in enumerate(random_points(host, n, seed + 1000 * k)):
            e = morse_energy(host, p)
            cu = Atoms("Cu", positions=[p], cell=host.cell, pbc=True)
            # "energy" is a reserved ase.db key: it is stored through a single-point calculator
            f = {"forces": morse_force(host, p)[None, :]} if forces else {}
            cu.calc = SinglePointCalculator(cu, energy=e, **f)
            if label is not None:
                cu.calc.name = label
            db.write(
                cu,
                kind="point",
                sample_id=sid,
                point_id=i,
                species="Cu",
                status="ok",
                e_host=0.0,
                e_insert=e,
                steps=0,
                converged=True,
                max_displacement=0.0,
                seconds=0.0,
            )


class RigidHostMorse(Calculator):
    """The analytic reference as an ASE calculator ("module:Class" ``tests.helpers.morse:RigidHostMorse``).

    Energy (eV): :func:`morse_energy` of every Cu atom in the host made of the other atoms (0 for
    the host alone); forces (eV/Å): on Cu minus its gradient, on host atoms zero, so a host
    relaxation around a fixed Cu atom converges at once and the relaxed insertion energy equals
    the analytic one (what :func:`write_morse_db` stores).
    """

    implemented_properties = ["energy", "forces"]

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        cu = [i for i, s in enumerate(self.atoms.get_chemical_symbols()) if s == "Cu"]
        host = self.atoms[[i for i in range(len(self.atoms)) if i not in cu]]
        forces = np.zeros((len(self.atoms), 3))
        energy = 0.0
        for i in cu:
            p = self.atoms.positions[i]
            energy += morse_energy(host, p)
            forces[i] = morse_force(host, p)
        self.results = {"energy": energy, "forces": forces}
