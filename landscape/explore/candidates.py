"""Candidate pairs of sites for the hop search: all pairs within a distance, or pairs whose basins touch.

:func:`candidate_pairs` enumerates every pair of sites closer than a distance (periodic images
included); :func:`basin_pairs` keeps only pairs whose catchment basins on a tabulated grid share a
face, with the lowest pass between them (a band's starting point); :func:`site_grid` is the table
both the basin pairs and the spline guide of :func:`landscape.explore.find_hops` use.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import torch

from ..contracts import EnergySurface, check_surface
from ..geometry import wrap_positions
from .grid import tabulate
from .sites import Sites

__all__ = ["candidate_pairs", "basin_pairs", "site_grid"]


def candidate_pairs(
    positions: np.ndarray,
    cell: np.ndarray,
    max_distance: float,
    *,
    involving: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs of sites closer than ``max_distance``, periodic images included, each hop once.

    Parameters
    ----------
    positions : array (n, 3)
        Site positions, Å (any image; they are wrapped first).
    cell : array (3, 3)
        Lattice vectors as rows, Å.
    max_distance : float
        Longest hop, Å.
    involving : array of int, optional
        Only pairs with at least one site in this set.

    Returns
    -------
    i, j : arrays (P,) of int
        Site indices, ``i <= j``.
    shift : array (P, 3) of int
        Lattice image of ``j``: the displacement is ``wrapped[j] + shift·cell − wrapped[i]``; a site
        and its own image (``i == j``) appear once per ± pair.

    Notes
    -----
    Enumerates ``Π_k (2 ⌈max_distance / w_k⌉ + 3)`` images, ``w_k`` the cell's widths, so small cells
    are handled; cost ``O(n² × images)``.
    """
    cell = np.asarray(cell, dtype=float)
    pos = wrap_positions(np.asarray(positions, dtype=float), cell)
    volume = abs(np.linalg.det(cell))
    widths = [
        volume / np.linalg.norm(np.cross(cell[(k + 1) % 3], cell[(k + 2) % 3])) for k in range(3)
    ]
    reach = [math.ceil(max_distance / w) + 1 for w in widths]
    n = len(pos)
    sel = np.ones(n, dtype=bool) if involving is None else np.isin(np.arange(n), involving)
    out_i, out_j, out_s = [], [], []
    ii, jj = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    base = pos[None, :, :] - pos[:, None, :]  # (n, n, 3): pos[j] - pos[i]
    for s in itertools.product(*(range(-r, r + 1) for r in reach)):
        d = base + np.asarray(s, dtype=float) @ cell
        dist = np.linalg.norm(d, axis=-1)
        ok = (dist <= max_distance) & (dist > 1e-9) & (sel[:, None] | sel[None, :])
        ok &= (ii < jj) | ((ii == jj) & (s > (0, 0, 0)))
        a, b = np.nonzero(ok)
        out_i.append(a)
        out_j.append(b)
        out_s.append(np.tile(np.asarray(s, dtype=int), (len(a), 1)))
    i = np.concatenate(out_i)
    j = np.concatenate(out_j)
    shift = np.concatenate(out_s).reshape(-1, 3)
    order = np.lexsort((shift[:, 2], shift[:, 1], shift[:, 0], j, i))
    return i[order], j[order], shift[order]


def basin_pairs(
    grid_energies: np.ndarray,
    cell: np.ndarray,
    positions: np.ndarray,
    max_distance: float,
    *,
    involving: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pairs of sites whose catchment basins touch on a tabulated grid, with the lowest pass.

    Every grid point is assigned to a basin by steepest descent over its 26 periodic neighbours
    (points with ``inf`` energy belong to none); each basin's grid minimum goes to the nearest site
    (periodic image tracked). Two sites are a candidate pair when their basins share a face of the
    grid (6-neighbourhood); the pass is the lowest ``max(E_a, E_b)`` over the shared faces, at the
    midpoint of that face. Every elementary hop crosses the common boundary of the two basins it
    joins, so on a fine enough grid these pairs hold every elementary hop and, unlike all pairs
    within a distance, almost no composite ones.

    Parameters
    ----------
    grid_energies : array (n1, n2, n3)
        Energies on the fractional grid ``(a/n1, b/n2, c/n3) @ cell``, eV (``inf`` = not tabulated).
    cell : array (3, 3)
        Lattice vectors as rows, Å.
    positions : array (n, 3)
        Site positions, Å.
    max_distance : float
        Pairs farther apart than this are left out, Å.
    involving : array of int, optional
        Only pairs with at least one site in this set.

    Returns
    -------
    i, j : arrays (P,) of int
        Site indices, ``i <= j``.
    shift : array (P, 3) of int
        Lattice image of ``j``, as in :func:`candidate_pairs`.
    via : array (P, 3)
        The pass point, Å, in the frame where the hop runs from ``wrapped[i]`` to
        ``wrapped[j] + shift·cell``.
    """
    E = torch.as_tensor(np.asarray(grid_energies, dtype=float))
    shape = tuple(E.shape)
    cell = np.asarray(cell, dtype=float)
    flat = E.reshape(-1)
    grid_idx, ptr, off = _steepest_descent_roots(flat, shape)
    pfrac = np.asarray(positions, dtype=float) @ np.linalg.inv(cell)
    pfrac -= np.floor(pfrac)
    label, image = _basin_sites(flat, grid_idx, ptr, off, shape, cell, pfrac)
    faces = _basin_faces(flat.numpy(), grid_idx.numpy(), label, image, shape)
    if faces is None:
        z = np.zeros(0, dtype=int)
        return z, z, np.zeros((0, 3), dtype=int), np.zeros((0, 3))
    i2, j2, shift, vfrac = _lowest_passes(*faces, involving=involving)
    via = vfrac  # fractional, frame of wrapped[i]
    length = np.linalg.norm((pfrac[j2] + shift - pfrac[i2]) @ cell, axis=1)
    ok = (length <= max_distance) & (length > 1e-9)
    return i2[ok], j2[ok], shift[ok], via[ok] @ cell


def _steepest_descent_roots(
    flat: torch.Tensor, shape: tuple[int, ...]
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Steepest descent over the 26 periodic neighbours on the grid of shape (n1, n2, n3) with
    energies ``flat`` (G,) eV (row-major).

    Returns the grid index (G, 3) of every point, the root (G,) its descent reaches (a grid local
    minimum; the point itself at a minimum), and the grid displacement (G, 3) from the point to
    that root, not wrapped into the grid."""
    G = flat.numel()
    # steepest descent pointer of every point (itself at grid minima), with its grid offset
    best = flat.clone()
    ptr = torch.arange(G)
    off = torch.zeros(G, 3, dtype=torch.long)
    grid_idx = torch.stack(
        torch.meshgrid(*(torch.arange(n) for n in shape), indexing="ij"), dim=-1
    ).reshape(-1, 3)
    dims = torch.as_tensor(shape)
    for o in itertools.product((-1, 0, 1), repeat=3):
        if o == (0, 0, 0):
            continue
        ot = torch.as_tensor(o)
        nb = (grid_idx + ot) % dims
        lin = (nb[:, 0] * shape[1] + nb[:, 1]) * shape[2] + nb[:, 2]
        lower = flat[lin] < best
        best = torch.where(lower, flat[lin], best)
        ptr = torch.where(lower, lin, ptr)
        off[lower] = ot
    # pointer jumping: root of every point and the grid displacement to it (unwrapped)
    for _ in range(64):
        nxt = ptr[ptr]
        if torch.equal(nxt, ptr):
            break
        off = off + off[ptr]
        ptr = nxt
    return grid_idx, ptr, off


def _basin_sites(
    flat: torch.Tensor,
    grid_idx: torch.Tensor,
    ptr: torch.Tensor,
    off: torch.Tensor,
    shape: tuple[int, ...],
    cell: np.ndarray,
    pfrac: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The site of every grid point's basin: each basin's root (of
    :func:`_steepest_descent_roots`) goes to the nearest site, fractional positions ``pfrac``
    (n, 3) wrapped into [0, 1), in the cell ``cell`` (3, 3) Å.

    Returns the site label (G,) of every point (-1 where the energy ``flat`` is not finite) and the
    lattice image (G, 3) of that site seen from the point's own (home) cell."""
    G = flat.numel()
    finite = torch.isfinite(flat)
    roots = torch.unique(ptr[finite])
    root_frac = grid_idx[roots].double() / torch.as_tensor(shape)  # (R, 3)
    # nearest site (and its image) of every basin minimum
    d = root_frac.numpy()[:, None, :] - pfrac[None, :, :]  # (R, n, 3)
    img = np.round(d)
    dist = np.linalg.norm((d - img) @ cell, axis=-1)  # (R, n)
    site_of_root = np.full(G, -1, dtype=np.int64)
    image_of_root = np.zeros((G, 3), dtype=np.int64)
    k = dist.argmin(axis=1)
    site_of_root[roots.numpy()] = k
    # the wrapped root lies next to the copy of site k at lattice image img (root frame)
    image_of_root[roots.numpy()] = img[np.arange(len(roots)), k].astype(np.int64)
    # every point: site label and the image of that site seen from the point's own (home) cell
    ptr_np, off_np = ptr.numpy(), off.numpy()
    label = np.where(finite.numpy(), site_of_root[ptr_np], -1)
    unwrapped = grid_idx.numpy() + off_np  # grid index of the root reached without wrapping
    wrap = np.floor_divide(unwrapped, np.asarray(shape))  # cells crossed on the way
    image = image_of_root[ptr_np] + wrap  # site image (lattice vector) in the point's frame
    return label, image


def _basin_faces(
    flat: np.ndarray,
    gi: np.ndarray,
    label: np.ndarray,
    image: np.ndarray,
    shape: tuple[int, ...],
) -> tuple[np.ndarray, ...] | None:
    """Every grid face (6-neighbourhood) between two different basins (site label or site image
    differ), for grid energies ``flat`` (G,) eV at grid indices ``gi`` (G, 3) and the ``label``
    and ``image`` of :func:`_basin_sites`; ``None`` if there is none.

    Returns ``i``, ``j`` (F,) the sites of both sides, ``shift`` (F, 3) the image of ``j``
    relative to ``i``, ``vfrac`` (F, 3) the face's midpoint relative to site ``i``'s image
    (fractional, frame of ``i``) and ``e_pass`` (F,) eV, the higher energy of its two points."""
    out_i, out_j, out_s, out_v, out_p = [], [], [], [], []
    for axis in range(3):
        step = np.zeros(3, dtype=np.int64)
        step[axis] = 1
        nb = gi + step
        cross = (nb[:, axis] >= shape[axis]).astype(np.int64)
        nb[:, axis] %= shape[axis]
        lin = (nb[:, 0] * shape[1] + nb[:, 1]) * shape[2] + nb[:, 2]
        la, lb = label, label[lin]
        ia, ib = image, image[lin] + cross[:, None] * step
        diff = (la >= 0) & (lb >= 0) & ((la != lb) | np.any(ia != ib, axis=1))
        a = np.nonzero(diff)[0]
        if len(a) == 0:
            continue
        e_pass = np.maximum(flat[a], flat[lin[a]])
        mid = (gi[a] + 0.5 * step) / np.asarray(shape)  # fractional, point a's frame
        out_i.append(la[a])
        out_j.append(lb[a])
        out_s.append(ib[a] - ia[a])  # image of j relative to i
        out_v.append(mid - ia[a])  # pass relative to site i's image in i's frame (fractional)
        out_p.append(e_pass)
    if not out_i:
        return None
    return (
        np.concatenate(out_i),
        np.concatenate(out_j),
        np.concatenate(out_s),
        np.concatenate(out_v),
        np.concatenate(out_p),
    )


def _lowest_passes(
    i: np.ndarray,
    j: np.ndarray,
    shift: np.ndarray,
    vfrac: np.ndarray,
    e_pass: np.ndarray,
    *,
    involving: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The faces of :func:`_basin_faces` as candidate pairs: each turned to the canonical direction
    (``i < j``, or ``i == j`` with the shift lexicographically positive), those without a site in
    ``involving`` dropped (when given), and the lowest pass (``e_pass``, eV) kept of each
    ``(i, j, shift)``. Returns ``i``, ``j``, ``shift`` and the pass ``vfrac`` (fractional, frame
    of ``wrapped[i]``), sorted by ``(i, j, shift)``."""
    # canonical direction: i < j, or i == j with the shift positive (lexicographically)
    flip = (i > j) | ((i == j) & (
        (shift[:, 0] < 0) | ((shift[:, 0] == 0) & (shift[:, 1] < 0))
        | ((shift[:, 0] == 0) & (shift[:, 1] == 0) & (shift[:, 2] < 0))
    ))  # fmt: skip
    i2 = np.where(flip, j, i)
    j2 = np.where(flip, i, j)
    vfrac = np.where(flip[:, None], vfrac - shift, vfrac)  # relative to j's image, which becomes i
    shift = np.where(flip[:, None], -shift, shift)
    if involving is not None:
        keep = np.isin(i2, involving) | np.isin(j2, involving)
        i2, j2, shift, vfrac, e_pass = i2[keep], j2[keep], shift[keep], vfrac[keep], e_pass[keep]
    # the lowest pass of each (i, j, shift)
    order = np.lexsort((e_pass, shift[:, 2], shift[:, 1], shift[:, 0], j2, i2))
    key = np.stack([i2, j2, shift[:, 0], shift[:, 1], shift[:, 2]], axis=1)[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = np.any(key[1:] != key[:-1], axis=1)
    sel = order[first]
    return i2[sel], j2[sel], shift[sel], vfrac[sel]


def site_grid(
    surface: EnergySurface, sites: Sites, spacing: float, min_host_distance: float, batch_size: int
):
    """The energies (n1, n2, n3) of the site search's grid (``sites.grid``) when it is no coarser than
    ``spacing`` (Å), else tabulated anew at ``spacing`` with points closer than
    ``min_host_distance`` (Å) to a host atom at ``inf``."""
    cell, _ = check_surface(surface)
    grid = getattr(sites, "grid", None)
    if grid is not None and np.allclose(np.asarray(sites.cell), cell.cpu().numpy()):
        h = cell.norm(dim=1).cpu().numpy() / np.asarray(np.shape(grid))
        if np.all(h <= spacing * (1 + 1e-9)):
            return np.asarray(grid, dtype=float)
    shape, _, values, _ = tabulate(surface, spacing, min_host_distance, batch_size=batch_size)
    return values.reshape(shape).cpu().numpy()
