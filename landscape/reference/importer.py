"""Import existing results (vasprun.xml, OUTCAR, extxyz, ASE databases) and describe data sets.

:func:`import_results` reads structures with their energies, tells the host (``N`` atoms) from the
host + mobile atom frames (``N + 1`` atoms) by their atom count, and writes them in the format of
:mod:`landscape.reference.dataset`. Frames already imported (same ``point_id``; for frames without
one, same position and energy) are skipped, so an import can be repeated and files added later.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from ase import Atoms

from ..config import DEFAULTS
from ..errors import InputError
from ..geometry import wrap_positions
from .database import existing_point_ids, find_host_row, labelled_atoms, open_reference_db
from .dataset import HOST, POINT, connect_readonly, row_origin

__all__ = ["import_results", "dataset_info", "bundled_reference_db", "read_frames"]

#: The data set shipped with the package (CHGNet, Cu in the three bundled a-Ta2O5 samples).
BUNDLED_DB = "chgnet-cu-a-Ta2O5.db"


def bundled_reference_db() -> Path:
    """Path of the reference database shipped with the package.

    Raises
    ------
    InputError
        The file is not installed.
    """
    path = Path(str(resources.files("landscape") / "data" / "reference" / BUNDLED_DB))
    if not path.is_file():
        raise InputError(f"bundled reference database {str(path)!r} is not installed")
    return path


def read_frames(path: str | Path) -> list[Atoms]:
    """Structures with energies from one file (every frame of extxyz/db; the last of DFT runs).

    Raises
    ------
    InputError
        Missing or unreadable file, or a frame without an energy.
    """
    import ase.io

    path = Path(path)
    if not path.is_file():
        raise InputError(f"result file {str(path)!r} does not exist")
    name = path.name.lower()
    vasp = "vasprun" in name or "outcar" in name
    last_only = vasp or name.endswith((".out", ".log"))
    # a VASP output whose last ionic step never finished (killed run, truncated copy) or lost its
    # energy block: ASE stops with StopIteration (OUTCAR) or AttributeError/IndexError (vasprun)
    no_energy = (
        f"{str(path)!r} has no energy: no finished ionic step with a total energy "
        "(truncated or unfinished VASP run?)"
    )
    try:
        frames = ase.io.read(str(path), index=-1 if last_only else ":")
    except Exception as exc:  # ASE raises many types for malformed files
        if vasp and isinstance(exc, (StopIteration, AttributeError, IndexError)):
            raise InputError(no_energy) from None
        msg = str(exc).strip().splitlines()
        raise InputError(
            f"cannot read {str(path)!r}: {msg[0] if msg else type(exc).__name__}"
        ) from None
    if isinstance(frames, Atoms):
        frames = [frames]
    if not frames:
        raise InputError(f"{str(path)!r} holds no structures")
    for k, f in enumerate(frames):
        try:
            e = f.get_potential_energy()
        except Exception:
            e = None
        if e is None or not np.isfinite(e):
            if vasp:
                raise InputError(no_energy)
            raise InputError(
                f"{str(path)!r} frame {k} has no energy; expected a total energy in eV"
            )
        f.info["_source"] = f"{path.name}[{k}]"
    return frames


def import_results(
    files: list[str | Path],
    db_path: str | Path,
    *,
    sample_id: str,
    species: str = "Cu",
    calculator: str = "imported",
    calculator_version: str = "unknown",
    fmax: float = DEFAULTS.host_fmax,
) -> dict[str, int]:
    """Import host and host + mobile-atom energies into a reference database.

    Parameters
    ----------
    files : list of str or Path
        vasprun.xml, OUTCAR, extxyz or ASE database files. Together they must hold exactly one
        host frame (``N`` atoms) unless the database already has this sample's host, and any
        number of frames with ``N + 1`` atoms (the host with the mobile atom).
    db_path : str or Path
        The reference database to write (created or extended).
    sample_id : str
        Sample the points belong to.
    species : str
        Mobile species; each point frame must contain it. The mobile atom is the last atom of
        that species in the frame.
    calculator, calculator_version : str
        Label of the method that produced the energies (never mix two in one data set).
    fmax : float
        A point counts as converged when the largest force on the host atoms free to move is
        below this (eV/Å); atoms a ``FixAtoms`` constraint holds (selective dynamics, extxyz
        ``move_mask``) do not count; frames without forces count as converged.

    Returns
    -------
    dict
        ``{"hosts": n, "points": n, "skipped": n}``.

    Raises
    ------
    InputError
        Unreadable files, frames without energy, no or several hosts, frames of unexpected size,
        or a point frame without the mobile species.
    """
    frames: list[Atoms] = []
    for f in files:
        frames.extend(read_frames(f))
    db = open_reference_db(db_path)
    n_host, e_host, new_host = _import_host(db, frames, sample_id, calculator, calculator_version)
    counts = {"hosts": int(new_host), "points": 0, "skipped": 0}
    bad = [a.info["_source"] for a in frames if len(a) not in (n_host, n_host + 1)]
    if bad:
        raise InputError(
            f"frame {bad[0]} has an unexpected atom count; expected {n_host} (host) or "
            f"{n_host + 1} (host + {species})"
        )
    done = existing_point_ids(db, sample_id)
    next_id = max(done, default=-1) + 1
    # A frame without a ``point_id`` is the point already stored at the same position with the
    # same energy (a repeated import), else a new point with the next free id (e.g. a later
    # import of more vasprun.xml files: each holds one point, so the frame index says nothing).
    stored = [
        (np.asarray(r.positions[0]), float(r.energy))
        for r in db.select(kind=POINT, sample_id=sample_id, status="ok")
        if r.get("energy") is not None
    ]
    for a in (a for a in frames if len(a) == n_host + 1):
        m = _mobile_index(a, species)
        energy = float(a.get_potential_energy())
        cell = np.asarray(a.cell)
        pos = wrap_positions(a.positions[m], cell)
        if "point_id" in a.info:
            pid = int(a.info["point_id"])
            seen = pid in done
        else:
            pid = next_id
            seen = any(
                abs(e - energy) <= 1e-8 and np.allclose(p, pos, rtol=0.0, atol=1e-6)
                for p, e in stored
            )
        if seen:
            counts["skipped"] += 1
            continue
        fm, conv, fmob = _host_force(a, m, fmax)
        row = Atoms(species, positions=[pos], cell=cell, pbc=True)
        kv: dict[str, Any] = {
            "kind": POINT,
            "sample_id": sample_id,
            "point_id": pid,
            "species": species,
            "status": "ok",
            "e_host": e_host,
            "e_insert": energy - e_host,
            "converged": bool(conv),
            "calculator_label": calculator,
            "calculator_version": calculator_version,
            "calculator_params": "{}",
            "source": a.info["_source"],
        }
        if np.isfinite(fm):
            kv["relax_fmax"] = fm
        db.write(labelled_atoms(row, calculator, energy, fmob), **kv)
        done.add(pid)
        stored.append((pos, energy))
        next_id = max(next_id, pid + 1)
        counts["points"] += 1
    return counts


def _import_host(
    db: Any, frames: list[Atoms], sample_id: str, calculator: str, calculator_version: str
) -> tuple[int, float, bool]:
    """The host's atom count and ``e_host`` (eV): from the database's host row of this sample
    and calculator, or from the one frame with the fewest atoms, written as the host row (then
    the third value is True).

    Raises
    ------
    InputError
        No host row and not exactly one frame with the fewest atoms.
    """
    host_row = find_host_row(db, sample_id, calculator)
    if host_row is not None:
        return host_row.natoms, float(host_row.e_host), False
    n_host = sorted({len(a) for a in frames})[0]
    hosts = [a for a in frames if len(a) == n_host]
    if len(hosts) != 1:
        raise InputError(
            f"expected exactly one host frame ({n_host} atoms) among the files, got {len(hosts)}"
        )
    host = hosts[0]
    e_host = float(host.get_potential_energy())
    h = Atoms(host.get_chemical_symbols(), positions=host.positions, cell=host.cell, pbc=True)
    db.write(
        labelled_atoms(h, calculator, e_host),
        kind=HOST,
        sample_id=sample_id,
        e_host=e_host,
        calculator_label=calculator,
        calculator_version=calculator_version,
        calculator_params="{}",
        source=host.info["_source"],
    )
    return n_host, e_host, True


def _mobile_index(frame: Atoms, species: str) -> int:
    """Index of the mobile atom in a host + mobile-atom frame: the last atom of ``species``.

    Raises
    ------
    InputError
        The frame has no atom of ``species``.
    """
    idx = [i for i, s in enumerate(frame.get_chemical_symbols()) if s == species]
    if not idx:
        raise InputError(f"frame {frame.info['_source']} has no {species} atom")
    return idx[-1]


def _host_force(frame: Atoms, m: int, fmax: float) -> tuple[float, bool, np.ndarray | None]:
    """The largest force on a host atom free to move in ``frame`` (eV/Å; NaN without forces),
    whether it is at most ``fmax`` eV/Å (True without forces), and the force on the mobile atom
    ``m`` (1, 3).

    Atoms a ``FixAtoms`` constraint of the frame holds (selective dynamics in VASP files,
    ``move_mask`` in extxyz: the host atoms far from the mobile atom in a local relaxation) do not
    count: their forces were never relaxed away. The mobile atom's force is the raw one.
    """
    from ase.constraints import FixAtoms

    try:
        forces = frame.get_forces(apply_constraint=False)
    except Exception:
        forces = None
    if forces is None:
        return float("nan"), True, None
    free = np.ones(len(frame), dtype=bool)
    for c in frame.constraints:
        if isinstance(c, FixAtoms):
            free[c.get_indices()] = False
    free[m] = False
    host_f = forces[free]
    fm = float(np.linalg.norm(host_f, axis=1).max()) if len(host_f) else 0.0
    return fm, fm <= fmax, forces[m][None]


#: Å: a point whose relaxation moved a host atom farther than this rearranged the host (the
#: threshold of the accuracy figures, docs/accuracy.md)
REARRANGED_A = 0.6


def dataset_info(path: str | Path) -> dict[str, Any]:
    """Counts and statistics of a reference database, per sample.

    Returns
    -------
    dict
        Per ``sample_id``: ``points`` (rows), ``ok``, ``failed``, ``converged``, ``e_host`` (eV),
        ``e_insert_min``/``_mean``/``_max`` (eV), ``seconds_per_point`` (mean), ``mean_steps``,
        ``calculator``, ``origins`` (points per origin: random, grid, given, network),
        ``host_displacement_median``/``_p90`` (Å: of each successful point's largest host-atom
        displacement, where recorded) and ``rearranged_fraction`` (share of those points that
        moved a host atom more than 0.6 Å: the host rearranged); plus ``"settings"`` (the
        distinct optimiser/fmax/max-steps/radius).
    """
    db = connect_readonly(path)  # never writes: not even ASE's tables into a foreign file
    out: dict[str, Any] = {}
    for row in db.select(kind=HOST):
        out.setdefault(row.sample_id, {})["e_host"] = float(row.e_host)
        out[row.sample_id]["calculator"] = row.get("calculator")
        out[row.sample_id]["n_host_atoms"] = row.natoms
    acc: dict[str, dict[str, list]] = {}
    settings = set()
    for row in db.select(kind=POINT):
        a = acc.setdefault(
            row.sample_id,
            {"ok": [], "failed": 0, "conv": 0, "sec": [], "steps": [], "orig": {}, "disp": []},
        )
        o = row_origin(row)
        a["orig"][o] = a["orig"].get(o, 0) + 1
        if row.status == "ok":
            a["ok"].append(float(row.e_insert))
            a["conv"] += int(bool(row.get("converged", False)))
            if row.get("steps") is not None:
                a["steps"].append(int(row.steps))
            if row.get("max_displacement") is not None:
                a["disp"].append(float(row.max_displacement))
        else:
            a["failed"] += 1
        if row.get("seconds") is not None:
            a["sec"].append(float(row.seconds))
        settings.add(
            (
                row.get("optimizer", "?"),
                row.get("target_fmax"),  # None where not recorded (imported rows)
                row.get("max_steps"),
                row.get("relax_radius", None),
            )
        )
    for sid, a in acc.items():
        e = np.asarray(a["ok"])
        disp = np.asarray(a["disp"])
        d = out.setdefault(sid, {})
        d.update(
            {
                "points": len(e) + a["failed"],
                "ok": len(e),
                "failed": a["failed"],
                "converged": a["conv"],
                "e_insert_min": float(e.min()) if len(e) else None,
                "e_insert_mean": float(e.mean()) if len(e) else None,
                "e_insert_max": float(e.max()) if len(e) else None,
                "seconds_per_point": float(np.mean(a["sec"])) if a["sec"] else None,
                "mean_steps": float(np.mean(a["steps"])) if a["steps"] else None,
                "origins": dict(sorted(a["orig"].items())),
                "host_displacement_median": float(np.median(disp)) if len(disp) else None,
                "host_displacement_p90": float(np.percentile(disp, 90)) if len(disp) else None,
                "rearranged_fraction": (float(np.mean(disp > REARRANGED_A)) if len(disp) else None),
            }
        )
    return {
        "samples": out,
        "settings": [
            {"optimizer": s[0], "fmax": s[1], "max_steps": s[2], "relax_radius": s[3]}
            for s in sorted(settings, key=str)
        ],
    }
