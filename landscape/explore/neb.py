"""Batched climbing-image NEB: many bands relaxed together as one tensor problem.

Every band has ``n_images`` images, and *all* bands advance together as one tensor problem of shape
``(n_paths, n_images, 3)``: one surface call per step for every interior image of every band. The
NEB force uses the improved tangent and spring force of Henkelman & Jónsson, J. Chem. Phys. 113,
9978 (2000), Eqs. (8)–(12); the climbing image of Henkelman, Uberuaga & Jónsson, J. Chem. Phys.
113, 9901 (2000), Eq. (5); bands are relaxed with FIRE, each with its own time step, and frozen one
by one as they converge. :func:`interior_minimum_depth` tells composite bands (an interior minimum)
from elementary hops. The hop search built on it is :func:`landscape.explore.find_hops`.
"""

from __future__ import annotations

import math

import torch

from ..config import DEFAULTS
from ..contracts import EnergySurface
from ..errors import InputError
from .grid import evaluate
from .minimise import BatchedFIRE

__all__ = ["batched_neb", "initial_bands", "interior_minimum_depth", "NEBResult"]


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


def initial_bands(
    start: torch.Tensor, end: torch.Tensor, n_images: int, via: torch.Tensor | None = None
) -> torch.Tensor:
    """Initial bands (P, N, 3), Å, of ``n_images`` images from ``start`` (P, 3) to ``end`` (P, 3):
    straight lines, or through ``via`` (P, 3) with the images spread evenly by length along
    start → via → end (in the dtype and on the device of ``start``)."""
    t = dict(dtype=start.dtype, device=start.device)
    N = n_images
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
    return X


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
    X = initial_bands(start, end, N, via)  # (P, N, 3)
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
