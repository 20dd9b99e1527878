"""The reference database as a run writes it: opening, resuming, one row per point, merging.

Rows follow :mod:`landscape.reference.dataset`. The relaxed host alone is the ``kind="host"`` row,
once per sample and calculator; each finished point is written at once as one ``kind="point"``
row, so a re-run resumes: points whose ``point_id`` is already in the database are skipped, never
written twice. A failed point is written with ``status="failed"`` and its one-line reason.

How ASE stores the contract's fields: ``energy`` and the calculator's label are the row's own
(``row.energy``, ``row.calculator``, from a single-point calculator), because ``energy``, ``fmax``
and ``calculator`` are reserved words of ``ase.db``; the relaxation's final largest host force is
``relax_fmax`` (eV/Å), and the row's force (``row.forces``, ``row.fmax``) is the force on the fixed
mobile atom after the host relaxed, i.e. minus the gradient of ``energy`` in its position.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from ase import Atoms

from ..errors import InputError
from ..geometry import wrap_positions
from .dataset import HOST, POINT
from .relax import mic_vectors

__all__ = [
    "open_reference_db",
    "check_one_method",
    "existing_point_ids",
    "check_same_points",
    "labelled_atoms",
    "find_host_row",
    "write_host_row",
    "write_point",
    "merge_databases",
]


def open_reference_db(path: str | Path) -> Any:
    """The ASE database at ``path`` for writing reference rows; a new one is created atomically.

    ASE creates its SQLite tables one statement at a time on first use, so a run killed during
    that leaves a file that no later run could open (``no such table: information``). A new
    database is therefore made complete under a temporary name beside ``path`` and linked into
    place (``os.link`` does not overwrite a database that another process made meanwhile). A file
    left incomplete that way (or empty) holds no rows (rows are written only after the schema is
    committed), so it is replaced by a complete empty one.

    Raises
    ------
    InputError
        ``path`` is a folder, not an SQLite file, a file of another program, or has an incomplete
        schema but holds rows.
    """
    from ase.db import connect

    path = Path(path)
    if path.is_dir():
        raise InputError(f"reference database {str(path)!r} is a folder; expected a file path")
    state = _schema_state(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if state != "complete":
        _create_schema(path, replace=state == "incomplete")
    return connect(str(path))


def _schema_state(path: Path) -> str:
    """``"missing"``, ``"incomplete"`` (no table, or ASE's tables without a version and no row)
    or ``"complete"``: what :func:`open_reference_db` finds at ``path``.

    Raises
    ------
    InputError
        Not an SQLite file, an SQLite file of another program, or rows in an incomplete schema.
    """
    import sqlite3

    if not path.exists():
        return "missing"
    if path.stat().st_size == 0:
        return "incomplete"  # an empty file holds no rows
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=60)
    try:
        try:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
        except sqlite3.DatabaseError as exc:
            raise InputError(
                f"reference database {str(path)!r} is not an SQLite file ({exc}); expected "
                "an ASE database"
            ) from None
        versioned = "information" in tables and bool(
            con.execute("SELECT COUNT(*) FROM information WHERE name='version'").fetchone()[0]
        )
        if not tables - {"sqlite_sequence"}:
            return "incomplete"
        if "systems" not in tables:  # ASE would add its tables to another program's file
            raise InputError(
                f"reference database {str(path)!r} is an SQLite file of another program "
                f"(tables {sorted(tables)}); expected an ASE database or a new path"
            )
        if versioned:
            return "complete"
        if con.execute("SELECT COUNT(*) FROM systems").fetchone()[0]:
            raise InputError(
                f"reference database {str(path)!r} has rows but an incomplete schema (no "
                "version in its table 'information'); expected an ASE database"
            )
        return "incomplete"
    finally:
        con.close()


def _create_schema(path: Path, *, replace: bool) -> None:
    """Make a complete empty ASE database at ``path`` through a temporary file beside it:
    ``replace`` overwrites an incomplete file, otherwise a file another process made first wins."""
    from ase.db import connect

    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        connect(str(tmp), type="db").count()  # creates and commits every table
        if replace:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass  # another process created it first
            except OSError:  # a file system without hard links
                if not path.exists():
                    os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def existing_point_ids(db: Any, sample_id: str, *, ok_only: bool = False) -> set[int]:
    """``point_id`` values already written for ``sample_id`` (any status, or only ``"ok"``)."""
    sel = {"status": "ok"} if ok_only else {}
    return {int(r.point_id) for r in db.select(kind=POINT, sample_id=sample_id, **sel)}


def check_same_points(
    db: Any, sample_id: str, pts: np.ndarray, first_id: int, cell: np.ndarray
) -> None:
    """A resumed run must ask for the points already stored under its ids.

    Parameters
    ----------
    pts : numpy.ndarray, shape (n, 3)
        The run's points, Å; point ``k`` has the id ``first_id + k``.
    cell : numpy.ndarray, shape (3, 3)
        Å, for periodic distances.

    Raises
    ------
    InputError
        A stored point is more than 1e-6 Å from the run's point of the same id.
    """
    rows = list(
        db.select(
            f"point_id>={first_id},point_id<{first_id + len(pts)}",
            kind=POINT,
            sample_id=sample_id,
        )
    )
    if not rows:
        return
    k = np.array([int(r.point_id) - first_id for r in rows])
    stored = np.array([r.positions[0] for r in rows])
    off = np.linalg.norm(mic_vectors(cell, stored - pts[k]), axis=1)
    if off.max() > 1e-6:
        j = int(np.argmax(off))
        raise InputError(
            f"point_id {int(rows[j].point_id)} of {sample_id!r} is stored at "
            f"{np.round(stored[j], 4).tolist()} Å but this run puts it at "
            f"{np.round(pts[k[j]], 4).tolist()} Å; give another first_id for other points"
        )


def labelled_atoms(atoms: Atoms, label: str, energy: float | None = None, forces=None) -> Atoms:
    """``atoms`` with a single-point calculator named ``label`` holding ``energy`` (eV) and
    ``forces`` (eV/Å) when given: how a row of the reference database is written."""
    from ase.calculators.singlepoint import SinglePointCalculator

    results: dict[str, Any] = {}
    if energy is not None:
        results["energy"] = energy
    if forces is not None:
        results["forces"] = forces
    spc = SinglePointCalculator(atoms, **results)
    spc.name = label
    atoms.calc = spc
    return atoms


def check_one_method(db: Any, db_path: str | Path, label: str) -> None:
    """Refuse (:class:`InputError`), before any work, to add points of calculator ``label`` (as
    :func:`landscape.calculators.calculator_info` names it) to a database that holds another
    method's energies (its host rows say which; ase.db keeps calculator names in lower
    case): :func:`~landscape.reference.dataset.load_dataset` would refuse the mixture anyway, after
    the points were computed."""
    others = sorted(
        {
            str(r.calculator)
            for r in db.select(kind=HOST, include_data=False)
            if r.get("calculator") is not None  # a row without a calculator name says nothing
        }
        - {label.lower()}
    )
    if others:
        raise InputError(
            f"reference database {str(db_path)!r} holds energies of {others[0]!r}, not of "
            f"{label!r}; never mix absolute energies of two methods: use another database (or "
            "reference.points = 0 in a study to train on the data as it is)"
        )


def find_host_row(db: Any, sample_id: str, label: str) -> Any | None:
    """The relaxed-host row of ``sample_id`` by calculator ``label`` (any case), or None."""
    for row in db.select(kind=HOST, sample_id=sample_id):
        if str(row.get("calculator", "")).lower() == label.lower():
            return row
    return None


def write_host_row(
    db: Any,
    relaxed: Atoms,
    sample_id: str,
    e_host: float,
    meta: dict[str, Any],
    info: dict[str, Any],
) -> None:
    """Write the relaxed host alone (``e_host`` in eV) as the ``kind="host"`` row of
    ``sample_id``; ``meta`` is the calculator's record (``calculator``, ``calculator_version``,
    ``calculator_params``), ``info`` that of :func:`landscape.reference.relax.relax_host`."""
    db.write(
        labelled_atoms(relaxed.copy(), meta["calculator"], e_host),
        kind=HOST,
        sample_id=sample_id,
        e_host=e_host,
        calculator_label=meta["calculator"],
        calculator_version=meta["calculator_version"],
        calculator_params=meta["calculator_params"],
        relax_fmax=info["fmax"],
        steps=info["steps"],
        converged=bool(info["converged"]),
        seconds=round(info["seconds"], 3),
    )


def write_point(
    db: Any, host: Atoms, sample_id: str, species: str, res: dict[str, Any], meta: dict[str, Any]
) -> None:
    """Write one finished point (a record of :func:`landscape.reference.worker.compute_point`) as
    a ``kind="point"`` row; ``meta`` holds the run's calculator record, ``e_host`` (eV) and its
    settings (``target_fmax``, ``max_steps``, ``optimizer``, ``seed``, ``origin``,
    ``min_distance``, ``relax_radius``)."""
    cell = np.asarray(host.cell)
    pos = wrap_positions(np.asarray(res["position"]), cell)
    atoms = Atoms(species, positions=[pos], cell=cell, pbc=True)
    kv: dict[str, Any] = {
        "kind": POINT,
        "sample_id": sample_id,
        "point_id": int(res["point_id"]),
        "species": species,
        "status": res["status"],
        "seconds": round(float(res["seconds"]), 3),
        "calculator_label": meta["calculator"],
        "calculator_version": meta["calculator_version"],
        "calculator_params": meta["calculator_params"],
        "target_fmax": meta["target_fmax"],
        "max_steps": meta["max_steps"],
        "optimizer": meta["optimizer"],
        "seed": meta["seed"],
        "origin": meta.get("origin", "random"),
    }
    if meta.get("min_distance") is not None:
        kv["min_distance"] = float(meta["min_distance"])
    if meta["relax_radius"] is not None:
        kv["relax_radius"] = float(meta["relax_radius"])
    if res["status"] == "ok":
        kv.update(
            {
                "e_host": meta["e_host"],
                "e_insert": float(res["energy"]) - meta["e_host"],
                "relax_fmax": float(res["fmax"]),
                "steps": int(res["steps"]),
                "converged": bool(res["converged"]),
                "max_displacement": float(res["max_displacement"]),
            }
        )
        labelled_atoms(
            atoms, meta["calculator"], float(res["energy"]), np.asarray(res["force"])[None]
        )
    else:
        kv["error"] = res["error"]
        labelled_atoms(atoms, meta["calculator"])
    db.write(atoms, **kv)


def merge_databases(sources: list[str | Path], dest: str | Path) -> dict[str, int]:
    """Copy the rows of reference databases into ``dest``, never duplicating a point.

    Host rows are copied when ``dest`` has none for that sample and calculator (a host row of
    another ``e_host`` for the same sample and calculator is an error: the points would not be
    comparable). Point rows whose ``(sample_id, point_id)`` is already in ``dest`` are skipped.

    Returns
    -------
    dict
        ``{"hosts": n, "points": n, "skipped": n}`` copied/skipped.

    Raises
    ------
    InputError
        Missing source, or conflicting host energies.
    """
    from .dataset import connect_readonly

    # every source checked (and opened read-only) before the destination is touched
    opened = [(src, connect_readonly(src, "database")) for src in sources]
    out = open_reference_db(dest)
    counts = {"hosts": 0, "points": 0, "skipped": 0}
    seen: dict[str, set[int]] = {}
    for src, db in opened:
        for row in db.select(kind=HOST):
            have = find_host_row(out, row.sample_id, row.get("calculator"))
            if have is None:
                out.write(_row_atoms(row), **_kvp(row))
                counts["hosts"] += 1
            elif abs(float(have.e_host) - float(row.e_host)) > 1e-6:
                raise InputError(
                    f"{str(src)!r}: host of {row.sample_id} has e_host {row.e_host:.6f} eV, "
                    f"{str(dest)!r} has {have.e_host:.6f} eV; cannot merge"
                )
        with out:
            for row in db.select(kind=POINT):
                sid = row.sample_id
                if sid not in seen:
                    seen[sid] = existing_point_ids(out, sid)
                if int(row.point_id) in seen[sid]:
                    counts["skipped"] += 1
                    continue
                out.write(_row_atoms(row), **_kvp(row))
                seen[sid].add(int(row.point_id))
                counts["points"] += 1
    return counts


def _kvp(row: Any) -> dict[str, Any]:
    return dict(row.key_value_pairs)


def _row_atoms(row: Any) -> Atoms:
    atoms = row.toatoms()
    label = row.get("calculator")
    energy = row.get("energy")
    forces = row.get("forces")
    return labelled_atoms(atoms, label or "unknown", energy, forces)
