"""Where the mobile atom is inserted: uniform random points, a grid, or positions the user gives.

Every generator keeps a minimum (periodic) distance to the host atoms. Random points are drawn one
after another from one seeded generator, so the first ``n`` points of a longer run are the points of
a shorter run with the same seed: extending a data set only adds points.
"""

from __future__ import annotations

import numpy as np
from ase import Atoms

from ..config import DEFAULTS
from ..errors import InputError
from ..geometry import wrap_positions

__all__ = ["random_points", "grid_points", "check_points", "distance_to_host"]


def distance_to_host(host: Atoms, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shortest periodic distance from each point to a host atom, and that atom's index.

    Parameters
    ----------
    host : ase.Atoms
        Periodic host.
    points : numpy.ndarray, shape (n, 3)
        Cartesian positions, Å.

    Returns
    -------
    distance : numpy.ndarray, shape (n,)
        Å.
    index : numpy.ndarray of int, shape (n,)
    """
    pts = np.atleast_2d(np.asarray(points, dtype=float))
    cell = np.asarray(host.cell)
    inv = np.linalg.inv(cell)
    frac_h = host.positions @ inv  # (m, 3)
    out_d = np.empty(len(pts))
    out_i = np.empty(len(pts), dtype=int)
    shifts = np.array([[a, b, c] for a in (-1, 0, 1) for b in (-1, 0, 1) for c in (-1, 0, 1)])
    for k, p in enumerate(pts):
        df = frac_h - p @ inv  # (m, 3)
        df -= np.round(df)
        # the rounded image plus neighbours (skewed cells)
        dv = (df[:, None, :] + shifts[None, :, :]) @ cell  # (m, 27, 3)
        d = np.linalg.norm(dv, axis=2).min(axis=1)  # (m,)
        out_i[k] = int(np.argmin(d))
        out_d[k] = d[out_i[k]]
    return out_d, out_i


def random_points(
    host: Atoms, n: int, *, seed: int = 0, min_distance: float = DEFAULTS.min_insert_distance
) -> np.ndarray:
    """Uniform random points in the cell, at least ``min_distance`` Å from every host atom.

    Parameters
    ----------
    host : ase.Atoms
        Periodic host.
    n : int
        Number of points.
    seed : int
        Seed; point ``k`` depends only on the seed and ``k`` (prefix-stable).
    min_distance : float
        Å, closest a point may be to any host atom (default ``DEFAULTS.min_insert_distance``).

    Returns
    -------
    numpy.ndarray, shape (n, 3)
        Cartesian positions, Å, wrapped into the cell.

    Raises
    ------
    InputError
        No room: 10000 draws in a row all fell too close to the host.
    """
    if n < 0:
        raise InputError(f"number of points must be >= 0, got {n}")
    rng = np.random.default_rng(seed)
    cell = np.asarray(host.cell)
    out = np.empty((n, 3))
    for k in range(n):
        for _ in range(10000):
            p = rng.random(3) @ cell
            if distance_to_host(host, p)[0][0] >= min_distance:
                out[k] = p
                break
        else:
            raise InputError(
                f"no point found at least {min_distance} Å from the host after 10000 draws; "
                "expected a smaller min_distance"
            )
    return out


def grid_points(
    host: Atoms, spacing: float, *, min_distance: float = DEFAULTS.min_insert_distance
) -> np.ndarray:
    """Points of a regular grid (at most ``spacing`` Å apart) away from the host atoms.

    Returns
    -------
    numpy.ndarray, shape (n, 3)
        Cartesian positions, Å, in grid order.
    """
    if spacing <= 0:
        raise InputError(f"grid spacing must be positive (Å), got {spacing}")
    cell = np.asarray(host.cell)
    lengths = np.linalg.norm(cell, axis=1)
    ns = np.maximum(np.ceil(lengths / spacing).astype(int), 1)
    axes = [np.arange(m) / m for m in ns]
    frac = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 3)
    pts = frac @ cell
    d, _ = distance_to_host(host, pts)
    return pts[d >= min_distance]


def check_points(
    host: Atoms, points: np.ndarray, *, min_distance: float = DEFAULTS.min_insert_distance
) -> np.ndarray:
    """Validate user-given positions: finite, shape (n, 3), none inside a host atom.

    Returns
    -------
    numpy.ndarray, shape (n, 3)
        The positions wrapped into the cell, Å.

    Raises
    ------
    InputError
        A malformed array, or the first point closer than ``min_distance`` Å to a host atom.
    """
    pts = np.asarray(points, dtype=float)
    if pts.ndim == 1 and pts.size == 3:
        pts = pts[None, :]
    if pts.ndim != 2 or pts.shape[1] != 3:
        raise InputError(f"points must have shape (n, 3), got {pts.shape}")
    if not np.all(np.isfinite(pts)):
        raise InputError("points contain NaN or inf")
    d, idx = distance_to_host(host, pts)
    bad = np.flatnonzero(d < min_distance)
    if len(bad):
        k = int(bad[0])
        sym = host.get_chemical_symbols()[idx[k]]
        raise InputError(
            f"point {k} at {np.round(pts[k], 3).tolist()} Å is inside host atom {int(idx[k])} "
            f"({sym}): {d[k]:.3f} Å away; expected at least {min_distance} Å"
        )
    return wrap_positions(pts, np.asarray(host.cell))
