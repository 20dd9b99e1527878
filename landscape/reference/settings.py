"""What a reference run computes and how: the settings objects of :func:`run_reference`.

:class:`InsertionPoints` says where the mobile atom goes, :class:`Relaxation` how the host relaxes
around it (the arguments of an ASE optimiser's ``run``), :class:`Execution` where the relaxations
run. Each is a frozen dataclass; change a field with :func:`dataclasses.replace`.

Examples
--------
>>> from landscape.reference import Execution, InsertionPoints, Relaxation
>>> InsertionPoints(n_points=100, seed=3).min_distance
1.6
>>> Relaxation(relax_radius=5.0).optimizer
'BFGS'
>>> Execution(workers=4).batch
1
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..config import DEFAULTS

__all__ = ["InsertionPoints", "Relaxation", "Execution"]


@dataclass(frozen=True, eq=False)
class InsertionPoints:
    """Where the mobile atom is inserted: exactly one of ``n_points``, ``positions`` or
    ``grid_spacing`` (:mod:`landscape.reference.points`).

    Attributes
    ----------
    n_points : int, optional
        Uniform random points (``seed``; point ``k`` is the same for any ``n_points > k``).
    positions : array_like, shape (n, 3), optional
        User-given Cartesian positions, Å (a point inside a host atom is an :class:`InputError`).
    grid_spacing : float, optional
        Points of a grid with at most this spacing, Å.
    seed : int
        Seed of the random points.
    min_distance : float
        Å, closest a point may be to any host atom (default ``DEFAULTS.min_insert_distance``).
    first_id : int
        ``point_id`` of the first point (point ``k`` gets ``first_id + k``), so that several point
        sets (other seeds, another ``min_distance``) can share one database; give the same value
        again to resume.
    origin : str, optional
        How the points were chosen, recorded in every row (``origin``): default ``"random"``,
        ``"grid"`` or ``"given"`` by the point source; ``"network"`` marks points taken from a hop
        network (sites and saddles, :func:`landscape.explore.network_points`), which
        :meth:`landscape.nnp.SimplifiedNNP.fit` trains on but never tests on.
    """

    n_points: int | None = None
    positions: np.ndarray | None = None
    grid_spacing: float | None = None
    seed: int = 0
    min_distance: float = DEFAULTS.min_insert_distance
    first_id: int = 0
    origin: str | None = None

    @property
    def source(self) -> str:
        """``"random"``, ``"grid"`` or ``"given"``: which of the three point sources is set."""
        if self.n_points is not None:
            return "random"
        return "grid" if self.grid_spacing is not None else "given"


@dataclass(frozen=True)
class Relaxation:
    """How the host relaxes around the fixed mobile atom (and alone, for ``e_host``).

    Attributes
    ----------
    fmax : float
        eV/Å, force criterion of every relaxation (default ``DEFAULTS.host_fmax``).
    max_steps : int
        Optimiser steps at most per relaxation (default ``DEFAULTS.host_max_steps``); the host
        alone gets at least :data:`landscape.reference.relax.HOST_ALONE_MAX_STEPS`.
    optimizer : str
        ASE optimiser: ``"BFGS"`` (default ``DEFAULTS.host_optimizer``), ``"LBFGS"`` or ``"FIRE"``.
    relax_radius : float, optional
        Å, only host atoms within this distance of the mobile atom relax; ``None`` relaxes the
        whole host (a study uses ``DEFAULTS.relax_radius``).
    """

    fmax: float = DEFAULTS.host_fmax
    max_steps: int = DEFAULTS.host_max_steps
    optimizer: str = DEFAULTS.host_optimizer
    relax_radius: float | None = None


@dataclass(frozen=True)
class Execution:
    """Where and how many relaxations run at once; the main process is the only database writer.

    Attributes
    ----------
    workers : int
        Local worker processes (1: this process).
    batch : int
        Relaxations run concurrently in each worker, sharing one batched calculator call per
        optimiser step (:mod:`landscape.reference.batched`; pays off on a GPU).
    scheduler : str or distributed.Client, optional
        A Dask scheduler address or client; the points run as Dask tasks.
    cluster : dict, optional
        A dask-jobqueue cluster: ``{"type": "slurm"|"pbs"|..., "jobs": n, **cluster kwargs}``.
    gpu_memory_fraction : float, optional
        Cap on the GPU memory of each worker process (fraction of the device, 0-1), so that many
        processes sharing one GPU cannot starve each other.
    shard : (int, int), optional
        ``(i, n)``: only the points ``k`` with ``k % n == i`` (one point set split over machines).
    time_limit : float, optional
        s, stop taking results after this wall time of the run; points in flight are dropped, not
        written, and a re-run computes them.
    """

    workers: int = 1
    batch: int = 1
    scheduler: str | Any | None = None
    cluster: dict[str, Any] | None = None
    gpu_memory_fraction: float | None = None
    shard: tuple[int, int] | None = None
    time_limit: float | None = None

    @property
    def distributed(self) -> bool:
        """Whether the points run on Dask (a scheduler or a cluster is given)."""
        return self.scheduler is not None or self.cluster is not None
