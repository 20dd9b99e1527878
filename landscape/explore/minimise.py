"""Batched minimisation on any EnergySurface: FIRE, a Newton polish, finite-difference Hessians.

Many independent points (or NEB bands) relax together as one tensor problem: one surface call per
step for all of them. Everything runs in the surface's dtype and on its device
(``surface.cell.dtype``/``.device``).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..config import DEFAULTS
from ..contracts import EnergySurface
from ..units import EV_A2_AMU_TO_THZ
from .grid import evaluate, outside_domain

__all__ = ["BatchedFIRE", "harmonic_frequencies", "hessians", "minimise", "newton_polish"]


def _fd_step(dtype: torch.dtype) -> float:
    return 1e-3 if dtype == torch.float64 else 1e-2


def hessians(
    surface: EnergySurface,
    positions: torch.Tensor,
    *,
    step: float | None = None,
    batch_size: int = 65536,
) -> torch.Tensor:
    """Hessians of the surface at many positions, by central differences of the forces.

    Parameters
    ----------
    surface
        An EnergySurface.
    positions : Tensor (n, 3)
        Cartesian positions, Å.
    step : float, optional
        Finite-difference step, Å (default 1e-3 in float64, 1e-2 in float32).
    batch_size : int
        Points per surface call.

    Returns
    -------
    Tensor (n, 3, 3)
        Symmetrised Hessians ``∂²E/∂x_a∂x_b``, eV/Å² (error O(step²)).
    """
    cell = surface.cell
    x = torch.as_tensor(positions, dtype=cell.dtype, device=cell.device).reshape(-1, 3)
    h = _fd_step(cell.dtype) if step is None else float(step)
    eye = torch.eye(3, dtype=cell.dtype, device=cell.device) * h  # (3, 3)
    disp = torch.cat([eye, -eye])  # (6, 3)
    pts = (x[:, None, :] + disp[None]).reshape(-1, 3)  # (n*6, 3)
    _, f = evaluate(surface, pts, batch_size)
    f = f.reshape(-1, 6, 3)
    H = -(f[:, :3, :] - f[:, 3:, :]) / (2 * h)  # (n, 3 displaced axes, 3 force components)
    return 0.5 * (H + H.transpose(1, 2))


def harmonic_frequencies(hessian: np.ndarray, mass: float) -> np.ndarray:
    """Harmonic frequencies ``ν = sqrt(λ / m) / 2π`` in THz of Hessians (..., 3, 3) eV/Å².

    Eigenvalues ``λ`` (ascending) of each Hessian; a negative ``λ`` gives a negative number
    ``−sqrt(|λ| / m) / 2π`` (an imaginary frequency, marked by its sign). ``mass`` in amu.
    """
    lam = np.linalg.eigvalsh(np.asarray(hessian, dtype=float))
    return np.sign(lam) * np.sqrt(np.abs(lam) / mass) * EV_A2_AMU_TO_THZ


class BatchedFIRE:
    """FIRE (Bitzek et al., PRL 97, 170201 (2006)) for B independent systems of M points each.

    Same parameters as :class:`ase.optimize.FIRE`; every system has its own time step, mixing
    and counter. The step is limited to ``maxstep`` Å per point.
    """

    def __init__(
        self,
        shape: tuple[int, int],
        like: torch.Tensor,
        *,
        dt: float = 0.1,
        maxstep: float = 0.2,
        dtmax: float = 1.0,
        nmin: int = 5,
        finc: float = 1.1,
        fdec: float = 0.5,
        astart: float = 0.1,
        fa: float = 0.99,
    ) -> None:
        b, m = shape
        self.v = like.new_zeros(b, m, 3)
        self.dt = like.new_full((b,), dt)
        self.a = like.new_full((b,), astart)
        self.n = torch.zeros(b, dtype=torch.long, device=like.device)
        self.first = torch.ones(b, dtype=torch.bool, device=like.device)
        self.maxstep, self.dtmax, self.nmin = maxstep, dtmax, nmin
        self.finc, self.fdec, self.astart, self.fa = finc, fdec, astart, fa

    def step(self, x: torch.Tensor, f: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        """Return new positions of systems ``idx``: x, f are (len(idx), M, 3)."""
        v, dt, a, n = self.v[idx], self.dt[idx], self.a[idx], self.n[idx]
        vf = (v * f).sum((1, 2))  # (b,)
        up = (vf > 0) | self.first[idx]
        fn = f.square().sum((1, 2)).sqrt().clamp_min(1e-300)
        vn = v.square().sum((1, 2)).sqrt()
        mixed = (1 - a)[:, None, None] * v + (a * vn / fn)[:, None, None] * f
        v = torch.where(up[:, None, None], mixed, torch.zeros_like(v))
        grow = up & (n > self.nmin)
        dt = torch.where(grow, (dt * self.finc).clamp_max(self.dtmax), dt)
        a = torch.where(grow, a * self.fa, a)
        n = torch.where(up, n + 1, torch.zeros_like(n))
        dt = torch.where(up, dt, dt * self.fdec)
        a = torch.where(up, a, torch.full_like(a, self.astart))
        v = v + dt[:, None, None] * f
        dr = dt[:, None, None] * v  # (b, M, 3)
        norm = dr.square().sum(-1, keepdim=True).sqrt()
        dr = dr * torch.clamp(self.maxstep / norm.clamp_min(1e-300), max=1.0)
        self.v[idx], self.dt[idx], self.a[idx], self.n[idx] = v, dt, a, n
        self.first[idx] = False
        return x + dr


def newton_polish(
    surface: EnergySurface,
    x: torch.Tensor,
    e: torch.Tensor,
    f: torch.Tensor,
    *,
    n_negative: int,
    target: float,
    max_iter: int = 8,
    max_step: float = 0.2,
    batch_size: int = 65536,
    hessian_surface=None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Newton steps ``x ← x + H⁻¹F`` towards stationary points with ``n_negative`` negative Hessian
    eigenvalues (0: minima, 1: first-order saddles). A step is taken only where the Hessian has
    that signature, the step is shorter than ``max_step`` Å and the force norm decreases.
    ``hessian_surface`` (e.g. a cheap spline of ``surface``) supplies the Hessians instead of
    ``surface``: quasi-Newton steps, one evaluation of ``surface`` per step instead of seven."""
    x, e, f = x.clone(), e.clone(), f.clone()
    hs = surface if hessian_surface is None else hessian_surface
    for _ in range(max_iter):
        todo = torch.nonzero(f.norm(dim=1) > target).flatten()
        if len(todo) == 0:
            break
        H = hessians(hs, x[todo], batch_size=batch_size)  # (t, 3, 3)
        lam = torch.linalg.eigvalsh(H)  # (t, 3)
        ok = (lam < 0).sum(1) == n_negative
        ok &= lam.abs().min(1).values > 1e-6
        dx = torch.linalg.solve(torch.where(ok[:, None, None], H, torch.eye(3).to(H)), f[todo])
        ok &= dx.norm(dim=1) < max_step
        if not ok.any():
            break
        sel = todo[ok]
        xt = x[sel] + dx[ok]
        et, ft = evaluate(surface, xt, batch_size)
        better = ft.norm(dim=1) < f[sel].norm(dim=1)
        if not better.any():
            break
        sel = sel[better]
        x[sel], e[sel], f[sel] = xt[better], et[better], ft[better]
    return x, e, f


def minimise(
    surface: EnergySurface,
    positions: torch.Tensor,
    *,
    fmax: float = DEFAULTS.site_fmax,
    max_steps: int = 2000,
    batch_size: int = 65536,
    polish: bool = True,
    progress: bool = False,
    hessian_surface=None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Relax many independent starting points at once to local minima of the surface.

    FIRE on all points together (each with its own time step) until ``|F| < max(fmax, 0.02)``,
    then Newton steps with the finite-difference Hessian, then FIRE again for the points still
    above ``fmax``. Points that enter the region outside the surface's domain
    (:func:`outside_domain`) are abandoned there (energy ``inf``, not converged).

    Parameters
    ----------
    surface
        An EnergySurface.
    positions : Tensor (n, 3)
        Starting points, Å.
    fmax : float
        Force norm at convergence, eV/Å.
    max_steps : int
        FIRE steps at most (both FIRE phases together).
    batch_size : int
        Points per surface call.
    polish : bool
        Use the Newton polish.
    progress : bool
        Show a progress bar.
    hessian_surface : optional
        A cheap stand-in for the surface (a :class:`~landscape.explore.SplineSurface` of it)
        whose Hessians drive quasi-Newton steps before the full Newton polish.

    Returns
    -------
    positions : Tensor (n, 3)
        Relaxed positions, Å (not wrapped).
    energies : Tensor (n,)
        eV.
    forces : Tensor (n, 3)
        eV/Å.
    converged : Tensor (n,) bool
        ``|F| < fmax``.
    """
    from tqdm.auto import tqdm

    cell = surface.cell
    x = torch.as_tensor(positions, dtype=cell.dtype, device=cell.device).reshape(-1, 3).clone()
    e, f = evaluate(surface, x, batch_size)
    fire = BatchedFIRE((len(x), 1), x)
    steps_done = 0
    bar = tqdm(total=max_steps, desc="minimise", disable=not progress, leave=False)

    def run_fire(goal: float, budget: int) -> None:
        nonlocal steps_done
        for _ in range(budget):
            active = torch.nonzero(torch.isfinite(e) & (f.norm(dim=1) >= goal)).flatten()
            bar.set_postfix(active=len(active))
            if len(active) == 0:
                return
            xa = fire.step(x[active, None, :], f[active, None, :], active)[:, 0, :]
            ea, fa = evaluate(surface, xa, batch_size)
            ea = torch.where(outside_domain(surface, xa), torch.full_like(ea, math.inf), ea)
            x[active], e[active], f[active] = xa, ea, fa
            steps_done += 1
            bar.update(1)

    if polish:
        run_fire(max(fmax, 0.02), max_steps)
        xp, ep, fp = x, e, f
        if hessian_surface is not None:
            xp, ep, fp = newton_polish(
                surface, xp, ep, fp, n_negative=0, target=0.1 * fmax, max_iter=10,
                batch_size=batch_size, hessian_surface=hessian_surface,
            )  # fmt: skip
        xp, ep, fp = newton_polish(
            surface, xp, ep, fp, n_negative=0, target=0.1 * fmax, batch_size=batch_size
        )
        x.copy_(xp), e.copy_(ep), f.copy_(fp)
        fire.first[:] = True
        fire.v.zero_()
    run_fire(fmax, max_steps - steps_done)
    bar.close()
    return x, e, f, torch.isfinite(e) & (f.norm(dim=1) < fmax)
