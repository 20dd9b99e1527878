"""Reference energies: relax the host around a fixed mobile atom, point after point, resumably.

:func:`run_reference` relaxes the host around the mobile atom at many points
(:class:`~landscape.reference.settings.InsertionPoints`) and writes each finished point at once as
one row of an ASE database (:mod:`landscape.reference.database`). The relaxed host alone is
computed once per sample and calculator. A re-run resumes: points whose ``point_id`` is already in
the database are skipped, never written twice. A point whose calculation raises (or returns a
non-finite energy) is written with ``status="failed"`` and its one-line reason; the other points
go on. Where the relaxations run is :class:`~landscape.reference.settings.Execution`
(:mod:`landscape.reference.execution`); the main process is the only writer of the database.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from ase import Atoms

from ..errors import InputError
from .database import (
    check_one_method,
    check_same_points,
    existing_point_ids,
    find_host_row,
    open_reference_db,
    write_host_row,
    write_point,
)
from .dataset import ORIGINS, POINT
from .execution import execute, execute_batched
from .points import check_points, grid_points, random_points
from .relax import HOST_ALONE_MAX_STEPS, optimizer_class, relax_host
from .settings import Execution, InsertionPoints, Relaxation
from .worker import worker_calculator

__all__ = ["run_reference", "run_network_reference", "RunSummary"]


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
    point_seconds : list of float
        Wall time of each point computed in this run, s, in completion order.
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


@dataclass(frozen=True)
class _Calculator:
    """The run's calculator: its ``name`` (or ``module:Class`` of an object), keyword arguments,
    the record written into every row (``meta``) and the object itself when one was given."""

    name: str
    kwargs: dict[str, Any]
    meta: dict[str, Any]
    obj: Any = None

    def here(self) -> Any:
        """The calculator in this process: the given object, or this thread's named one."""
        return self.obj if self.obj is not None else worker_calculator(self.name, self.kwargs)


def run_reference(
    sample: Atoms | str | Path,
    db_path: str | Path,
    points: InsertionPoints,
    *,
    species: str = "Cu",
    calculator: str | Any = "chgnet",
    calculator_kwargs: dict[str, Any] | None = None,
    relaxation: Relaxation = Relaxation(),
    execution: Execution = Execution(),
    retry_failed: bool = False,
    progress: bool = False,
    callback: Callable[[dict[str, Any]], None] | None = None,
) -> RunSummary:
    """Compute reference energies of the mobile atom at many points; resumable.

    Parameters
    ----------
    sample : ase.Atoms, str or Path
        The host (an Atoms with ``info["sample_id"]``, a bundled sample's name or a file).
    db_path : str or Path
        The ASE database to write (created if missing; resumed if it exists).
    points : InsertionPoints
        Where the mobile atom goes (random points, a grid or given positions; seed, minimum
        distance to the host, ids, origin).
    species : str
        Mobile species.
    calculator : str or Calculator
        A name for :func:`landscape.reference.get_calculator` (``"chgnet"``, ``"cp2k"``,
        ``"module:Class"``...) or, with one worker and no scheduler, a calculator object.
    calculator_kwargs : dict, optional
        Keyword arguments of the calculator (recorded in every row, except ``use_device``).
    relaxation : Relaxation
        Force criterion (eV/Å), step limit, optimiser and relaxation radius (Å).
    execution : Execution
        Workers, batch, Dask scheduler or cluster, GPU memory cap, shard and time limit.
    retry_failed : bool
        Compute again the points recorded as failed (their failed row is replaced).
    progress : bool
        Show a progress bar.
    callback : callable, optional
        Called with each finished point's record (after it was written).

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

    Examples
    --------
    >>> from landscape.reference import InsertionPoints, Relaxation
    >>> run_reference("a-Ta2O5-1a", "ref.db", InsertionPoints(n_points=2),
    ...               relaxation=Relaxation(relax_radius=5.0))  # doctest: +SKIP
    """
    from ..samples import load_sample

    t_start = time.perf_counter()
    host = sample if isinstance(sample, Atoms) else load_sample(sample)
    sample_id = str(host.info.get("sample_id", "sample"))
    _check_request(points, relaxation, execution, species, calculator)
    origin = points.source if points.origin is None else str(points.origin)
    if origin not in ORIGINS:
        raise InputError(f"origin must be one of {list(ORIGINS)}, got {origin!r}")
    pts = _positions(host, points)
    calc = _resolve_calculator(calculator, calculator_kwargs, execution)
    _check_elements(calc, execution, host, species)

    db = open_reference_db(db_path)
    check_one_method(db, db_path, calc.meta["calculator"])
    relaxed, e_host = _relaxed_host(db, host, sample_id, calc, relaxation)
    relaxed.info["sample_id"] = sample_id
    done_ids = existing_point_ids(db, sample_id, ok_only=retry_failed)
    if points.first_id < 0:
        raise InputError(f"first_id must be >= 0, got {points.first_id}")
    check_same_points(db, sample_id, pts, points.first_id, np.asarray(relaxed.cell))
    todo, wanted = _todo(len(pts), points.first_id, done_ids, execution.shard)
    summary = RunSummary(sample_id, requested=wanted, skipped=wanted - len(todo), e_host=e_host)
    meta = _row_meta(calc, e_host, relaxation, points, origin)
    tasks = _tasks(relaxed, species, calc, relaxation, execution, points.first_id, pts, todo)

    from tqdm import tqdm

    bar = tqdm(total=len(tasks), desc=f"{sample_id} points", disable=not progress)
    if execution.batch > 1 and not execution.distributed:
        results = execute_batched(tasks, calc.obj, execution.workers, execution.batch)
    else:
        results = execute(
            tasks, calc.obj, execution.workers, execution.scheduler, execution.cluster
        )
    for res in results:
        _store(db, relaxed, sample_id, species, res, meta, retry_failed, summary)
        bar.update(1)
        if callback is not None:
            callback(res)
        if (
            execution.time_limit is not None
            and time.perf_counter() - t_start > execution.time_limit
        ):
            break
    if hasattr(results, "close"):
        results.close()  # stops worker processes of an interrupted run
    bar.close()
    summary.seconds = time.perf_counter() - t_start
    n = summary.done + summary.failed
    if n:
        summary.seconds_per_point = summary.seconds / n
    return summary


def _check_request(
    points: InsertionPoints,
    relaxation: Relaxation,
    execution: Execution,
    species: str,
    calculator: str | Any,
) -> None:
    """One-line :class:`InputError` for a bad argument of :func:`run_reference`, before any work
    (the point source, the relaxation, the workers, the species, the optimiser, the calculator)."""
    from .._checks import check_species

    sources = [x is not None for x in (points.n_points, points.positions, points.grid_spacing)]
    if sum(sources) != 1:
        raise InputError("give exactly one of n_points, positions or grid_spacing")
    fmax, max_steps = relaxation.fmax, relaxation.max_steps
    if fmax <= 0 or max_steps < 1:
        raise InputError(f"fmax must be > 0 eV/Å and max_steps >= 1, got {fmax}, {max_steps}")
    if relaxation.relax_radius is not None and relaxation.relax_radius <= 0:
        raise InputError(f"relax_radius must be positive (Å), got {relaxation.relax_radius}")
    if execution.workers < 1 or execution.batch < 1:
        raise InputError(
            f"workers and batch must be >= 1, got {execution.workers}, {execution.batch}"
        )
    check_species(species, "species")
    optimizer_class(relaxation.optimizer)
    if isinstance(calculator, str):
        from ..calculators import KNOWN_CALCULATORS

        if calculator.strip().lower() not in KNOWN_CALCULATORS and ":" not in calculator:
            raise InputError(
                f"unknown calculator {calculator!r}; expected one of {list(KNOWN_CALCULATORS)} "
                "or 'module:Class'"
            )


def _positions(host: Atoms, points: InsertionPoints) -> np.ndarray:
    """The Cartesian positions (n, 3), Å, of the run's points, in ``point_id`` order."""
    if points.n_points is not None:
        return random_points(
            host, int(points.n_points), seed=points.seed, min_distance=points.min_distance
        )
    if points.grid_spacing is not None:
        return grid_points(host, points.grid_spacing, min_distance=points.min_distance)
    return check_points(host, points.positions, min_distance=points.min_distance)


def _resolve_calculator(
    calculator: str | Any, calculator_kwargs: dict[str, Any] | None, execution: Execution
) -> _Calculator:
    """The run's calculator from a name (with keyword arguments) or an object.

    Raises
    ------
    InputError
        A calculator object with more than one worker or on Dask; a named calculator whose
        program is missing (CP2K).
    """
    from ..calculators import calculator_info, check_calculator_available

    kw = dict(calculator_kwargs or {})
    if isinstance(calculator, str):
        check_calculator_available(calculator, kw)  # e.g. CP2K not installed: before any work
        return _Calculator(calculator, kw, calculator_info(calculator, kw))
    if execution.workers > 1 or execution.distributed:
        raise InputError("a calculator object runs only in this process; give its name instead")
    name = f"{type(calculator).__module__}:{type(calculator).__name__}"
    meta = calculator_info(name, getattr(calculator, "parameters", None) or {})
    return _Calculator(name, kw, meta, calculator)


def _check_elements(calc: _Calculator, execution: Execution, host: Atoms, species: str) -> None:
    """Refuse elements the calculator cannot handle, before the database is created (probing a
    calculator that runs in this process; a named built-in one knows its elements itself)."""
    from ..calculators import check_elements

    in_process = calc.obj is not None or (
        ":" in calc.name and execution.workers == 1 and execution.scheduler is None
    )
    probe = calc.here() if in_process else None
    check_elements(probe, [*host.get_chemical_symbols(), species], calc.name)


def _relaxed_host(
    db: Any, host: Atoms, sample_id: str, calc: _Calculator, relaxation: Relaxation
) -> tuple[Atoms, float]:
    """The relaxed host and ``e_host`` (eV): from the database's host row of this sample and
    calculator, or relaxed here (at least ``HOST_ALONE_MAX_STEPS`` steps) and written as it."""
    row = find_host_row(db, sample_id, calc.meta["calculator"])
    if row is not None:
        relaxed = row.toatoms()
        relaxed.calc = None
        return relaxed, float(row.e_host)
    relaxed, e_host, info = relax_host(
        host,
        calc.here(),
        fmax=relaxation.fmax,
        max_steps=max(relaxation.max_steps, HOST_ALONE_MAX_STEPS),
        optimizer=relaxation.optimizer,
    )
    write_host_row(db, relaxed, sample_id, e_host, calc.meta, info)
    return relaxed, e_host


def _row_meta(
    calc: _Calculator,
    e_host: float,
    relaxation: Relaxation,
    points: InsertionPoints,
    origin: str,
) -> dict[str, Any]:
    """What every point row of the run records besides its own result: the calculator's record,
    ``e_host`` (eV), the relaxation settings, the points' seed, ``min_distance`` (Å), origin."""
    meta = dict(calc.meta)
    meta.update(
        e_host=e_host,
        target_fmax=float(relaxation.fmax),
        max_steps=int(relaxation.max_steps),
        optimizer=relaxation.optimizer.upper(),
        relax_radius=relaxation.relax_radius,
        seed=int(points.seed),
        min_distance=float(points.min_distance),
        origin=origin,
    )
    return meta


def _todo(
    n: int, first_id: int, done_ids: set[int], shard: tuple[int, int] | None
) -> tuple[list[int], int]:
    """Indices ``k`` of the ``n`` points still to compute (id ``first_id + k`` not done, in this
    shard), and how many points the shard asks for."""
    mine = [k for k in range(n) if shard is None or k % shard[1] == shard[0]]
    todo = [k for k in mine if first_id + k not in done_ids]
    return todo, len(mine)


def _tasks(
    relaxed: Atoms,
    species: str,
    calc: _Calculator,
    relaxation: Relaxation,
    execution: Execution,
    first_id: int,
    pts: np.ndarray,
    todo: Iterable[int],
) -> list[dict[str, Any]]:
    """One task dict (:mod:`landscape.reference.worker`) per point index in ``todo``."""
    base = {
        "host": relaxed,
        "species": species,
        "fmax": float(relaxation.fmax),
        "max_steps": int(relaxation.max_steps),
        "relax_radius": relaxation.relax_radius,
        "optimizer": relaxation.optimizer,
        "calculator": calc.name,
        "calculator_kwargs": calc.kwargs,
    }
    return [
        dict(
            base,
            point_id=first_id + k,
            position=pts[k],
            gpu_memory_fraction=execution.gpu_memory_fraction,
        )
        for k in todo
    ]


def _store(
    db: Any,
    relaxed: Atoms,
    sample_id: str,
    species: str,
    res: dict[str, Any],
    meta: dict[str, Any],
    retry_failed: bool,
    summary: RunSummary,
) -> None:
    """Write one finished record (replacing its failed row when retrying) and count it."""
    if retry_failed:
        stale = [r.id for r in db.select(kind=POINT, sample_id=sample_id, point_id=res["point_id"])]
        if stale:
            db.delete(stale)
    write_point(db, relaxed, sample_id, species, res, meta)
    if res["status"] == "ok":
        summary.done += 1
    else:
        summary.failed += 1
    summary.point_seconds.append(float(res["seconds"]))


def run_network_reference(
    host: Atoms,
    network: Any,
    db_path: str | Path,
    *,
    first_id: int = 0,
    seed: int = 0,
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
    first_id : int
        ``point_id`` of the first network point (:attr:`InsertionPoints.first_id`).
    seed : int
        Recorded in every row as :attr:`InsertionPoints.seed` (network points draw nothing).
    min_distance : float, optional
        Å, closest a point may be to a host atom; default ``DEFAULTS.min_host_distance``, where
        the site search looked (its sites are no closer).
    **kwargs
        Passed to :func:`run_reference` (``species``, the calculator, ``relaxation``,
        ``execution``, ...).
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
    points = InsertionPoints(
        positions=positions,
        seed=seed,
        min_distance=DEFAULTS.min_host_distance if min_distance is None else min_distance,
        first_id=first_id,
        origin="network",
    )
    return run_reference(host, db_path, points, **kwargs)
