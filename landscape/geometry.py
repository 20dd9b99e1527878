"""Periodic geometry of one cell: wrap positions, minimum-image displacements, close pairs,
nearest distances.

The cell is a (3, 3) array whose rows are the lattice vectors, Å; positions are Cartesian, Å.
The torch functions take the inverse cell too (``inv = torch.linalg.inv(cell)``), computed once by
the caller, and keep the dtype and device of their inputs; the numpy ones take only the cell. The
module needs no torch of its own (tensor methods only), so numpy callers do not load it.

Examples
--------
>>> import torch
>>> cell = torch.eye(3, dtype=torch.float64) * 4.0
>>> inv = torch.linalg.inv(cell)
>>> wrap(torch.tensor([[5.0, -1.0, 2.0]], dtype=torch.float64), cell, inv).tolist()
[[1.0, 3.0, 2.0]]
>>> min_image(torch.tensor([[3.0, 0.0, 0.0]], dtype=torch.float64), cell, inv).tolist()
[[-1.0, 0.0, 0.0]]
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

__all__ = ["wrap", "min_image", "close_pairs", "wrap_positions", "nearest_distances"]


def wrap(x: torch.Tensor, cell: torch.Tensor, inv: torch.Tensor) -> torch.Tensor:
    """Wrap Cartesian positions ``x`` (..., 3) Å into the cell (fractional coordinates in [0, 1))."""
    frac = x @ inv
    return (frac - frac.floor()) @ cell


def min_image(d: torch.Tensor, cell: torch.Tensor, inv: torch.Tensor) -> torch.Tensor:
    """Shortest periodic image of displacements ``d`` (..., 3) Å.

    Exact for any cell shape: the rounded fractional image, and for a non-orthorhombic cell the
    shortest of it and its 26 neighbouring images.
    """
    frac = d @ inv
    d0 = (frac - frac.round()) @ cell  # (..., 3)
    if bool((cell - cell.diagonal().diag() == 0).all()):
        return d0  # orthorhombic: rounding the fractional coordinates is exact
    shifts = cell.new_tensor(list(itertools.product((-1, 0, 1), repeat=3))) @ cell  # (27, 3)
    cand = d0[..., None, :] + shifts  # (..., 27, 3)
    best = (cand * cand).sum(-1).argmin(-1)  # (...)
    return cand.gather(-2, best[..., None, None].expand(*best.shape, 1, 3)).squeeze(-2)


def close_pairs(
    x: torch.Tensor, cell: torch.Tensor, inv: torch.Tensor, r: float, y: torch.Tensor | None = None
) -> np.ndarray:
    """Boolean (n, m) matrix: minimum-image distance between ``x[a]`` and ``y[b]`` below ``r`` Å.

    ``x`` is (n, 3) Å and ``y`` (m, 3) Å (``y = x`` when not given). Computed in chunks, so that
    thousands of points never need an (n, m, 27, 3) array at once.
    """
    y = x if y is None else y
    close = np.zeros((len(x), len(y)), dtype=bool)
    chunk = max(1, 1_000_000 // (27 * max(1, len(y))))
    for s in range(0, len(x), chunk):
        d = min_image(x[s : s + chunk, None, :] - y[None], cell, inv).norm(dim=-1)  # (c, m)
        close[s : s + chunk] = (d < r).cpu().numpy()
    return close


def wrap_positions(positions: np.ndarray, cell: np.ndarray) -> np.ndarray:
    """Wrap Cartesian positions (n, 3) Å into the cell (numpy; fractional coordinates in [0, 1))."""
    frac = positions @ np.linalg.inv(cell)
    return (frac - np.floor(frac)) @ cell


def nearest_distances(points: np.ndarray, others: np.ndarray, cell: np.ndarray) -> np.ndarray:
    """Minimum-image distance (n,) Å from each of ``points`` (n, 3) Å to the nearest of ``others``
    (m, 3) Å in a cell periodic along all three vectors.

    A k-d tree over ``others`` and their 26 neighbouring images answers every point whose nearest
    distance is below the cell's smallest perpendicular height (then no farther image can be
    nearer); the rare rest are computed exactly, every image pair by :func:`min_image`'s rule.
    """
    from scipy.spatial import cKDTree

    cell = np.asarray(cell, dtype=float)
    pts = wrap_positions(np.asarray(points, dtype=float).reshape(-1, 3), cell)
    oth = wrap_positions(np.asarray(others, dtype=float).reshape(-1, 3), cell)
    if len(pts) == 0 or len(oth) == 0:
        return np.full(len(pts), np.inf)
    shifts = np.array(list(itertools.product((-1, 0, 1), repeat=3)), dtype=float) @ cell
    images = (oth[None, :, :] + shifts[:, None, :]).reshape(-1, 3)
    d, _ = cKDTree(images).query(pts, k=1)
    heights = abs(np.linalg.det(cell)) / np.linalg.norm(
        np.cross(cell[[1, 2, 0]], cell[[2, 0, 1]]), axis=1
    )
    far = d >= heights.min()
    inv = np.linalg.inv(cell)
    for idx in np.array_split(np.flatnonzero(far), max(1, int(far.sum()) // 64)):
        # farther than the images above reach: every pair, the 27 images of the rounded one
        diff = pts[idx, None, :] - oth[None, :, :]  # (k, m, 3)
        frac = diff @ inv
        cand = ((frac - np.round(frac)) @ cell)[:, :, None, :] + shifts  # (k, m, 27, 3)
        d[idx] = np.sqrt((cand * cand).sum(-1)).min(axis=(1, 2))
    return d
