"""Bundled samples, reading a structure file, and validating a host."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from ase import Atoms
from ase.data import covalent_radii

from ..errors import InputError

__all__ = [
    "MIN_DISTANCE_FRACTION",
    "bundled_samples",
    "bundled_sample_path",
    "load_sample",
    "validate_sample",
]

#: Atoms closer than this fraction of the sum of their covalent radii are "overlapping".
MIN_DISTANCE_FRACTION = 0.5


def bundled_samples() -> list[str]:
    """Names of the samples shipped with the package (e.g. ``"a-Ta2O5-1"``, melt-quenched, and its
    annealed twin ``"a-Ta2O5-1a"``)."""
    try:
        folder = resources.files("landscape") / "data" / "samples"
        names = [p.name for p in folder.iterdir() if p.name.endswith(".extxyz")]
    except (ModuleNotFoundError, FileNotFoundError):
        return []
    return sorted(n[: -len(".extxyz")] for n in names)


def bundled_sample_path(name: str) -> Path:
    """Path of a bundled sample's file.

    Raises
    ------
    InputError
        Unknown name (the message lists the bundled ones).
    """
    if name not in bundled_samples():
        raise InputError(f"no bundled sample {name!r}; bundled: {bundled_samples()}")
    return Path(str(resources.files("landscape") / "data" / "samples" / f"{name}.extxyz"))


def load_sample(source: str | Path) -> Atoms:
    """Read and validate a host sample.

    Parameters
    ----------
    source : str or Path
        A bundled sample's name (see :func:`bundled_samples`) or a periodic structure file that
        ASE can read (format from the extension; the last frame is used).

    Returns
    -------
    ase.Atoms
        The validated sample, with ``info["sample_id"]`` (the bundled name, the file's own
        ``sample_id``, or the file's stem) and ``info["source"]``.

    Raises
    ------
    InputError
        Missing or unreadable file, a structure that is not 3D periodic, unknown species, or
        overlapping atoms.
    """
    name = str(source)
    if name in bundled_samples():
        path = bundled_sample_path(name)
        sample_id = name
    else:
        path = Path(source)
        if not path.is_file():
            raise InputError(
                f"sample {name!r} is neither a bundled sample {bundled_samples()} nor an existing file"
            )
        sample_id = None
    atoms = _read_structure(path)
    if sample_id is None:
        sample_id = str(atoms.info.get("sample_id") or path.stem)
    atoms.info["sample_id"] = sample_id
    atoms.info.setdefault("source", str(path))
    validate_sample(atoms, name=str(path))
    return atoms


def _read_structure(path: Path) -> Atoms:
    import ase.io

    kwargs: dict[str, Any] = {}
    if path.suffix.lower() in {".lmp", ".lammps", ".data"}:
        kwargs = {"format": "lammps-data", "atom_style": "atomic"}
    try:
        atoms = ase.io.read(str(path), index=-1, **kwargs)
    except Exception as exc:  # ASE raises many types for malformed files
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"cannot read structure file {str(path)!r}: {msg}") from None
    if not isinstance(atoms, Atoms):
        raise InputError(f"structure file {str(path)!r} holds no atoms")
    atoms.calc = None
    return atoms


def validate_sample(atoms: Atoms, *, name: str = "sample") -> None:
    """Check that a structure can be a host: 3D periodic, known species, no overlapping atoms.

    Two atoms overlap when closer (minimum image) than ``MIN_DISTANCE_FRACTION`` times the sum of
    their covalent radii (ASE's table), e.g. 1.2 Å for Ta-O.

    Raises
    ------
    InputError
        The first problem found, in one line.
    """
    if len(atoms) == 0:
        raise InputError(f"{name}: structure has no atoms")
    if not all(atoms.pbc):
        raise InputError(f"{name}: structure must be periodic in 3D, got pbc={list(atoms.pbc)}")
    cell = np.asarray(atoms.cell)
    vol = abs(np.linalg.det(cell))
    if not np.isfinite(vol) or vol < 1e-6:
        raise InputError(f"{name}: cell is missing or degenerate (volume {vol:.3g} Å^3)")
    numbers = atoms.numbers
    if np.any(numbers <= 0) or np.any(numbers > 94):
        bad = sorted({int(z) for z in numbers if z <= 0 or z > 94})
        raise InputError(f"{name}: unknown species (atomic numbers {bad}); expected elements 1-94")
    if not np.all(np.isfinite(atoms.positions)):
        raise InputError(f"{name}: positions contain NaN or inf")
    i, j, d = _pairs(atoms, 2.0 * MIN_DISTANCE_FRACTION * float(covalent_radii[numbers].max()))
    if len(d):
        limit = MIN_DISTANCE_FRACTION * (covalent_radii[numbers[i]] + covalent_radii[numbers[j]])
        bad = np.flatnonzero(d < limit)
        if len(bad):
            k = bad[np.argmin(d[bad])]
            sym = atoms.get_chemical_symbols()
            raise InputError(
                f"{name}: atoms {int(i[k])} ({sym[i[k]]}) and {int(j[k])} ({sym[j[k]]}) overlap at "
                f"{d[k]:.3f} Å; expected at least {limit[k]:.3f} Å"
            )


def _pairs(atoms: Atoms, cutoff: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All pairs i<j... (each unordered pair twice) within ``cutoff`` Å, minimum image."""
    from ase.neighborlist import neighbor_list

    i, j, d = neighbor_list("ijd", atoms, cutoff, self_interaction=False)
    return i, j, d
