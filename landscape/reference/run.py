"""Reference energies: relax the host around a fixed mobile atom, point after point, resumably.

:func:`relax_insertion` inserts the mobile atom, fixes it (``ase.constraints.FixAtoms``) and relaxes
the host (optionally only the host atoms within ``relax_radius`` Å of the mobile atom).
:func:`run_reference` does that for many points and writes each finished point at once as one row of
an ASE database in the format of :mod:`landscape.reference.dataset`. The relaxed host alone is
computed once per sample and calculator and stored as the ``kind="host"`` row. A re-run resumes:
points whose ``point_id`` is already in the database are skipped, never written twice. A point whose
calculation raises (or returns a non-finite energy) is written with ``status="failed"`` and its
one-line reason; the other points go on.

Work runs in this process (``workers=1``), in a local process pool (``workers>1``), or on a Dask
cluster (``scheduler=ADDRESS``, a ``distributed.Client``, or a dask-jobqueue cluster described by a
dict); the main process is the only writer of the database.

How ASE stores the contract's fields: ``energy`` and the calculator's label are the row's own
(``row.energy``, ``row.calculator``, from a single-point calculator), because ``energy``, ``fmax``
and ``calculator`` are reserved words of ``ase.db``; the relaxation's final largest host force is
``relax_fmax`` (eV/Å), and the row's force (``row.forces``, ``row.fmax``) is the force on the fixed
mobile atom after the host relaxed, i.e. minus the gradient of ``energy`` in its position.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from ase import Atom, Atoms

from ..errors import ConvergenceError, InputError
from ..geometry import wrap_positions
from .dataset import HOST, ORIGINS, POINT
from .points import DEFAULT_MIN_DISTANCE, check_points, grid_points, random_points

__all__ = [
    "relax_insertion",
    "relax_host",
    "run_reference",
    "run_network_reference",
    "RunSummary",
    "OPTIMIZERS",
    "existing_point_ids",
    "merge_databases",
    "labelled_atoms",
    "find_host_row",
]

#: Optimisers by name (ASE classes).
OPTIMIZERS = ("BFGS", "LBFGS", "FIRE")
DEFAULT_OPTIMIZER = "BFGS"
DEFAULT_MAX_STEPS = 300


def _optimizer(name: str):
    from ase import optimize

    key = name.upper()
    if key not in OPTIMIZERS:
        raise InputError(f"unknown optimiser {name!r}; expected one of {list(OPTIMIZERS)}")
    return getattr(optimize, key)


def _mic_vectors(cell: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    from ase.geometry import find_mic

    v, _ = find_mic(vectors, cell, pbc=True)
    return v


def relax_insertion(
    host: Atoms,
    position: np.ndarray,
    calculator: Any,
    *,
    species: str = "Cu",
    fmax: float = 0.05,
    max_steps: int = DEFAULT_MAX_STEPS,
    relax_radius: float | None = None,
    optimizer: str = DEFAULT_OPTIMIZER,
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

    Returns
    -------
    dict
        ``energy`` (total, eV), ``fmax`` (largest force on a free host atom at the end, eV/Å),
        ``steps``, ``converged`` (bool), ``max_displacement`` (largest host displacement, Å),
        ``seconds`` (wall time), ``position`` (wrapped, Å), ``force`` (force on the mobile atom,
        eV/Å, shape (3,)).

    Raises
    ------
    ConvergenceError
        The calculator returned a non-finite energy or force.
    """
    from ase.constraints import FixAtoms

    t0 = time.perf_counter()
    opt_cls = _optimizer(optimizer)
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
            _mic_vectors(np.asarray(atoms.cell), start - atoms.positions[n_host]), axis=1
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
    disp = _mic_vectors(np.asarray(atoms.cell), atoms.positions[:n_host] - start)
    return {
        "energy": energy,
        "fmax": fm,
        "steps": int(steps),
        "converged": bool(fm <= fmax),
        "max_displacement": float(np.linalg.norm(disp, axis=1).max()),
        "seconds": time.perf_counter() - t0,
        "position": atoms.positions[n_host].copy(),
        "force": forces[n_host].copy(),
    }


def relax_host(
    host: Atoms,
    calculator: Any,
    *,
    fmax: float = 0.05,
    max_steps: int = 1000,
    optimizer: str = DEFAULT_OPTIMIZER,
) -> tuple[Atoms, float, dict[str, Any]]:
    """Relax the host alone (positions, fixed cell) and return it with its energy ``e_host`` (eV).

    Returns
    -------
    host : ase.Atoms
        Relaxed copy (no calculator attached).
    e_host : float
        eV.
    info : dict
        ``fmax``, ``steps``, ``converged``, ``seconds``.

    Raises
    ------
    ConvergenceError
        Non-finite energy.
    """
    t0 = time.perf_counter()
    atoms = host.copy()
    atoms.set_constraint()
    atoms.calc = calculator
    opt = _optimizer(optimizer)(atoms, logfile=None)
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


# --------------------------------------------------------------------------------------------
# workers: one calculator per process, built once
# --------------------------------------------------------------------------------------------

_WORKER = threading.local()  # one calculator per thread: calculators are not thread-safe


def _calc_key(name: str, kwargs: dict[str, Any]) -> str:
    return name + "|" + json.dumps(kwargs, sort_keys=True)


def _worker_calculator(name: str, kwargs: dict[str, Any]) -> Any:
    from ..calculators import get_calculator

    key = _calc_key(name, kwargs)
    if getattr(_WORKER, "key", None) != key:
        _WORKER.calc = get_calculator(name, **kwargs)
        _WORKER.key = key
    return _WORKER.calc


def _worker_threads(workers: int) -> int:
    """Torch threads per local worker process: the cores shared out, at least one."""
    return max(1, (os.cpu_count() or 1) // max(1, int(workers)))


def _init_worker(threads: int) -> None:
    """Start of a local worker process: its share of the cores for torch's intra-op threads.

    Without it every worker runs as many threads as the machine has cores; with 2 workers on 2
    cores that made each CHGNet relaxation 8x slower than alone (measured), instead of 2x.
    The worker also ends itself when its parent is gone (:func:`_exit_with_parent`).
    """
    import torch

    _exit_with_parent()
    torch.set_num_threads(int(threads))


def _exit_with_parent(poll: float = 0.5) -> None:
    """End this worker process as soon as the process that started it is gone.

    A parent killed by a signal runs no clean-up: the workers of its process pool were re-parented
    and went on relaxing their queued points (seen: two CHGNet workers of a study stopped with
    SIGTERM still computing 9 min later). A daemon thread polls ``os.getppid()`` every ``poll``
    seconds and calls ``os._exit`` when it changed. Points already finished were written by the
    parent; the one a worker was computing is computed again on resume.
    """
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll)
        os._exit(1)

    threading.Thread(target=watch, name="landscape-parent-watch", daemon=True).start()


def _cap_gpu_memory(fraction: float | None) -> None:
    """Limit this process's share of GPU memory (no-op without CUDA or without a fraction)."""
    if not fraction:
        return
    import torch

    if torch.cuda.is_available():
        torch.cuda.set_per_process_memory_fraction(float(fraction))


def _compute_point(task: dict[str, Any]) -> dict[str, Any]:
    """Run one point; never raises (a failure comes back as a record)."""
    pid = task["point_id"]
    if task.get("gpu_memory_fraction") and not _WORKER.__dict__.get("capped"):
        _cap_gpu_memory(task["gpu_memory_fraction"])
        _WORKER.capped = True
    t0 = time.perf_counter()
    try:
        calc = task.get("calculator_object")
        if calc is None:
            calc = _worker_calculator(task["calculator"], task["calculator_kwargs"])
        res = relax_insertion(
            task["host"],
            task["position"],
            calc,
            species=task["species"],
            fmax=task["fmax"],
            max_steps=task["max_steps"],
            relax_radius=task["relax_radius"],
            optimizer=task["optimizer"],
        )
        res["status"] = "ok"
    except Exception as exc:  # any calculator failure becomes a failed-point record
        text = str(exc).strip().splitlines()
        res = {
            "status": "failed",
            "error": f"{type(exc).__name__}: {text[0] if text else ''}"[:300],
            "seconds": time.perf_counter() - t0,
            "position": np.asarray(task["position"], dtype=float),
        }
    res["point_id"] = pid
    return res


# --------------------------------------------------------------------------------------------
# the database
# --------------------------------------------------------------------------------------------


def open_reference_db(path: str | Path) -> Any:
    """The ASE database at ``path`` for writing reference rows; a new one is created atomically.

    ASE creates its SQLite tables one statement at a time on first use, so a run killed during
    that left a file that no later run could open (``no such table: information``). A new database
    is therefore made complete under a temporary name beside ``path`` and linked into place
    (``os.link`` does not overwrite a database that another process made meanwhile). A file left
    incomplete that way (or empty) holds no rows (rows are written only after the schema is
    committed), so it is replaced by a complete empty one.

    Raises
    ------
    InputError
        ``path`` has an incomplete schema but holds rows.
    """
    import sqlite3

    from ase.db import connect

    path = Path(path)
    if path.is_dir():
        raise InputError(f"reference database {str(path)!r} is a folder; expected a file path")
    state = "missing" if not path.exists() else "incomplete"  # an empty file holds no rows
    if path.exists() and path.stat().st_size > 0:
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
                state = "incomplete"
            elif "systems" not in tables:  # ASE would add its tables to another program's file
                raise InputError(
                    f"reference database {str(path)!r} is an SQLite file of another program "
                    f"(tables {sorted(tables)}); expected an ASE database or a new path"
                )
            elif versioned:
                state = "complete"
            elif con.execute("SELECT COUNT(*) FROM systems").fetchone()[0]:
                raise InputError(
                    f"reference database {str(path)!r} has rows but an incomplete schema (no "
                    "version in its table 'information'); expected an ASE database"
                )
            else:
                state = "incomplete"
        finally:
            con.close()
    path.parent.mkdir(parents=True, exist_ok=True)
    if state != "complete":
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.unlink(missing_ok=True)
        try:
            connect(str(tmp), type="db").count()  # creates and commits every table
            if state == "incomplete":
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
    return connect(str(path))


def existing_point_ids(db: Any, sample_id: str, *, ok_only: bool = False) -> set[int]:
    """``point_id`` values already written for ``sample_id`` (any status, or only ``"ok"``)."""
    sel = {"status": "ok"} if ok_only else {}
    return {int(r.point_id) for r in db.select(kind=POINT, sample_id=sample_id, **sel)}


def _check_same_points(
    db: Any, sample_id: str, pts: np.ndarray, first_id: int, cell: np.ndarray
) -> None:
    """A resumed run must ask for the points already stored under its ids (InputError if not)."""
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
    off = np.linalg.norm(_mic_vectors(cell, stored - pts[k]), axis=1)
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


def find_host_row(db: Any, sample_id: str, label: str) -> Any | None:
    """The relaxed-host row of ``sample_id`` by calculator ``label`` (any case), or None."""
    for row in db.select(kind=HOST, sample_id=sample_id):
        if str(row.get("calculator", "")).lower() == label.lower():
            return row
    return None


def _write_point(
    db: Any, host: Atoms, sample_id: str, species: str, res: dict[str, Any], meta: dict[str, Any]
) -> None:
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


@dataclass
class RunSummary:
    """What :func:`run_reference` did.

    Attributes
    ----------
    sample_id : str
    requested : int
        Points asked for.
    skipped : int
        Already in the database (resumed).
    done : int
        Points computed successfully in this run.
    failed : int
        Points recorded as failed in this run.
    e_host : float
        eV.
    seconds : float
        Wall time of this run.
    seconds_per_point : float
        Mean wall time per point computed in this run (``nan`` if none).
    """

    sample_id: str
    requested: int
    skipped: int
    done: int = 0
    failed: int = 0
    e_host: float = float("nan")
    seconds: float = 0.0
    seconds_per_point: float = float("nan")
    point_seconds: list[float] = field(default_factory=list)


def run_reference(
    sample: Atoms | str | Path,
    db_path: str | Path,
    *,
    n_points: int | None = None,
    positions: np.ndarray | None = None,
    grid_spacing: float | None = None,
    species: str = "Cu",
    calculator: str | Any = "chgnet",
    calculator_kwargs: dict[str, Any] | None = None,
    seed: int = 0,
    min_distance: float = DEFAULT_MIN_DISTANCE,
    fmax: float = 0.05,
    max_steps: int = DEFAULT_MAX_STEPS,
    relax_radius: float | None = None,
    optimizer: str = DEFAULT_OPTIMIZER,
    workers: int = 1,
    batch: int = 1,
    scheduler: str | Any | None = None,
    cluster: dict[str, Any] | None = None,
    shard: tuple[int, int] | None = None,
    time_limit: float | None = None,
    retry_failed: bool = False,
    gpu_memory_fraction: float | None = None,
    progress: bool = False,
    callback: Callable[[dict[str, Any]], None] | None = None,
    first_id: int = 0,
    origin: str | None = None,
) -> RunSummary:
    """Compute reference energies of the mobile atom at many points; resumable.

    Parameters
    ----------
    sample : ase.Atoms, str or Path
        The host (an Atoms with ``info["sample_id"]``, a bundled sample's name or a file).
    db_path : str or Path
        The ASE database to write (created if missing; resumed if it exists).
    n_points : int, optional
        Uniform random points (``seed``; point ``k`` is the same for any ``n_points > k``).
    positions : array_like, shape (n, 3), optional
        User-given positions, Å (a point inside a host atom is an :class:`InputError`).
    grid_spacing : float, optional
        Points of a grid with this spacing, Å.
    species : str
        Mobile species.
    calculator : str or Calculator
        A name for :func:`landscape.reference.get_calculator` (``"chgnet"``, ``"cp2k"``,
        ``"module:Class"``...) or, with ``workers=1`` and no scheduler, a calculator object.
    calculator_kwargs : dict, optional
        Keyword arguments of the calculator (recorded in every row, except ``use_device``).
    seed : int
        Seed of the random points.
    min_distance : float
        Minimum distance of a point to any host atom, Å.
    fmax : float
        Force criterion of every relaxation, eV/Å.
    max_steps : int
        Step limit of every relaxation.
    relax_radius : float, optional
        Only host atoms within this distance of the mobile atom relax, Å.
    optimizer : str
        ``"BFGS"`` (default), ``"LBFGS"`` or ``"FIRE"``.
    workers : int
        Local worker processes (1: this process).
    batch : int
        Relaxations run concurrently in each worker, sharing one batched calculator call per
        optimiser step (:mod:`landscape.reference.batched`; pays off on a GPU).
    scheduler : str or distributed.Client, optional
        A Dask scheduler address or client; the points run as Dask tasks.
    cluster : dict, optional
        A dask-jobqueue cluster: ``{"type": "slurm"|"pbs"|..., "jobs": n, **cluster kwargs}``.
    shard : (int, int), optional
        ``(i, n)``: only the points with ``point_id % n == i`` (split one set over machines).
    time_limit : float, optional
        Stop taking results after this many seconds (wall time of the run); points in flight
        are dropped, not written, and a re-run computes them.
    retry_failed : bool
        Compute again the points recorded as failed (their failed row is replaced).
    gpu_memory_fraction : float, optional
        Cap on the GPU memory of each worker process (fraction of the device), so that many
        processes sharing one GPU cannot starve each other.
    progress : bool
        Show a progress bar.
    callback : callable, optional
        Called with each finished point's record (after it was written).
    first_id : int
        ``point_id`` of the first point (point ``k`` gets ``first_id + k``), so that several point
        sets (other seeds, another ``min_distance``) can share one database; give the same value
        again to resume.
    origin : str, optional
        How the points were chosen, recorded in every row (``origin``): default ``"random"``,
        ``"grid"`` or ``"given"`` by the point source; ``"network"`` marks points taken from a hop
        network (sites and saddles, :func:`landscape.explore.network_points`), which
        :meth:`landscape.nnp.SimplifiedNNP.fit` trains on but never tests on.

    Returns
    -------
    RunSummary

    Raises
    ------
    InputError
        No or several point sources, bad parameters, a point inside a host atom, an unknown
        calculator.
    ConvergenceError
        The host alone could not be evaluated.
    """

    from ..calculators import calculator_info
    from ..samples import load_sample

    t_start = time.perf_counter()
    host = sample if isinstance(sample, Atoms) else load_sample(sample)
    sample_id = str(host.info.get("sample_id", "sample"))
    sources = [x is not None for x in (n_points, positions, grid_spacing)]
    if sum(sources) != 1:
        raise InputError("give exactly one of n_points, positions or grid_spacing")
    if fmax <= 0 or max_steps < 1:
        raise InputError(f"fmax must be > 0 eV/Å and max_steps >= 1, got {fmax}, {max_steps}")
    if relax_radius is not None and relax_radius <= 0:
        raise InputError(f"relax_radius must be positive (Å), got {relax_radius}")
    if workers < 1 or batch < 1:
        raise InputError(f"workers and batch must be >= 1, got {workers}, {batch}")
    from .._checks import check_species

    check_species(species, "species")
    _optimizer(optimizer)
    if isinstance(calculator, str):
        from ..calculators import KNOWN_CALCULATORS

        if calculator.strip().lower() not in KNOWN_CALCULATORS and ":" not in calculator:
            raise InputError(
                f"unknown calculator {calculator!r}; expected one of {list(KNOWN_CALCULATORS)} "
                "or 'module:Class'"
            )
    kind = "random" if n_points is not None else "grid" if grid_spacing is not None else "given"
    origin = kind if origin is None else str(origin)
    if origin not in ORIGINS:
        raise InputError(f"origin must be one of {list(ORIGINS)}, got {origin!r}")
    if n_points is not None:
        pts = random_points(host, int(n_points), seed=seed, min_distance=min_distance)
    elif grid_spacing is not None:
        pts = grid_points(host, grid_spacing, min_distance=min_distance)
    else:
        pts = check_points(host, positions, min_distance=min_distance)

    kw = dict(calculator_kwargs or {})
    if isinstance(calculator, str):
        name = calculator
        meta = calculator_info(name, kw)
        calc_obj = None
    else:
        if workers > 1 or scheduler is not None or cluster is not None:
            raise InputError("a calculator object runs only in this process; give its name instead")
        calc_obj = calculator
        name = f"{type(calculator).__module__}:{type(calculator).__name__}"
        meta = calculator_info(name, getattr(calculator, "parameters", None) or {})

    # elements the calculator cannot handle: refused before the database is created
    from ..calculators import check_elements

    in_process = calc_obj is not None or (":" in name and workers == 1 and scheduler is None)
    probe = (
        calc_obj if calc_obj is not None else _worker_calculator(name, kw) if in_process else None
    )
    check_elements(probe, [*host.get_chemical_symbols(), species], name)

    db = open_reference_db(db_path)

    # the host alone: once per sample and calculator
    row = find_host_row(db, sample_id, meta["calculator"])
    if row is not None:
        e_host = float(row.e_host)
        relaxed = row.toatoms()
        relaxed.calc = None
    else:
        calc_here = calc_obj if calc_obj is not None else _worker_calculator(name, kw)
        relaxed, e_host, hinfo = relax_host(
            host, calc_here, fmax=fmax, max_steps=max(max_steps, 1000), optimizer=optimizer
        )
        hrow = labelled_atoms(relaxed.copy(), meta["calculator"], e_host)
        db.write(
            hrow,
            kind=HOST,
            sample_id=sample_id,
            e_host=e_host,
            calculator_label=meta["calculator"],
            calculator_version=meta["calculator_version"],
            calculator_params=meta["calculator_params"],
            relax_fmax=hinfo["fmax"],
            steps=hinfo["steps"],
            converged=bool(hinfo["converged"]),
            seconds=round(hinfo["seconds"], 3),
        )
    relaxed.info["sample_id"] = sample_id

    done_ids = existing_point_ids(db, sample_id, ok_only=retry_failed)
    if first_id < 0:
        raise InputError(f"first_id must be >= 0, got {first_id}")
    _check_same_points(db, sample_id, pts, first_id, np.asarray(relaxed.cell))
    todo = [
        k
        for k in range(len(pts))
        if first_id + k not in done_ids and (shard is None or k % shard[1] == shard[0])
    ]
    wanted = (
        len(pts) if shard is None else sum(1 for k in range(len(pts)) if k % shard[1] == shard[0])
    )
    summary = RunSummary(sample_id, requested=wanted, skipped=wanted - len(todo), e_host=e_host)
    wmeta = dict(meta)
    wmeta.update(
        e_host=e_host,
        target_fmax=float(fmax),
        max_steps=int(max_steps),
        optimizer=optimizer.upper(),
        relax_radius=relax_radius,
        seed=int(seed),
        min_distance=float(min_distance),
        origin=origin,
    )
    base = {
        "host": relaxed,
        "species": species,
        "fmax": float(fmax),
        "max_steps": int(max_steps),
        "relax_radius": relax_radius,
        "optimizer": optimizer,
        "calculator": name,
        "calculator_kwargs": kw,
    }
    tasks = [dict(base, point_id=first_id + k, position=pts[k]) for k in todo]

    from tqdm import tqdm

    bar = tqdm(total=len(tasks), desc=f"{sample_id} points", disable=not progress)
    for t in tasks:
        t["gpu_memory_fraction"] = gpu_memory_fraction
    if batch > 1 and scheduler is None and cluster is None:
        results = _execute_batched(tasks, calc_obj, workers, batch)
    else:
        results = _execute(tasks, calc_obj, workers, scheduler, cluster)
    for res in results:
        if retry_failed:
            stale = [
                r.id for r in db.select(kind=POINT, sample_id=sample_id, point_id=res["point_id"])
            ]
            if stale:
                db.delete(stale)
        _write_point(db, relaxed, sample_id, species, res, wmeta)
        if res["status"] == "ok":
            summary.done += 1
        else:
            summary.failed += 1
        summary.point_seconds.append(float(res["seconds"]))
        bar.update(1)
        if callback is not None:
            callback(res)
        if time_limit is not None and time.perf_counter() - t_start > time_limit:
            break
    if hasattr(results, "close"):
        results.close()  # stops worker processes of an interrupted run
    bar.close()
    summary.seconds = time.perf_counter() - t_start
    n = summary.done + summary.failed
    if n:
        summary.seconds_per_point = summary.seconds / n
    return summary


def run_network_reference(
    host: Atoms,
    network: Any,
    db_path: str | Path,
    *,
    min_distance: float | None = None,
    **kwargs: Any,
) -> RunSummary:
    """Reference energies at the sites and saddle points of a hop network (``origin =
    "network"``): :func:`run_reference` at :func:`landscape.explore.network_points`.

    Parameters
    ----------
    host : ase.Atoms
        The network's sample (``info["sample_id"]`` must match the network's, when it has one).
    network : networkx.MultiDiGraph, str or Path
        Hop network of :func:`landscape.explore.find_hops` (positions in Å), or its node-link JSON
        file (``landscape explore --out``).
    db_path : str or Path
        The ASE database to write (resumed if it exists).
    min_distance : float, optional
        Å, closest a point may be to a host atom; default ``DEFAULTS.min_host_distance``, where
        the site search looked (its sites are no closer).
    **kwargs
        Passed to :func:`run_reference` (``first_id``, calculator, relaxation settings, ...).
    """
    from ..config import DEFAULTS
    from ..contracts import load_network, network_points

    name = "the network"
    if isinstance(network, str | Path):
        name, network = f"network {str(network)!r}", load_network(network)
    sid = str(host.info.get("sample_id", "sample"))
    if network.graph.get("sample_id") not in (None, sid):
        raise InputError(f"{name} is of sample {network.graph['sample_id']!r}, not {sid!r}")
    positions, _ = network_points(network)
    return run_reference(
        host,
        db_path,
        positions=positions,
        origin="network",
        min_distance=DEFAULTS.min_host_distance if min_distance is None else min_distance,
        **kwargs,
    )


def _execute(
    tasks: list[dict[str, Any]],
    calc_obj: Any,
    workers: int,
    scheduler: str | Any | None,
    cluster: dict[str, Any] | None,
) -> Iterator[dict[str, Any]]:
    """Yield finished point records, in completion order."""
    if not tasks:
        return
    if scheduler is not None or cluster is not None:
        yield from _execute_dask(tasks, scheduler, cluster)
        return
    if workers == 1:
        for t in tasks:
            if calc_obj is not None:
                t = dict(t, calculator_object=calc_obj)
            yield _compute_point(t)
        return
    import multiprocessing as mp
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    ctx = mp.get_context("spawn")  # torch in the parent makes fork unsafe
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=ctx,
        initializer=_init_worker,
        initargs=(_worker_threads(workers),),
    ) as pool:
        pending = set()
        it = iter(tasks)
        for t in it:
            pending.add(pool.submit(_compute_point, t))
            if len(pending) >= 2 * workers:
                break
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                yield fut.result()
                nxt = next(it, None)
                if nxt is not None:
                    pending.add(pool.submit(_compute_point, nxt))


def _execute_batched(
    tasks: list[dict[str, Any]], calc_obj: Any, workers: int, batch: int
) -> Iterator[dict[str, Any]]:
    """Yield finished records; ``workers`` processes (or this one) each run ``batch`` at once."""
    import queue
    import threading

    from .batched import run_batched

    if not tasks:
        return
    if workers == 1:
        calc = calc_obj
        if calc is None:
            calc = _worker_calculator(tasks[0]["calculator"], tasks[0]["calculator_kwargs"])
        lock = threading.Lock()
        todo = list(reversed(tasks))
        out: queue.Queue = queue.Queue()

        def get() -> dict[str, Any] | None:
            with lock:
                return todo.pop() if todo else None

        def serve() -> None:
            try:
                run_batched(get, out.put, calc, batch, _compute_point)
            finally:
                out.put(None)

        th = threading.Thread(target=serve, daemon=True)
        th.start()
        while True:
            res = out.get()
            if res is None:
                break
            yield res
        th.join()
        return
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    task_q = ctx.Queue()
    result_q = ctx.Queue()
    for t in tasks:
        task_q.put(t)
    for _ in range(workers * batch):
        task_q.put(None)
    procs = [
        ctx.Process(
            target=_batched_worker,
            args=(
                task_q,
                result_q,
                tasks[0]["calculator"],
                tasks[0]["calculator_kwargs"],
                batch,
                tasks[0].get("gpu_memory_fraction"),
                _worker_threads(workers),
            ),
            daemon=True,
        )
        for _ in range(workers)
    ]
    for p in procs:
        p.start()
    seen: set[int] = set()
    try:
        while len(seen) < len(tasks):
            try:
                res = result_q.get(timeout=5.0)
            except queue.Empty:
                if not any(p.is_alive() for p in procs):
                    break
                continue
            seen.add(int(res["point_id"]))
            yield res
    finally:
        for p in procs:
            if p.is_alive():
                p.terminate()
        for p in procs:
            p.join(timeout=5)


def _batched_worker(
    task_q: Any,
    result_q: Any,
    name: str,
    kwargs: dict[str, Any],
    batch: int,
    fraction=None,
    threads: int | None = None,
) -> None:
    from .batched import run_batched

    if threads is not None:
        _init_worker(threads)
    else:
        _exit_with_parent()
    _cap_gpu_memory(fraction)
    calc = _worker_calculator(name, kwargs)
    run_batched(task_q.get, result_q.put, calc, batch, _compute_point)


def _execute_dask(
    tasks: list[dict[str, Any]], scheduler: str | Any | None, cluster: dict[str, Any] | None
) -> Iterator[dict[str, Any]]:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise InputError(
            "Dask execution needs dask.distributed: pip install 'landscape[dask]'"
        ) from None
    own_client = False
    own_cluster = None
    if scheduler is not None and not isinstance(scheduler, str):
        client = scheduler
    elif scheduler is not None:
        client = Client(scheduler)
        own_client = True
    else:
        own_cluster = _jobqueue_cluster(cluster or {})
        client = Client(own_cluster)
        own_client = True
    try:
        host = client.scatter(tasks[0]["host"], broadcast=True)
        futures = [
            client.submit(_compute_point_dask, dict(t, host=None), host, pure=False) for t in tasks
        ]
        for fut in as_completed(futures):
            yield fut.result()
    finally:
        if own_client:
            client.close()
        if own_cluster is not None:
            own_cluster.close()


def _compute_point_dask(task: dict[str, Any], host: Atoms) -> dict[str, Any]:
    return _compute_point(dict(task, host=host))


def _jobqueue_cluster(spec: dict[str, Any]) -> Any:
    """A dask-jobqueue cluster from ``{"type": "slurm", "jobs": n, **kwargs}``."""
    spec = dict(spec)
    kind = str(spec.pop("type", "")).lower()
    jobs = int(spec.pop("jobs", 1))
    try:
        import dask_jobqueue
    except ImportError:
        raise InputError("a cluster needs dask-jobqueue: pip install 'landscape[dask]'") from None
    classes = {
        "slurm": "SLURMCluster",
        "pbs": "PBSCluster",
        "sge": "SGECluster",
        "lsf": "LSFCluster",
        "htcondor": "HTCondorCluster",
        "local": None,
    }
    if kind not in classes:
        raise InputError(f"unknown cluster type {kind!r}; expected one of {sorted(classes)}")
    if kind == "local":
        from distributed import LocalCluster

        return LocalCluster(n_workers=jobs, threads_per_worker=1, **spec)
    cluster = getattr(dask_jobqueue, classes[kind])(**spec)
    cluster.scale(jobs=jobs)
    return cluster


# --------------------------------------------------------------------------------------------
# merging databases (e.g. shards made on several machines)
# --------------------------------------------------------------------------------------------


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
