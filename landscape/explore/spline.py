"""A periodic tricubic B-spline through a surface tabulated on a grid: the cheap guide of the searches.

:class:`SplineSurface` is not analytic: it interpolates any surface tabulated on a periodic grid
(tricubic B-spline), a cheap guide on which many NEB bands are relaxed before their saddles are
polished on the surface itself (:func:`landscape.explore.find_hops`, ``guide=``), and on which the
site search relaxes its grid minima first (:func:`landscape.explore.find_sites`, ``guide=``).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..config import DEFAULTS
from ..errors import InputError
from .grid import tabulate
from .surfaces import SurfaceBase

__all__ = ["SplineSurface"]


class SplineSurface(SurfaceBase):
    """Periodic tricubic B-spline through energies tabulated on a regular fractional grid.

    The table holds ``values[a, b, c] = E((a/n1, b/n2, c/n3) @ cell)``; the interpolant passes
    exactly through every grid value (B-spline coefficients by an FFT prefilter), is twice
    continuously differentiable and periodic, and costs 64 coefficient look-ups per position, so
    it is orders of magnitude cheaper than a neural-network surface. Its error against the
    tabulated surface is ``O(h⁴)`` in the grid spacing ``h``; measure it with
    :meth:`interpolation_error` before trusting anything but a guide.

    Energies far above the lowest value are brought smoothly under a ceiling ``E_min + ceiling``
    (soft minimum, ``ceiling − softplus(ceiling − E)`` with a sharpness of 2 /eV; energies more than
    3 eV below the ceiling move by less than 1.3 meV), and points that could not be tabulated
    (``inf``/``nan``, e.g. inside host atoms) are filled by harmonic inpainting (the average of their
    six grid neighbours), so that the spline does not ring at the edge of the tabulated region.
    Inside that region the spline means nothing: keep paths out of it.

    Parameters
    ----------
    cell : array (3, 3)
        Lattice vectors as rows, Å.
    values : array (n1, n2, n3)
        Energies on the grid, eV (``inf`` where not tabulated).
    ceiling : float
        Height of the ceiling above the lowest finite value, eV.
    host : ase.Atoms, optional
        The host the table belongs to (kept as ``host`` so callers can skip host atoms).
    chunk : int
        Positions per evaluation chunk (memory ``64·chunk`` numbers).
    """

    def __init__(
        self,
        cell: np.ndarray,
        values: np.ndarray,
        *,
        ceiling: float = 6.0,
        host=None,
        species: str = "Cu",
        dtype: torch.dtype = torch.float64,
        device: str = "cpu",
        chunk: int = 65536,
    ) -> None:
        super().__init__(cell, species=species, dtype=dtype, device=device)
        v = torch.as_tensor(np.asarray(values, dtype=float), dtype=dtype, device=device)
        if v.ndim != 3 or min(v.shape) < 4:
            raise InputError(
                f"values must be a 3D grid with >= 4 points per axis, got {tuple(v.shape)}"
            )
        finite = torch.isfinite(v)
        if not finite.any():
            raise InputError("values holds no finite energy; expected a tabulated surface in eV")
        if ceiling <= 0:
            raise InputError(f"ceiling must be > 0 eV, got {ceiling}")
        top = v[finite].min() + ceiling
        soft = top - torch.nn.functional.softplus(top - torch.where(finite, v, top), beta=2.0)
        soft = _inpaint(soft, ~finite)
        self.shape = tuple(int(n) for n in v.shape)
        spec = torch.fft.fftn(soft)
        for axis, n in enumerate(self.shape):
            k = torch.arange(n, dtype=dtype, device=device)
            b = (4.0 + 2.0 * torch.cos(2.0 * math.pi * k / n)) / 6.0  # B-spline at integers
            spec = spec / b.reshape([-1 if a == axis else 1 for a in range(3)])
        self.coefficients = torch.fft.ifftn(spec).real.contiguous()  # (n1, n2, n3)
        self.values = soft
        self.host = host
        self.inv_cell = torch.linalg.inv(self.cell)
        self.chunk = int(chunk)

    @classmethod
    def from_surface(
        cls,
        surface,
        *,
        spacing: float = 0.2,
        min_host_distance: float = DEFAULTS.min_host_distance,
        ceiling: float = 6.0,
        batch_size: int = 8192,
        progress: bool = False,
    ) -> SplineSurface:
        """Tabulate ``surface`` on a grid no coarser than ``spacing`` (Å) along each lattice vector,
        skipping points closer than ``min_host_distance`` (Å) to a host atom (when the surface
        has ``host``), and interpolate it."""
        cell = surface.cell
        shape, _, values, _ = tabulate(
            surface, spacing, min_host_distance, batch_size=batch_size, progress=progress
        )
        host = getattr(surface, "host", None)
        return cls(
            cell.cpu().numpy(),
            values.reshape(shape).cpu().numpy(),
            ceiling=ceiling,
            host=host,
            species=getattr(surface, "species", "Cu") or "Cu",
            dtype=cell.dtype,
            device=str(cell.device),
        )

    def _local(self, x: torch.Tensor):
        """The 4×4×4 coefficients around each position (c, 4, 4, 4), the B-spline weights and their
        derivatives per axis (c, 3, 4), and the grid shape as a tensor."""
        n1, n2, n3 = self.shape
        n = torch.as_tensor(self.shape, dtype=x.dtype, device=x.device)
        u = (x @ self.inv_cell) * n  # (c, 3) grid units
        i0 = torch.floor(u)
        t = u - i0  # (c, 3) in [0, 1)
        t2, t3 = t * t, t * t * t
        w = torch.stack(
            [
                (1 - t) ** 3 / 6,
                (3 * t3 - 6 * t2 + 4) / 6,
                (-3 * t3 + 3 * t2 + 3 * t + 1) / 6,
                t3 / 6,
            ],
            dim=-1,
        )  # (c, 3, 4)
        dw = torch.stack(
            [-((1 - t) ** 2) / 2, (3 * t2 - 4 * t) / 2, (-3 * t2 + 2 * t + 1) / 2, t2 / 2], dim=-1
        )  # (c, 3, 4) d/du
        idx = i0.long()[:, :, None] + torch.arange(-1, 3, device=x.device)  # (c, 3, 4)
        for axis, m in enumerate(self.shape):
            idx[:, axis] %= m
        lin = (
            idx[:, 0, :, None, None] * (n2 * n3)
            + idx[:, 1, None, :, None] * n3
            + idx[:, 2, None, None, :]
        )  # (c, 4, 4, 4)
        return self.coefficients.reshape(-1)[lin], w, dw, n

    def energy_and_forces(self, positions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Energies (n,) eV and forces (n, 3) eV/Å at positions (n, 3) Å."""
        x = self._check(positions)
        energies, forces = [], []
        for start in range(0, len(x), self.chunk):
            c, w, dw, n = self._local(x[start : start + self.chunk])
            e = torch.einsum("cijk,ci,cj,ck->c", c, w[:, 0], w[:, 1], w[:, 2])
            g = (
                torch.stack(
                    [
                        torch.einsum("cijk,ci,cj,ck->c", c, dw[:, 0], w[:, 1], w[:, 2]),
                        torch.einsum("cijk,ci,cj,ck->c", c, w[:, 0], dw[:, 1], w[:, 2]),
                        torch.einsum("cijk,ci,cj,ck->c", c, w[:, 0], w[:, 1], dw[:, 2]),
                    ],
                    dim=1,
                )
                * n
            )  # (c, 3) dE/du (fractional)
            energies.append(e)
            forces.append(-(g @ self.inv_cell.T))  # dE/dr_a = sum_k inv[a, k] dE/du_k
        if not energies:
            return x.new_zeros(0), x.new_zeros(0, 3)
        return torch.cat(energies), torch.cat(forces)

    def energy(self, positions: torch.Tensor) -> torch.Tensor:
        """Energies (n,) in eV at Cartesian positions (n, 3) in Å."""
        x = self._check(positions)
        out = []
        for start in range(0, len(x), self.chunk):
            c, w, _, _ = self._local(x[start : start + self.chunk])
            out.append(torch.einsum("cijk,ci,cj,ck->c", c, w[:, 0], w[:, 1], w[:, 2]))
        return torch.cat(out) if out else x.new_zeros(0)

    def interpolation_error(self, surface, positions: torch.Tensor) -> dict[str, float]:
        """Energy and force errors (eV, eV/Å) of the spline against ``surface`` at ``positions``:
        mean absolute and largest, as a dict."""
        e0, f0 = surface.energy_and_forces(positions)
        e1, f1 = self.energy_and_forces(positions)
        de, df = (e1 - e0.detach()).abs(), (f1 - f0.detach()).norm(dim=1)
        return {
            "energy_mae": float(de.mean()),
            "energy_max": float(de.max()),
            "force_mae": float(df.mean()),
            "force_max": float(df.max()),
        }


def _inpaint(v: torch.Tensor, holes: torch.Tensor, sweeps: int = 200) -> torch.Tensor:
    """Fill ``holes`` of a periodic 3D grid by Jacobi sweeps of the six-neighbour average (a
    discrete harmonic fill); the other values stay fixed."""
    if not holes.any():
        return v
    out = torch.where(holes, v[~holes].max(), v)
    for _ in range(sweeps):
        avg = sum(torch.roll(out, s, d) for d in range(3) for s in (1, -1)) / 6.0
        out = torch.where(holes, avg, out)
    return out
