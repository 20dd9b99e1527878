"""Hops between metastable sites: batched climbing-image NEB, barriers, saddles and prefactors.

Every candidate pair of sites closer than ``max_distance`` (periodic images included) gets a band of
``n_images`` images, and *all* bands advance together as one tensor problem of shape
``(n_paths, n_images, 3)``: one surface call per step for every interior image of every band. The
NEB force uses the improved tangent and spring force of Henkelman & Jónsson, dst. Chem. Phys. 113,
9978 (2000), Eqs. (8)–(12); the climbing image of Henkelman, Uberuaga & Jónsson, dst. Chem. Phys.
113, 9901 (2000), Eq. (5); bands are relaxed with FIRE, each with its own time step, and frozen one
by one as they converge. A converged climbing image is polished by Newton steps with the
finite-difference Hessian onto the first-order saddle.

A hop is *elementary* when its converged band has no interior minimum deeper than
``interior_minimum_depth`` (DESIGN.md: 0.01 eV) and its saddle is of first order (one negative
Hessian eigenvalue). Composite bands are dropped; the minima found inside them are relaxed and, if
new, added as sites, and the hops of those sites are searched in a further pass. Bands that do not
converge, or end on a higher-order saddle, are left out of the network and recorded in the graph
attribute ``rejected_hops``.
"""

from __future__ import annotations

import itertools
import json
import math
import time
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import torch

from .config import DEFAULTS
from .contracts import EnergySurface, add_hop, add_site, check_surface, network_points, new_network
from .errors import InputError
from .geometry import close_pairs, min_image, wrap, wrap_positions
from .grid import evaluate, outside_domain, tabulate
from .sites import (
    BatchedFIRE,
    Sites,
    harmonic_frequencies,
    hessians,
    make_sites,
    merge_minima,
    minimise,
    newton_polish,
)
from .units import DEFAULT_PREFACTOR_HZ

__all__ = [
    "find_hops",
    "candidate_pairs",
    "basin_pairs",
    "batched_neb",
    "interior_minimum_depth",
    "NEBResult",
    "validate_hops",
    "validation_errors",
    "describe_validation",
    "network_points",
]

_PREFACTORS = ("constant", "vineyard")


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
    inv = np.linalg.inv(cell)
    G = E.numel()
    flat = E.reshape(-1)
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
    finite = torch.isfinite(flat)
    # pointer jumping: root of every point and the grid displacement to it (unwrapped)
    for _ in range(64):
        nxt = ptr[ptr]
        if torch.equal(nxt, ptr):
            break
        off = off + off[ptr]
        ptr = nxt
    roots = torch.unique(ptr[finite])
    root_frac = grid_idx[roots].double() / dims  # (R, 3)
    pos = np.asarray(positions, dtype=float)
    pfrac = pos @ inv
    pfrac -= np.floor(pfrac)
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
    # faces between different basins
    out_i, out_j, out_s, out_v, out_p = [], [], [], [], []
    gi = grid_idx.numpy()
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
        e_pass = np.maximum(flat.numpy()[a], flat.numpy()[lin[a]])
        mid = (gi[a] + 0.5 * step) / np.asarray(shape)  # fractional, point a's frame
        out_i.append(la[a])
        out_j.append(lb[a])
        out_s.append(ib[a] - ia[a])  # image of j relative to i
        out_v.append(mid - ia[a])  # pass relative to site i's image in i's frame (fractional)
        out_p.append(e_pass)
    if not out_i:
        z = np.zeros(0, dtype=int)
        return z, z, np.zeros((0, 3), dtype=int), np.zeros((0, 3))
    i, j, shift = np.concatenate(out_i), np.concatenate(out_j), np.concatenate(out_s)
    vfrac, e_pass = np.concatenate(out_v), np.concatenate(out_p)
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
    i2, j2, shift, vfrac = i2[sel], j2[sel], shift[sel], vfrac[sel]
    via = vfrac  # fractional, frame of wrapped[i]
    length = np.linalg.norm((pfrac[j2] + shift - pfrac[i2]) @ cell, axis=1)
    ok = (length <= max_distance) & (length > 1e-9)
    return i2[ok], j2[ok], shift[ok], via[ok] @ cell


def interior_minimum_depth(profile: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Depth (eV) and index of the deepest interior minimum of each band's energy profile.

    ``profile`` (P, N) in eV. An interior image ``k`` lower than both neighbours has depth
    ``min(max E[:k], max E[k+1:]) − E[k]``: the energy it takes to leave it in either direction.
    Bands without interior minimum have depth 0 and index −1.
    """
    E = profile
    left = torch.cummax(E, dim=1).values  # max of E[:k+1]
    right = torch.flip(torch.cummax(torch.flip(E, [1]), dim=1).values, [1])  # max of E[k:]
    inner = E[:, 1:-1]
    is_min = (inner < E[:, :-2]) & (inner < E[:, 2:])
    depth = torch.minimum(left[:, :-2], right[:, 2:]) - inner
    depth = torch.where(is_min, depth, torch.zeros_like(depth))
    best = depth.max(dim=1)
    index = torch.where(best.values > 0, best.indices + 1, torch.full_like(best.indices, -1))
    return best.values, index


class NEBResult:
    """Bands after :func:`batched_neb` (tensors on the surface's device).

    Attributes
    ----------
    images : Tensor (P, N, 3)
        Image positions, Å (band of path p runs from its start to its end, unwrapped).
    energies : Tensor (P, N)
        Image energies, eV.
    fmax : Tensor (P,)
        Largest NEB force on an interior image at the end, eV/Å.
    converged : Tensor (P,) bool
    climbing : Tensor (P,) long
        Index of the climbing (highest interior) image.
    steps : Tensor (P,) long
        FIRE steps taken.
    """

    def __init__(self, images, energies, fmax, converged, climbing, steps) -> None:
        self.images, self.energies, self.fmax = images, energies, fmax
        self.converged, self.climbing, self.steps = converged, climbing, steps


def _neb_forces(
    X: torch.Tensor, E: torch.Tensor, Ft: torch.Tensor, spring: float, ci: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """NEB forces (b, N-2, 3) on interior images and the index of the highest one (b,).

    X (b, N, 3) Å, E (b, N) eV, Ft (b, N-2, 3) true forces eV/Å, ci (b,) bool: climbing on.
    """
    tp = X[:, 2:] - X[:, 1:-1]  # (b, N-2, 3) tau+
    tm = X[:, 1:-1] - X[:, :-2]  # tau-
    Ep, Ei, Em = E[:, 2:], E[:, 1:-1], E[:, :-2]  # (b, N-2)
    up = (Ep > Ei) & (Ei > Em)
    down = (Ep < Ei) & (Ei < Em)
    dmax = torch.maximum((Ep - Ei).abs(), (Em - Ei).abs())[..., None]
    dmin = torch.minimum((Ep - Ei).abs(), (Em - Ei).abs())[..., None]
    mixed = torch.where((Ep > Em)[..., None], tp * dmax + tm * dmin, tp * dmin + tm * dmax)
    tau = torch.where(up[..., None], tp, torch.where(down[..., None], tm, mixed))
    tau = tau / tau.norm(dim=-1, keepdim=True).clamp_min(1e-300)
    par = (Ft * tau).sum(-1, keepdim=True)  # (b, N-2, 1)
    lp, lm = tp.norm(dim=-1, keepdim=True), tm.norm(dim=-1, keepdim=True)
    F = Ft - par * tau + spring * (lp - lm) * tau
    top = Ei.argmax(dim=1)  # (b,)
    rows = torch.nonzero(ci).flatten()
    if len(rows):
        k = top[rows]
        F[rows, k] = Ft[rows, k] - 2 * par[rows, k] * tau[rows, k]
    return F, top


def batched_neb(
    surface: EnergySurface,
    start: torch.Tensor,
    end: torch.Tensor,
    *,
    n_images: int = DEFAULTS.neb_images,
    fmax: float = DEFAULTS.neb_fmax,
    climb: bool = True,
    spring: float = 0.5,
    max_steps: int = 1000,
    climb_fmax: float = 0.5,
    climb_after: int = 50,
    e_start: torch.Tensor | None = None,
    e_end: torch.Tensor | None = None,
    early_composite: float | None = 0.05,
    settle_force: float = 0.2,
    batch_size: int = 65536,
    progress: bool = False,
    via: torch.Tensor | None = None,
) -> NEBResult:
    """Relax many NEB bands at once, each from ``start[p]`` to ``end[p]``.

    Parameters
    ----------
    surface
        An EnergySurface.
    start, end : Tensor (P, 3)
        Fixed end points of each band, Å (``end`` in the image the hop lands in).
    n_images : int
        Images per band including both ends (>= 3).
    fmax : float
        Convergence: the largest NEB force (perpendicular force plus spring force, or the climbing
        image's force) on any interior image below ``fmax``, eV/Å.
    climb : bool
        Climbing image, switched on per band once its NEB force is below ``climb_fmax`` (eV/Å) or
        after ``climb_after`` steps; a band converges only with it on.
    spring : float
        Spring constant, eV/Å².
    max_steps : int
        FIRE steps at most.
    e_start, e_end : Tensor (P,), optional
        End-point energies, eV (evaluated when not given).
    early_composite : float or None
        Every 5 steps from step 10, bands with an interior minimum deeper than this (eV), whose
        image there has settled (true force below ``settle_force``, eV/Å), are stopped (not converged): they
        are composite, and relaxing them further would only cost time. ``None`` relaxes every band
        to the end.
    batch_size : int
        Points per surface call.
    progress : bool
        Show a progress bar.
    via : Tensor (P, 3), optional
        A point each initial band passes through (e.g. the pass found by :func:`basin_pairs`), Å,
        in the frame of ``start``; images are spread evenly by length along start → via → end.
        Without it the initial bands are straight lines.

    Returns
    -------
    NEBResult
    """
    from tqdm.auto import tqdm

    cell = surface.cell
    t = dict(dtype=cell.dtype, device=cell.device)
    start = torch.as_tensor(start, **t).reshape(-1, 3)
    end = torch.as_tensor(end, **t).reshape(-1, 3)
    if n_images < 3:
        raise InputError(f"n_images must be >= 3 (both ends included), got {n_images}")
    P, N = len(start), n_images
    frac = torch.linspace(0, 1, N, **t)  # (N,)
    if via is None:
        X = start[:, None, :] + frac[None, :, None] * (end - start)[:, None, :]  # (P, N, 3)
    else:
        via = torch.as_tensor(via, **t).reshape(-1, 3)
        a = (via - start).norm(dim=1, keepdim=True)  # (P, 1)
        b = (end - via).norm(dim=1, keepdim=True)
        s = frac[None, :] * (a + b)  # (P, N) arc length of each image
        first = s <= a
        u1 = (s / a.clamp_min(1e-12))[..., None]
        u2 = ((s - a) / b.clamp_min(1e-12))[..., None]
        X = torch.where(
            first[..., None],
            start[:, None, :] + u1 * (via - start)[:, None, :],
            via[:, None, :] + u2 * (end - via)[:, None, :],
        )  # (P, N, 3)
        X[:, 0], X[:, -1] = start, end
    E = torch.zeros(P, N, **t)
    E[:, 0] = evaluate(surface, start, batch_size)[0] if e_start is None else e_start
    E[:, -1] = evaluate(surface, end, batch_size)[0] if e_end is None else e_end
    Ft = torch.zeros(P, N - 2, 3, **t)
    e, f = evaluate(surface, X[:, 1:-1].reshape(-1, 3), batch_size)
    E[:, 1:-1], Ft[:] = e.reshape(P, N - 2), f.reshape(P, N - 2, 3)
    fmax_p = torch.full((P,), math.inf, **t)
    converged = torch.zeros(P, dtype=torch.bool, device=cell.device)
    ci = torch.zeros(P, dtype=torch.bool, device=cell.device)
    steps = torch.zeros(P, dtype=torch.long, device=cell.device)
    fire = BatchedFIRE((P, N - 2), X)
    done = torch.zeros(P, dtype=torch.bool, device=cell.device)
    bar = tqdm(total=P, desc="NEB", unit="band", disable=not progress, leave=False)
    for step in range(max_steps + 1):
        act = torch.nonzero(~done).flatten()
        if len(act) == 0:
            break
        F, _ = _neb_forces(X[act], E[act], Ft[act], spring, ci[act])
        fm = F.norm(dim=-1).amax(dim=1)  # (b,)
        fmax_p[act] = fm
        if climb:
            ci[act] |= (fm < climb_fmax) | (step >= climb_after)
        ok = (fm < fmax) & (ci[act] if climb else torch.ones_like(fm, dtype=torch.bool))
        bad = ~torch.isfinite(fm)
        if early_composite and step >= 10 and step % 5 == 0:
            # a dip deeper than early_composite whose image has settled (small true force)
            depth, where = interior_minimum_depth(E[act])
            k = (where - 1).clamp_min(0)
            settled = Ft[act, k].norm(dim=-1) < settle_force  # (b,)
            bad |= (depth > early_composite) & settled
        converged[act[ok]] = True
        done[act[ok | bad]] = True
        bar.update(int((ok | bad).sum()))
        keep = ~(ok | bad)
        act, F = act[keep], F[keep]
        if len(act) == 0 or step == max_steps:
            break
        Xi = fire.step(X[act, 1:-1], F, act)  # (b, N-2, 3)
        e, f = evaluate(surface, Xi.reshape(-1, 3), batch_size)
        X[act, 1:-1] = Xi
        E[act, 1:-1] = e.reshape(len(act), N - 2)
        Ft[act] = f.reshape(len(act), N - 2, 3)
        steps[act] += 1
        bar.set_postfix(active=len(act), step=step)
    bar.close()
    climbing = E[:, 1:-1].argmax(dim=1) + 1
    return NEBResult(X, E, fmax_p, converged, climbing, steps)


def _vineyard(freq_min: np.ndarray, freq_saddle: np.ndarray) -> float:
    """Vineyard prefactor (Hz): product of the 3 frequencies at the minimum over the 2 real ones at
    the saddle (G. H. Vineyard, dst. Phys. Chem. Solids 3, 121 (1957), Eq. (21)); inputs in THz."""
    real = np.sort(freq_saddle)[1:]
    return float(np.prod(freq_min) / np.prod(real) * 1e12)


def find_hops(
    surface: EnergySurface,
    sites: Sites,
    *,
    max_distance: float = DEFAULTS.hop_max_distance,
    n_images: int = DEFAULTS.neb_images,
    fmax: float = DEFAULTS.neb_fmax,
    climb: bool = True,
    prefactor: str = "constant",
    spring: float = 0.5,
    max_steps: int = 1000,
    interior_minimum: float = DEFAULTS.interior_minimum_depth,
    merge_distance: float = DEFAULTS.merge_distance,
    site_fmax: float = DEFAULTS.site_fmax,
    max_passes: int = 3,
    refine_saddle: bool = True,
    early_composite: float | None = 0.05,
    candidates: str = "distance",
    guide: bool = False,
    guide_composite: float = 0.1,
    grid_spacing: float = DEFAULTS.grid_spacing,
    min_host_distance: float = DEFAULTS.min_host_distance,
    sample_id: str | None = None,
    batch_size: int = 65536,
    progress: bool = True,
) -> nx.MultiDiGraph:
    """The hop network of a surface: every elementary hop between neighbouring sites.

    Parameters
    ----------
    surface
        An EnergySurface (the one the sites were found on).
    sites : Sites
        Metastable sites (:func:`landscape.sites.find_sites`).
    max_distance : float
        Candidate pairs closer than this (periodic images included), Å.
    n_images : int
        Images per band, both ends included.
    fmax : float
        NEB convergence on the largest NEB force of the band, eV/Å.
    climb : bool
        Climbing-image NEB.
    prefactor : {"constant", "vineyard"}
        Constant ``1e13`` Hz (the seed's choice) or harmonic transition-state theory from the
        Hessians at the minimum and the saddle.
    spring : float
        Spring constant, eV/Å².
    max_steps : int
        FIRE steps per pass at most.
    interior_minimum : float
        A band with an interior minimum deeper than this (eV) is not an elementary hop.
    merge_distance : float
        Sites closer than this are one site (Å); input sites closer than it raise InputError, and
        minima found inside composite bands within it of a site are that site.
    site_fmax : float
        Force at convergence of new sites, eV/Å.
    max_passes : int
        Passes of (NEB, new sites from composite bands).
    refine_saddle : bool
        Polish each converged climbing image onto the saddle by Newton steps.
    early_composite : float or None
        Stop bands early once they hold a settled interior minimum deeper than this, eV (see
        :func:`batched_neb`); ``None`` relaxes every band to convergence.
    candidates : {"distance", "basins"}
        ``"distance"``: every pair closer than ``max_distance`` (DESIGN.md). ``"basins"``: only
        pairs whose catchment basins on the grid touch (:func:`basin_pairs`, still at most
        ``max_distance`` apart), each band started through the pass between them; far fewer
        bands, almost none composite. Sites added in later passes get distance candidates.
    guide : bool
        Relax the bands on a tricubic spline of the surface tabulated on the grid
        (:class:`landscape.surfaces.SplineSurface`), then evaluate every image on the surface
        itself and polish each climbing image there onto the saddle by Newton steps. Barriers,
        saddles, Hessians and profile energies are then the surface's own; only the image positions
        other than the saddle come from the guide. A band counts as converged when it converged on
        the guide and its saddle on the surface (``|F| < fmax``). For expensive surfaces (the NNP).
    guide_composite : float
        With ``guide``: bands whose interior minimum on the guide is deeper than this (eV, well
        above the guide's error) are composite without evaluating them on the surface.
    grid_spacing, min_host_distance : float
        Grid for ``"basins"`` and ``guide``, Å: ``sites.grid`` (from :func:`find_sites`) when it is
        no coarser than ``grid_spacing``, else a new table.
    sample_id : str, optional
        Graph attribute; default ``surface.host.info["sample_id"]`` or ``"surface"``.
    batch_size : int
        Points per surface call.
    progress : bool
        Progress bars.

    Returns
    -------
    networkx.MultiDiGraph
        The hop-network contract of DESIGN.md: graph attributes ``sample_id``, ``cell``,
        ``species``, ``energy_unit``, plus ``search`` (counts, parameters and seconds) and
        ``rejected_hops`` (one record per dropped candidate: ``i``, ``j``, ``shift``, ``reason`` in
        {"composite", "unconverged", "higher-order saddle", "no saddle", "outside model domain", "saddle below an end"}, ``converged``,
        ``saddle_energy``, ``fmax``); nodes ``position``, ``energy``, ``frequencies``, ``converged``
        (``added=True`` for sites found inside composite bands); two edges per hop with
        ``barrier``, ``shift``, ``prefactor``, ``saddle``, ``saddle_energy``, ``profile``,
        ``length``, ``path_length``, ``converged``.

    Raises
    ------
    InputError
        No sites, sites closer than ``merge_distance``, unknown ``prefactor``, bad parameters.

    Notes
    -----
    Cost per step: one surface call on ``P (n_images − 2)`` points for ``P`` active bands; Vineyard
    and the saddle polish add ``6`` calls per hop and Newton step.
    """
    if prefactor not in _PREFACTORS:
        raise InputError(f"unknown prefactor {prefactor!r}; expected one of {_PREFACTORS}")
    if max_distance <= 0 or fmax <= 0 or n_images < 3:
        raise InputError(
            f"need max_distance > 0 Å, fmax > 0 eV/Å, n_images >= 3; got {max_distance}, {fmax}, {n_images}"
        )
    if candidates not in ("distance", "basins"):
        raise InputError(f"unknown candidates {candidates!r}; expected 'distance' or 'basins'")
    if sites is None or len(sites) == 0:
        raise InputError("empty site set; expected at least one site (run find_sites first)")
    cell, inv = check_surface(surface)
    t = dict(dtype=cell.dtype, device=cell.device)
    cell_np = cell.cpu().numpy().astype(float)
    pos_t = wrap(torch.as_tensor(sites.positions, **t), cell, inv)
    close = close_pairs(pos_t, cell, inv, merge_distance)
    np.fill_diagonal(close, False)
    if close.any():
        a, b = np.argwhere(close)[0]
        raise InputError(
            f"{int(close.sum()) // 2} pair(s) of sites closer than merge_distance={merge_distance} Å "
            f"(e.g. sites {a} and {b}); expected distinct sites (merge them first)"
        )
    if sample_id is None:
        host = getattr(surface, "host", None)
        sample_id = str(host.info.get("sample_id", "surface")) if host is not None else "surface"
    species = sites.species
    G = new_network(cell_np, sample_id=str(sample_id), species=species)
    for k in range(len(sites)):
        add_site(
            G,
            k,
            pos_t[k].cpu().numpy(),
            sites.energies[k],
            frequencies=[float(v) for v in sites.frequencies[k]],
            converged=bool(sites.converged[k]),
        )
    rejected: list[dict] = []
    counts = {"candidates": 0, "hops": 0, "added_sites": 0, "passes": 0}
    seconds = {"grid": 0.0, "neb": 0.0, "saddles": 0.0, "new_sites": 0.0}
    involving = None
    grid = None
    neb_surface = surface
    if candidates == "basins" or guide:
        t0 = time.perf_counter()
        grid = _site_grid(surface, sites, grid_spacing, min_host_distance, batch_size)
        if guide:
            from .surfaces import SplineSurface

            neb_surface = SplineSurface(
                cell_np, grid, host=getattr(surface, "host", None), species=sites.species,
                dtype=cell.dtype, device=str(cell.device),
            )  # fmt: skip
        seconds["grid"] = time.perf_counter() - t0
    for _pass in range(max_passes):
        counts["passes"] += 1
        pos_np = pos_t.cpu().numpy()
        via = None
        if candidates == "basins" and involving is None:
            src, dst, shifts, via_np = basin_pairs(grid, cell_np, pos_np, max_distance)
            via = torch.as_tensor(via_np, **t)
        else:
            src, dst, shifts = candidate_pairs(pos_np, cell_np, max_distance, involving=involving)
        counts["candidates"] += len(src)
        if len(src) == 0:
            break
        t0 = time.perf_counter()
        energies = torch.as_tensor(np.array([G.nodes[k]["energy"] for k in range(len(G))]), **t)
        src_t, dst_t = (
            torch.as_tensor(src, device=cell.device),
            torch.as_tensor(dst, device=cell.device),
        )
        start = pos_t[src_t]
        end = pos_t[dst_t] + torch.as_tensor(shifts, **t) @ cell
        res = batched_neb(
            neb_surface,
            start,
            end,
            n_images=n_images,
            fmax=fmax,
            climb=climb,
            spring=spring,
            max_steps=max_steps,
            e_start=None if guide else energies[src_t],
            e_end=None if guide else energies[dst_t],
            early_composite=early_composite,
            batch_size=batch_size,
            progress=progress,
            via=via,
        )
        if guide:
            # bands clearly composite on the guide keep its energies (they are dropped anyway);
            # every other band gets the surface's own energies at the guide's image positions
            depth_g, _ = interior_minimum_depth(res.energies)
            sure = depth_g > guide_composite
            res.converged &= ~sure
            k = torch.nonzero(~sure).flatten()
            e_img = evaluate(surface, res.images[k, 1:-1].reshape(-1, 3), batch_size)[0]
            res.energies[k, 1:-1] = e_img.reshape(len(k), n_images - 2)
            res.energies[:, 0], res.energies[:, -1] = energies[src_t], energies[dst_t]
            counts["guide_composite"] = counts.get("guide_composite", 0) + int(sure.sum())
        seconds["neb"] += time.perf_counter() - t0

        t0 = time.perf_counter()
        P = len(src)
        rows = torch.arange(P, device=cell.device)
        ci = res.climbing
        sx = res.images[rows, ci].clone()  # (P, 3) climbing images
        se = res.energies[rows, ci].clone()
        conv = res.converged
        depth, where = interior_minimum_depth(res.energies)
        # only bands that can still be elementary hops get the saddle polish and the Hessian
        hop_like = conv & (depth <= interior_minimum)
        idx = torch.nonzero(hop_like).flatten()
        if (refine_saddle or guide) and climb and len(idx):
            x1, e1, f1 = x0, e0, f0 = sx[idx], *evaluate(surface, sx[idx], batch_size)
            if guide:  # quasi-Newton with the guide's Hessians (one surface call per step) first
                x1, e1, f1 = newton_polish(
                    surface, x0, e0, f0, n_negative=1, target=1e-2 * fmax, max_step=0.3,
                    max_iter=10, batch_size=batch_size, hessian_surface=neb_surface,
                )  # fmt: skip
            x1, e1, f1 = newton_polish(
                surface, x1, e1, f1, n_negative=1, target=1e-2 * fmax,
                max_step=0.3 if guide else 0.1, max_iter=8, batch_size=batch_size,
            )  # fmt: skip
            sx[idx], se[idx] = x1, e1
            res.images[idx, ci[idx]] = x1
            res.energies[idx, ci[idx]] = e1
            if guide:  # converged means: on the guide, and the saddle on the surface itself
                conv = conv.clone()
                conv[idx] = f1.norm(dim=1) < fmax
                res.fmax[idx] = f1.norm(dim=1)
            depth, where = interior_minimum_depth(res.energies)
        H = np.zeros((P, 3, 3))
        n_neg = np.ones(P, dtype=int)
        outside = np.zeros(P, dtype=bool)  # saddles where the network extrapolates
        if len(idx):
            rows_np = idx.cpu().numpy()
            H[rows_np] = hessians(surface, sx[idx], batch_size=batch_size).cpu().numpy()
            n_neg[rows_np] = (np.linalg.eigvalsh(H[rows_np]) < 0).sum(axis=1)
            outside[rows_np] = outside_domain(surface, sx[idx]).cpu().numpy()
        seconds["saddles"] += time.perf_counter() - t0

        conv_np, depth_np = conv.cpu().numpy(), depth.cpu().numpy()
        prof = res.energies.cpu().numpy()
        imgs = res.images.cpu().numpy()
        new_min = []
        for p in range(P):
            i, j, s = int(src[p]), int(dst[p]), [int(v) for v in shifts[p]]
            record = {
                "i": i,
                "j": j,
                "shift": s,
                "converged": bool(conv_np[p]),
                "saddle_energy": float(se[p]),
                "fmax": float(res.fmax[p]),
                "steps": int(res.steps[p]),
            }
            if depth_np[p] > interior_minimum:
                new_min.append(imgs[p, int(where[p])])
                rejected.append({**record, "reason": "composite", "converged": False})
                continue
            if not conv_np[p]:
                rejected.append({**record, "reason": "unconverged"})
                continue
            if float(se[p]) < max(G.nodes[i]["energy"], G.nodes[j]["energy"]):
                # the polished saddle lies below an end: that end is no separate minimum here
                rejected.append({**record, "reason": "saddle below an end", "converged": False})
                continue
            if outside[p]:  # the saddle lies where the network extrapolates
                rejected.append({**record, "reason": "outside model domain", "converged": False})
                continue
            if climb and n_neg[p] != 1:
                reason = "higher-order saddle" if n_neg[p] > 1 else "no saddle"
                rejected.append(
                    {**record, "reason": reason, "converged": False, "n_negative": int(n_neg[p])}
                )
                continue
            _add_hop(G, i, j, s, imgs[p], prof[p], int(ci[p]), H[p], cell_np, prefactor, sites.mass)
            counts["hops"] += 1

        if not new_min or _pass == max_passes - 1:
            break
        t0 = time.perf_counter()
        # interior minima next to a known site are that site; the others are merged, then relaxed
        trial = torch.as_tensor(np.array(new_min), **t)
        near = close_pairs(wrap(trial, cell, inv), cell, inv, merge_distance, pos_t)
        trial = trial[torch.as_tensor(~near.any(axis=1))]
        if guide and len(trial):  # relax on the guide first: most trials fall into known sites
            xg, eg, _, _ = minimise(neb_surface, trial, fmax=10 * site_fmax, batch_size=batch_size)
            near = close_pairs(wrap(xg, cell, inv), cell, inv, merge_distance, pos_t)
            keep_g = torch.as_tensor(~near.any(axis=1))
            trial, eg = xg[keep_g], eg[keep_g]
            trial = trial[
                torch.as_tensor(merge_minima(wrap(trial, cell, inv), eg, cell, merge_distance))
            ]
        e0 = evaluate(surface, trial, batch_size)[0]
        trial = trial[
            torch.as_tensor(merge_minima(wrap(trial, cell, inv), e0, cell, merge_distance))
        ]
        x, e, _, cv = minimise(surface, trial, fmax=site_fmax, batch_size=batch_size)
        keep = merge_minima(wrap(x, cell, inv), e, cell, merge_distance)
        keep = keep[~outside_domain(surface, x[keep]).cpu().numpy()]
        new, _ = make_sites(
            surface, x[keep], e[keep], cv[keep], species=species, mass=sites.mass,
            batch_size=batch_size,
        )  # fmt: skip
        if len(new):
            new_pos = torch.as_tensor(new.positions, **t)
            fresh = ~close_pairs(new_pos, cell, inv, merge_distance, pos_t).any(axis=1)
            new_idx = []
            for k in np.nonzero(fresh)[0]:
                n = len(G)
                add_site(
                    G,
                    n,
                    new.positions[k],
                    new.energies[k],
                    frequencies=[float(v) for v in new.frequencies[k]],
                    converged=bool(new.converged[k]),
                    added=True,
                )
                new_idx.append(n)
            if new_idx:
                sites = sites.extend(
                    Sites(
                        positions=new.positions[fresh],
                        energies=new.energies[fresh],
                        frequencies=new.frequencies[fresh],
                        hessians=new.hessians[fresh],
                        converged=new.converged[fresh],
                        cell=new.cell,
                        species=species,
                        mass=sites.mass,
                    )
                )
                pos_t = torch.cat([pos_t, new_pos[torch.as_tensor(fresh)]])
                counts["added_sites"] += len(new_idx)
        else:
            new_idx = []
        seconds["new_sites"] += time.perf_counter() - t0
        if not new_idx:
            break
        involving = np.asarray(new_idx)  # the next pass: hops of the new sites only

    reasons: dict[str, int] = {}
    for r in rejected:
        reasons[r["reason"]] = reasons.get(r["reason"], 0) + 1
    G.graph["search"] = {
        **counts,
        "rejected": reasons,
        "seconds": seconds,
        "n_images": n_images,
        "fmax": fmax,
        "spring": spring,
        "climb": climb,
        "max_distance": max_distance,
        "prefactor": prefactor,
        "interior_minimum": interior_minimum,
    }
    G.graph["rejected_hops"] = rejected
    return G


def _site_grid(
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


def _add_hop(
    G: nx.MultiDiGraph,
    i: int,
    j: int,
    shift: list[int],
    images: np.ndarray,
    profile: np.ndarray,
    ci: int,
    H_saddle: np.ndarray,
    cell: np.ndarray,
    prefactor: str,
    mass: float,
) -> None:
    """Two directed edges of one elementary hop (band from site i to site j's image ``shift``)."""
    saddle = images[ci]
    es = float(profile[ci])
    d = images[-1] - images[0]
    length = float(np.linalg.norm(d))
    path_length = float(np.linalg.norm(np.diff(images, axis=0), axis=1).sum())
    if prefactor == "vineyard":
        fs = harmonic_frequencies(H_saddle, mass)
        nu_ij = _vineyard(np.asarray(G.nodes[i]["frequencies"]), fs)
        nu_ji = _vineyard(np.asarray(G.nodes[j]["frequencies"]), fs)
    else:
        nu_ij = nu_ji = DEFAULT_PREFACTOR_HZ
    add_hop(
        G, i, j, shift, es,
        saddle=saddle,
        profile=profile,
        cell=cell,
        prefactor=nu_ij,
        reverse_prefactor=nu_ji,
        saddle_energy=es,
        length=length,
        path_length=path_length,
        converged=True,
    )  # fmt: skip


def _position_key(x: np.ndarray) -> tuple[float, ...]:
    """A position (Å) rounded to 1e-6 Å: the key of a checkpointed reference calculation."""
    return tuple(round(float(c), 6) for c in x)


def _read_checkpoint(path: str | Path | None) -> dict[tuple[float, ...], dict]:
    """Finished calculations of a :func:`validate_hops` checkpoint (a torn last line is ignored)."""
    done: dict[tuple[float, ...], dict] = {}
    if path is None or not Path(path).is_file():
        return done
    for line in Path(path).read_text().splitlines():
        try:
            rec = json.loads(line)
            done[_position_key(rec["position"])] = {
                "energy": float(rec["energy"]),
                "converged": bool(rec["converged"]),
            }
        except (ValueError, KeyError, TypeError):
            continue  # a line cut by a crash: computed again
    return done


def validate_hops(
    surface: EnergySurface,
    G: nx.MultiDiGraph,
    host,
    calculator,
    *,
    n_hops: int = 10,
    species: str | None = None,
    fmax: float = 0.05,
    relax_radius: float | None = None,
    max_steps: int | None = None,
    optimizer: str | None = None,
    neb_fmax: float | None = None,
    spring: float | None = None,
    progress: bool = True,
    checkpoint: str | Path | None = None,
) -> dict:
    """Reference energies along NNP hops: the barrier error of the network (issue 6 item 4c).

    ``n_hops`` hops of ``G`` (one direction each, starting from the lower site, spread evenly over
    the sorted barriers) are relaxed again on ``surface`` with the band settings of ``G``, each
    band starting through the hop's stored ``saddle`` (straight when a hop of ``G`` has none), and at
    every image the reference calculator gives the total energy with the host relaxed around the
    fixed mobile atom (:func:`landscape.reference.relax_insertion`). Barriers are energy
    differences along one band, so absolute energies of the two methods are never mixed.

    Parameters
    ----------
    surface
        The EnergySurface the network was made with (the NNP bound to ``host``).
    G : networkx.MultiDiGraph
        Hop network of :func:`find_hops`.
    host : ase.Atoms
        The host structure.
    calculator : ase.calculators.calculator.Calculator
        Reference calculator.
    n_hops : int
        Hops checked.
    species : str, optional
        Mobile species (default ``G.graph["species"]``).
    fmax : float
        Host relaxation criterion, eV/Å.
    relax_radius : float, optional
        Only host atoms this close to the mobile atom relax, Å.
    max_steps : int, optional
        Host relaxation steps at most.
    optimizer : str, optional
        Host relaxation optimiser (``"BFGS"``, ``"LBFGS"``, ``"FIRE"``; default that of
        :func:`landscape.reference.relax_insertion`).
    neb_fmax, spring : float, optional
        Band convergence (eV/Å) and spring (eV/Å²); default those recorded in ``G``.
    progress : bool
        Progress bar over the reference calculations.
    checkpoint : str or Path, optional
        JSON-lines file: every finished reference calculation is appended at once (image position
        in Å, energy in eV, convergence), and a re-run with the same file reuses the calculations
        of the same positions, so an interrupted validation resumes instead of starting again.

    Returns
    -------
    dict
        ``hops``: one record per hop (``i``, ``j``, ``shift``, ``barrier_network``, ``barrier_nnp``
        and ``barrier_reference`` in eV, ``profile_nnp`` and ``profile_reference`` relative to the
        first image in eV, ``images``: the mobile atom's positions along the band in Å (Cartesian,
        not wrapped), ``band_converged``: the NNP band converged, ``converged``: every host
        relaxation converged); ``mae`` and ``max_abs_error`` of the barriers (eV) over the
        ``n_converged`` hops whose band converged and whose reference relaxations all converged
        (``None`` if none did: an unconverged relaxation's energy is not the relaxed one, and one
        such image can put a barrier tens of eV off; an unconverged band is not a path);
        ``n_band_unconverged``; ``mae_all`` and ``max_abs_error_all`` over all ``n_hops``
        (:func:`validation_errors`); ``n_calculations``; ``seconds``.
    """
    from tqdm.auto import tqdm

    from .reference import relax_insertion

    search = G.graph.get("search", {})
    hops = sorted(
        (
            (u, v, d)
            for u, v, d in G.edges(data=True)
            if (G.nodes[u]["energy"], u) <= (G.nodes[v]["energy"], v)
        ),
        key=lambda h: h[2]["barrier"],
    )
    if not hops:
        raise InputError("the network has no hop to validate")
    if n_hops < 1:
        raise InputError(f"n_hops must be >= 1, got {n_hops}")
    pick = np.unique(np.linspace(0, len(hops) - 1, min(n_hops, len(hops))).round().astype(int))
    chosen = [hops[k] for k in pick]
    cell = surface.cell
    t = dict(dtype=cell.dtype, device=cell.device)
    cell_np = np.asarray(G.graph["cell"], dtype=float)
    start = np.array([G.nodes[u]["position"] for u, _, _ in chosen])
    end = np.array(
        [
            np.asarray(G.nodes[v]["position"]) + np.asarray(d["shift"]) @ cell_np
            for _, v, d in chosen
        ]
    )
    n_images = len(chosen[0][2].get("profile", [])) or search.get("n_images", DEFAULTS.neb_images)
    via = None
    if all(d.get("saddle") is not None for _, _, d in chosen):
        # each band starts through the hop's own saddle (the image nearest the hop's midpoint),
        # so that it relaxes to the network's path: a straight start through a host atom's wall
        # or over a hill the path goes around relaxes to another band, or does not converge
        mid = torch.as_tensor(0.5 * (start + end), **t)
        saddle = torch.as_tensor(np.array([d["saddle"] for _, _, d in chosen]), **t)
        via = mid + min_image(saddle - mid, cell, torch.linalg.inv(cell))
    t0 = time.perf_counter()
    res = batched_neb(
        surface,
        torch.as_tensor(start, **t),
        torch.as_tensor(end, **t),
        n_images=n_images,
        fmax=neb_fmax or search.get("fmax", DEFAULTS.neb_fmax),
        spring=spring or search.get("spring", 0.5),
        early_composite=None,
        via=via,
    )
    images = res.images.cpu().numpy()
    e_nnp = res.energies.cpu().numpy()
    species = species or G.graph.get("species", "Cu")
    kwargs: dict[str, Any] = {} if max_steps is None else {"max_steps": max_steps}
    if optimizer is not None:
        kwargs["optimizer"] = optimizer
    bar = tqdm(total=images.shape[0] * images.shape[1], desc="reference", disable=not progress)
    done = _read_checkpoint(checkpoint)
    records = []
    for p, (u, v, d) in enumerate(chosen):
        energies, ok = [], True
        for x in images[p]:
            key = _position_key(x)
            if key not in done:
                r = relax_insertion(
                    host, x, calculator, species=species, fmax=fmax, relax_radius=relax_radius,
                    **kwargs,
                )  # fmt: skip
                done[key] = {"energy": float(r["energy"]), "converged": bool(r["converged"])}
                if checkpoint is not None:
                    with open(checkpoint, "a") as fh:
                        fh.write(
                            json.dumps({"position": [float(c) for c in x], **done[key]}) + "\n"
                        )
            energies.append(done[key]["energy"])
            ok &= done[key]["converged"]
            bar.update(1)
        ref = np.asarray(energies) - energies[0]
        nnp = e_nnp[p] - e_nnp[p, 0]
        records.append(
            {
                "i": int(u),
                "j": int(v),
                "shift": [int(s) for s in d["shift"]],
                "barrier_network": float(d["barrier"]),
                "barrier_nnp": float(nnp.max()),
                "barrier_reference": float(ref.max()),
                "profile_nnp": [float(e) for e in nnp],
                "profile_reference": [float(e) for e in ref],
                "images": images[p].tolist(),
                "band_converged": bool(res.converged[p]),
                "converged": ok,
            }
        )
    bar.close()
    return {
        "sample_id": G.graph.get("sample_id"),
        "hops": records,
        **validation_errors(records),
        "n_calculations": int(images.shape[0] * images.shape[1]),
        "seconds": time.perf_counter() - t0,
    }


def describe_validation(stats: dict) -> str:
    """One line on :func:`validation_errors`' figures: "barrier MAE 0.035 eV (largest error 0.162
    eV) on 30 hops", naming the hops left out and why (a reference relaxation or the NNP band did
    not converge)."""
    n, k = int(stats["n_hops"]), int(stats["n_converged"])
    band = int(stats.get("n_band_unconverged") or 0)
    if stats["mae"] is None:
        return f"no hop of {n} has a converged NNP band and converged reference relaxations"
    text = (
        f"barrier MAE {stats['mae']:.3f} eV (largest error {stats['max_abs_error']:.3f} eV) on "
        f"{k} hops"
    )
    if k < n:
        why = []
        if n - k - band > 0:
            why.append(f"a reference relaxation did not converge: {n - k - band}")
        if band:
            why.append(f"the NNP band did not converge: {band}")
        text += f"; {n - k} of {n} left out ({'; '.join(why)}; MAE over all {n}: "
        text += f"{stats['mae_all']:.3f} eV)"
    return text


def converged_mask(hops: list[dict]) -> np.ndarray:
    """(n,) bool: which validated hops count: the NNP band converged (``band_converged``) and every
    reference relaxation along it converged (``converged``); a missing key counts as converged.

    A band that did not converge is not a path: its images can wander over periodic images of
    the sites (seen: images 15-23 Å apart, one reference image 11.7 eV up), so its two barriers
    measure nothing."""
    return np.array(
        [bool(h.get("converged", True)) and bool(h.get("band_converged", True)) for h in hops],
        dtype=bool,
    )


def validation_errors(hops: list[dict]) -> dict:
    """Barrier errors of validated hops (records of :func:`validate_hops`), eV.

    ``mae`` and ``max_abs_error`` over the ``n_converged`` hops whose NNP band converged and
    whose reference relaxations all converged (``None`` if none did; :func:`converged_mask`),
    ``n_band_unconverged`` the hops left out because their band did not converge, ``mae_all``
    and ``max_abs_error_all`` over all ``n_hops``.
    """
    err = np.abs([h["barrier_nnp"] - h["barrier_reference"] for h in hops], dtype=float)
    ok = converged_mask(hops)
    return {
        "mae": float(err[ok].mean()) if ok.any() else None,
        "max_abs_error": float(err[ok].max()) if ok.any() else None,
        "n_converged": int(ok.sum()),
        "n_band_unconverged": sum(not h.get("band_converged", True) for h in hops),
        "n_hops": len(hops),
        "mae_all": float(err.mean()) if len(err) else None,
        "max_abs_error_all": float(err.max()) if len(err) else None,
    }
