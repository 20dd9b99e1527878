"""Reading reference data sets: the contract between ``landscape.reference`` and the potential.

A reference data set is an ASE database (``ase.db``, SQLite) with two kinds of rows, told apart by
the key ``kind``:

``kind="host"`` — one row per (sample, calculator): the host structure the descriptors see (the
    relaxed host without the mobile atom) as the row's atoms, with keys ``sample_id``, ``e_host``
    (eV), ``calculator``, ``calculator_version``, ``calculator_params`` (JSON text).

``kind="point"`` — one row per inserted point, written the moment it finishes. The row's atoms are
    the mobile atom alone (its position in Å, Cartesian, wrapped; the host's cell and pbc), which
    keeps the files compact. Keys: ``sample_id``, ``point_id`` (unique with ``sample_id``),
    ``species``, ``status`` (``"ok"`` or ``"failed"``), and for ``"ok"`` rows ``energy`` (total, eV,
    host relaxed with the mobile atom fixed), ``e_host`` (eV), ``e_insert = energy − e_host`` (eV),
    ``fmax`` (eV/Å), ``steps``, ``converged`` (bool), ``max_displacement`` (Å, largest host-atom
    displacement), ``calculator``, ``calculator_version``, ``calculator_params``, ``seconds``; for
    ``"failed"`` rows ``error`` (one line).

How ASE stores three of these: ``energy``, ``fmax`` and ``calculator`` are reserved words of
``ase.db``, so ``energy`` is the row's own energy (``row.energy``, from a single-point calculator),
``calculator`` is the row's calculator name (``row.calculator``, which ``ase.db`` keeps in lower
case; the label as given is also in ``calculator_label``), and the relaxation's final largest host
force is ``relax_fmax`` (eV/Å). The row's force (``row.forces``, hence ``row.fmax``) is the force on
the fixed mobile atom after the host relaxed, i.e. minus the gradient of ``energy`` in its position.
Rows also record ``target_fmax``, ``max_steps``, ``optimizer``, ``seed`` and, when used,
``relax_radius``.

The NNP learns ``e_insert``, which is transferable between samples of one material.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from ase import Atoms

from ..errors import InputError

__all__ = ["ReferenceDataset", "load_dataset", "connect_readonly", "HOST", "POINT"]

HOST = "host"
POINT = "point"
#: How the points of a run were chosen (the ``origin`` of every row); "network": sites and saddle
#: points of a hop network, targeted training points that the held-out test set never draws.
ORIGINS = ("random", "grid", "given", "network")


def row_origin(row: Any) -> str:
    """How a point row's position was chosen (its ``origin``; rows written before it was recorded
    were uniform random points)."""
    return str(row.get("origin", "random"))


@dataclass
class ReferenceDataset:
    """Reference points of one or more samples, as arrays.

    Attributes
    ----------
    hosts : dict[str, ase.Atoms]
        Host structure per ``sample_id`` (what the descriptors are computed on).
    sample_ids : numpy.ndarray of str, shape (n,)
    point_ids : numpy.ndarray of int, shape (n,)
    positions : numpy.ndarray, shape (n, 3)
        Mobile-atom positions, Å (Cartesian, wrapped).
    e_insert : numpy.ndarray, shape (n,)
        Insertion energies ``energy − e_host``, eV.
    species : str
        The mobile species.
    calculator : str
        Name of the reference calculator.
    forces : numpy.ndarray, shape (n, 3), optional
        Force on the fixed mobile atom after the host relaxed, eV/Å: minus the gradient of
        ``e_insert`` in the mobile atom's position. NaN rows where a point has no forces (imported
        results without them); ``None`` means none known.
    max_displacement : numpy.ndarray, shape (n,), optional
        Largest displacement of a host atom during the relaxation around the mobile atom, Å
        (minimum image). A large one means the host rearranged into another configuration rather
        than relaxed around the mobile atom. NaN where unknown; ``None`` means none known.
    origin : numpy.ndarray of str, shape (n,), optional
        How each point was chosen (the row's ``origin``: ``"random"``, ``"grid"``, ``"given"``,
        ``"network"``; rows written before it was recorded are ``"random"``). ``None``: all random.
    """

    hosts: dict[str, Atoms]
    sample_ids: np.ndarray
    point_ids: np.ndarray
    positions: np.ndarray
    e_insert: np.ndarray
    species: str
    calculator: str
    forces: np.ndarray | None = None
    max_displacement: np.ndarray | None = None
    origin: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.e_insert)

    @property
    def host_species(self) -> list[str]:
        """Chemical symbols of the host atoms over all hosts, sorted alphabetically."""
        return sorted({s for h in self.hosts.values() for s in h.get_chemical_symbols()})

    def subset(self, mask: np.ndarray) -> ReferenceDataset:
        """The points selected by a boolean mask or an index array (hosts kept as they are)."""
        return ReferenceDataset(
            hosts=self.hosts,
            sample_ids=self.sample_ids[mask],
            point_ids=self.point_ids[mask],
            positions=self.positions[mask],
            e_insert=self.e_insert[mask],
            species=self.species,
            calculator=self.calculator,
            forces=None if self.forces is None else self.forces[mask],
            max_displacement=(
                None if self.max_displacement is None else self.max_displacement[mask]
            ),
            origin=None if self.origin is None else self.origin[mask],
        )

    def content_hash(self) -> str:
        """SHA-256 of the points (sample, point id, position, energy; the origin where it is not
        "random") in a canonical order."""
        order = np.lexsort((self.point_ids, self.sample_ids))
        h = hashlib.sha256()
        for k in order:
            h.update(f"{self.sample_ids[k]}|{int(self.point_ids[k])}|".encode())
            if self.origin is not None and self.origin[k] != "random":
                h.update(f"{self.origin[k]}|".encode())
            h.update(np.round(self.positions[k], 8).tobytes())
            h.update(np.float64(round(float(self.e_insert[k]), 10)).tobytes())
        return h.hexdigest()


#: The first 16 bytes of every SQLite 3 file.
SQLITE_HEADER = b"SQLite format 3\x00"
#: Tables every ASE database has (``ase.db.sqlite``); ASE adds them to any SQLite file it opens.
ASE_TABLES = ("systems", "information", "keys", "species", "text_key_values", "number_key_values")


def connect_readonly(path: str | Path, what: str = "reference database") -> Any:
    """The ASE database at ``path``, opened read-only after checking that it is one.

    ``ase.db.connect`` creates its tables in any file it opens, an empty one or a foreign SQLite
    file included; a reader must never do that. The file is therefore checked first (an SQLite 3
    header, ASE's tables with a format version, no damaged pages) and then opened through a
    ``mode=ro`` SQLite URI, so that nothing it does can write to the file.

    Raises
    ------
    InputError
        ``path`` is missing, a folder, empty, not SQLite, damaged (truncated), or an SQLite file
        without ASE's tables.
    """
    import sqlite3

    from ase.db.sqlite import SQLite3Database

    path = Path(path)
    name = repr(str(path))
    if not path.exists():
        raise InputError(f"{what} {name} does not exist")
    if not path.is_file():
        raise InputError(f"{what} {name} is not a file; expected an ASE database (.db)")
    try:
        with path.open("rb") as fh:
            head = fh.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise InputError(f"{what} {name} cannot be read: {exc.strerror}") from None
    if not head:
        raise InputError(f"{what} {name} is empty; expected an ASE database")
    if head != SQLITE_HEADER:
        raise InputError(f"{what} {name} is not an SQLite file; expected an ASE database")
    uri = f"{path.resolve().as_uri()}?mode=ro"
    try:
        con = sqlite3.connect(uri, uri=True, timeout=20)
        try:
            if con.execute("PRAGMA quick_check").fetchone() != ("ok",):
                raise sqlite3.DatabaseError("integrity check failed")
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
            missing = [t for t in ASE_TABLES if t not in tables]
            if missing:
                raise InputError(
                    f"{what} {name} is an SQLite file without ASE's tables {missing}; expected an "
                    "ASE database (landscape reference run or import)"
                )
            version = con.execute("SELECT value FROM information WHERE name='version'").fetchone()
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise InputError(
            f"{what} {name} is damaged or truncated ({exc}); expected a complete ASE database"
        ) from None
    if version is None:
        raise InputError(f"{what} {name} has no ASE format version; expected an ASE database")

    class _ReadOnly(SQLite3Database):
        def _connect(self):  # every connection read-only: reading never writes the file
            return sqlite3.connect(uri, uri=True, timeout=20)

    return _ReadOnly(str(path))


def load_dataset(
    path: str | Path,
    sample_ids: list[str] | None = None,
    *,
    only_converged: bool = True,
    origins: list[str] | None = None,
) -> ReferenceDataset:
    """Load the successful points of a reference database, in (sample id, point id) order.

    Parameters
    ----------
    path : str or Path
        The ASE database file.
    sample_ids : list of str, optional
        Keep only these samples (default: all).
    only_converged : bool
        Drop points whose host relaxation did not reach its force criterion.
    origins : list of str, optional
        Keep only points of these origins (``"random"``, ``"grid"``, ``"given"``, ``"network"``;
        default: all).

    Raises
    ------
    InputError
        Missing file, no host row for a sample, NaN energies, mixed mobile species or calculators,
        or no points left.
    """
    path = Path(path)
    bad = sorted(set(origins or ()) - set(ORIGINS))
    if bad:
        raise InputError(f"unknown point origins {bad}; expected some of {list(ORIGINS)}")
    db = connect_readonly(path)
    hosts: dict[str, Atoms] = {}
    for row in db.select(kind=HOST):
        hosts[row.sample_id] = row.toatoms()
    sids, pids, pos, e, forces, species, calcs = [], [], [], [], [], set(), set()
    disp, origin = [], []
    for row in db.select(kind=POINT, status="ok"):
        if sample_ids is not None and row.sample_id not in sample_ids:
            continue
        if only_converged and not row.get("converged", False):
            continue
        o = row_origin(row)
        if origins is not None and o not in origins:
            continue
        sids.append(row.sample_id)
        pids.append(int(row.point_id))
        pos.append(row.positions[0])
        e.append(float(row.e_insert))
        f = row.get("forces")
        forces.append(np.full(3, np.nan) if f is None or len(f) != 1 else np.asarray(f[0], float))
        d = row.get("max_displacement")
        disp.append(np.nan if d is None else float(d))
        origin.append(o)
        species.add(row.symbols[0])
        calcs.add(row.get("calculator", "unknown"))
    if not e:
        wanted = "" if sample_ids is None else f" for samples {sample_ids}"
        wanted += "" if origins is None else f" of origins {list(origins)}"
        raise InputError(f"reference database {str(path)!r} holds no successful points{wanted}")
    e_arr = np.asarray(e, dtype=float)
    if not np.all(np.isfinite(e_arr)):
        raise InputError(
            f"reference database {str(path)!r} has {int((~np.isfinite(e_arr)).sum())} NaN/inf energies"
        )
    if len(species) != 1:
        raise InputError(f"reference database mixes mobile species {sorted(species)}; expected one")
    if len(calcs) != 1:
        raise InputError(
            f"reference database mixes calculators {sorted(calcs)}; never mix absolute energies"
        )
    missing = sorted(set(sids) - set(hosts))
    if missing:
        raise InputError(f"reference database has no host row for samples {missing}")
    # (sample id, point id) order, not the order rows were written: parallel workers write in the
    # order they finish, and the NNP's split and batches must not depend on it (same data, same
    # seed: same model)
    order = np.lexsort((np.asarray(pids, dtype=int), np.asarray(sids)))
    return ReferenceDataset(
        hosts={k: v for k, v in hosts.items() if k in set(sids)},
        sample_ids=np.asarray(sids)[order],
        point_ids=np.asarray(pids, dtype=int)[order],
        positions=np.asarray(pos, dtype=float)[order],
        e_insert=e_arr[order],
        species=species.pop(),
        calculator=calcs.pop(),
        forces=np.asarray(forces, dtype=float)[order],
        max_displacement=np.asarray(disp, dtype=float)[order],
        origin=np.asarray(origin, dtype=str)[order],
    )
