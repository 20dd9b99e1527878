"""Energies of an EnergySurface on a fractional grid of its cell, and the batched evaluation that the
site and hop searches share.

The grid samples each lattice vector no coarser than a spacing (Å); points closer than a distance to
a host atom (periodic) are skipped. Everything runs in the surface's dtype and on its device.
"""

from __future__ import annotations

import math

import torch

from ..contracts import EnergySurface, check_surface
from ..geometry import min_image, wrap

__all__ = ["evaluate", "grid_energies", "grid_points", "host_mask", "tabulate", "outside_domain"]


def evaluate(
    surface: EnergySurface, x: torch.Tensor, batch_size: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Energies (n,) eV and forces (n, 3) eV/Å in batches, detached, positions wrapped first."""
    cell, inv = surface.cell, torch.linalg.inv(surface.cell)
    xw = wrap(x.detach(), cell, inv)
    es, fs = [], []
    for s in range(0, len(xw), batch_size):
        e, f = surface.energy_and_forces(xw[s : s + batch_size])
        es.append(e.detach().reshape(-1))
        fs.append(f.detach().reshape(-1, 3))
    if not es:
        return x.new_zeros(0), x.new_zeros(0, 3)
    return torch.cat(es).to(x.dtype), torch.cat(fs).to(x.dtype)


def grid_energies(surface: EnergySurface, x: torch.Tensor, batch_size: int) -> torch.Tensor:
    """Energies (n,) eV only: ``surface.energy`` when it has one (no forces, cheaper)."""
    energy = getattr(surface, "energy", None)
    if energy is None:
        return evaluate(surface, x, batch_size)[0]
    out = [energy(x[s : s + batch_size]).detach().reshape(-1) for s in range(0, len(x), batch_size)]
    return torch.cat(out).to(x.dtype) if out else x.new_zeros(0)


def grid_points(cell: torch.Tensor, spacing: float) -> tuple[tuple[int, int, int], torch.Tensor]:
    """The fractional grid no coarser than ``spacing`` (Å) along each lattice vector: its shape and
    Cartesian points (G, 3) Å in C order."""
    lengths = cell.norm(dim=1)
    shape = tuple(max(1, math.ceil(float(L) / spacing - 1e-9)) for L in lengths)
    axes = [torch.arange(n, dtype=cell.dtype, device=cell.device) / n for n in shape]
    frac = torch.stack(torch.meshgrid(*axes, indexing="ij"), dim=-1).reshape(-1, 3)  # (G, 3)
    return shape, frac @ cell


def host_mask(
    points: torch.Tensor, host, cell: torch.Tensor, inv: torch.Tensor, cutoff: float
) -> torch.Tensor:
    """True where a point is closer than ``cutoff`` Å (periodic) to any host atom."""
    atoms = torch.as_tensor(host.positions, dtype=cell.dtype, device=cell.device)  # (A, 3)
    mask = torch.zeros(len(points), dtype=torch.bool, device=cell.device)
    chunk = max(1, 2_000_000 // (27 * max(1, len(atoms))))
    for s in range(0, len(points), chunk):
        d = min_image(points[s : s + chunk, None, :] - atoms[None], cell, inv)  # (c, A, 3)
        mask[s : s + chunk] = (d.norm(dim=-1) < cutoff).any(dim=1)
    return mask


def tabulate(
    surface: EnergySurface,
    spacing: float,
    min_host_distance: float,
    *,
    batch_size: int = 65536,
    progress: bool = False,
) -> tuple[tuple[int, int, int], torch.Tensor, torch.Tensor, torch.Tensor]:
    """Energies of a surface on the fractional grid no coarser than ``spacing`` (Å).

    Points closer than ``min_host_distance`` (Å, periodic) to a host atom (when the surface has a
    ``host``) are skipped and hold ``inf``.

    Returns
    -------
    shape : (n1, n2, n3)
    points : Tensor (G, 3)
        Cartesian grid points, Å, in C order of ``shape``.
    energies : Tensor (G,)
        eV (``inf`` where skipped).
    skipped : Tensor (G,) bool
    """
    from tqdm.auto import tqdm

    cell, inv = check_surface(surface)
    shape, points = grid_points(cell, spacing)
    host = getattr(surface, "host", None)
    skip = (
        host_mask(points, host, cell, inv, min_host_distance)
        if host is not None and len(host) and min_host_distance > 0
        else torch.zeros(len(points), dtype=torch.bool, device=cell.device)
    )
    energies = torch.full((len(points),), math.inf, dtype=cell.dtype, device=cell.device)
    todo = torch.nonzero(~skip).flatten()
    chunk = min(batch_size, 8192)  # several chunks, so that a progress bar moves
    for s in tqdm(range(0, len(todo), chunk), desc="grid", disable=not progress, leave=False):
        idx = todo[s : s + chunk]
        energies[idx] = grid_energies(surface, points[idx], batch_size)
    return shape, points, energies, skip


def outside_domain(surface: EnergySurface, x: torch.Tensor) -> torch.Tensor:
    """Boolean (n,): positions closer to a host atom than the surface's own ``min_host_distance``
    (Å; the NNP's training domain), where it extrapolates. All False for a surface without one."""
    domain = getattr(surface, "min_host_distance", None)
    host = getattr(surface, "host", None)
    if domain is None or host is None or len(x) == 0:
        return torch.zeros(len(x), dtype=torch.bool, device=x.device)
    cell, inv = check_surface(surface)
    return host_mask(x, host, cell, inv, float(domain))
