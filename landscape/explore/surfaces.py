"""Analytic energy surfaces with known minima and saddles, and an ASE calculator wrapping any surface.

An *EnergySurface* (docs/design.md) is any object with ``cell`` (torch tensor (3, 3), rows are lattice
vectors, Å) and ``energy_and_forces(positions: Tensor (n, 3)) -> (Tensor (n,), Tensor (n, 3))`` in
eV and eV/Å, periodic in the cell. The surfaces here are exact test cases for the site search
(:mod:`landscape.explore.sites`) and the nudged elastic band (:mod:`landscape.explore.neb`):

- :class:`CosineSurface` — ``E = −A Σ_k cos(2π x_k / a)``: a simple-cubic lattice of minima of
  spacing ``a``, every nearest-neighbour hop has the barrier ``2A`` exactly.
- :class:`DoubleWellSurface` — two inequivalent minima per cell along x with closed-form forward
  and backward barriers.
- :class:`GaussianSumSurface` — a sum of periodic Gaussian wells; with random centres it stands in
  for an amorphous host (hundreds of irregular minima and curved hop paths).

:class:`SurfaceCalculator` exposes any surface for one atom as an ASE calculator, so that the same
hops can be computed with :class:`ase.mep.NEB` for comparison. :class:`SurfaceBase` is the plumbing
the surfaces here and :class:`landscape.explore.spline.SplineSurface` share.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from ase import Atoms
from ase.calculators.calculator import Calculator, all_changes

from ..errors import InputError

__all__ = [
    "CosineSurface",
    "DoubleWellSurface",
    "GaussianSumSurface",
    "SurfaceCalculator",
    "SurfaceBase",
]


class SurfaceBase:
    """Shared plumbing: cell, dtype/device, input checks, an optional host and mobile species."""

    host = None

    def __init__(self, cell: np.ndarray, *, species: str, dtype: torch.dtype, device: str) -> None:
        self.cell = torch.as_tensor(np.asarray(cell, dtype=float), dtype=dtype, device=device)
        self.species = species

    def _check(self, positions: torch.Tensor) -> torch.Tensor:
        positions = torch.as_tensor(positions, dtype=self.cell.dtype, device=self.cell.device)
        if positions.ndim != 2 or positions.shape[1] != 3:
            raise InputError(f"positions must have shape (n, 3) in Å, got {tuple(positions.shape)}")
        return positions

    def energy(self, positions: torch.Tensor) -> torch.Tensor:
        """Energies (n,) in eV at Cartesian positions (n, 3) in Å."""
        return self.energy_and_forces(positions)[0]


class CosineSurface(SurfaceBase):
    """``E(r) = −A Σ_k cos(2π r_k / a)`` in a cubic cell of side ``n·a``.

    Minima at every lattice point ``a·(i, j, k)`` (``n³`` of them in the cell, energy ``−3A``);
    first-order saddles half-way between nearest neighbours (energy ``−A``, barrier ``2A``); the
    face centre ``a·(½, ½, 0)`` is a second-order saddle (energy ``+A``) and the cube centre a
    maximum (``+3A``).

    Parameters
    ----------
    a : float
        Lattice spacing, Å.
    amplitude : float
        ``A``, eV.
    n : int
        Periods per cell edge.
    species : str
        Mobile species (sets the mass of harmonic frequencies).
    dtype, device
        Torch dtype and device of every tensor.
    """

    def __init__(
        self,
        a: float = 2.0,
        amplitude: float = 0.1,
        n: int = 3,
        *,
        species: str = "Cu",
        dtype: torch.dtype = torch.float64,
        device: str = "cpu",
    ) -> None:
        if a <= 0 or amplitude <= 0 or n < 1:
            raise InputError(f"need a > 0 Å, amplitude > 0 eV, n >= 1; got {a}, {amplitude}, {n}")
        super().__init__(np.eye(3) * n * a, species=species, dtype=dtype, device=device)
        self.a, self.amplitude, self.n = float(a), float(amplitude), int(n)

    def energy_and_forces(self, positions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Energies (n,) eV and forces (n, 3) eV/Å at positions (n, 3) Å."""
        x = self._check(positions)
        k = 2.0 * math.pi / self.a
        energy = -self.amplitude * torch.cos(k * x).sum(dim=1)  # (n,)
        forces = -self.amplitude * k * torch.sin(k * x)  # (n, 3)
        return energy, forces


class DoubleWellSurface(SurfaceBase):
    """Two inequivalent minima per cubic cell of side ``L``, along x.

    ``E = −A cos u − B cos 2u − C (cos v + cos w)`` with ``u, v, w = 2π (x, y, z) / L`` and
    ``B > A/4``. The deep minimum is at the origin (``E = −A − B − 2C``), the shallow one at
    ``(L/2, 0, 0)`` (``E = A − B − 2C``); the two saddles between them at ``cos u = −A/(4B)``,
    ``v = w = 0`` have ``E = B + A²/(8B) − 2C``. Hence the forward barrier (deep → shallow) is
    ``2B + A + A²/(8B)`` and the backward one ``2B − A + A²/(8B)``.

    Parameters
    ----------
    length : float
        Cell side ``L``, Å.
    a_depth, b_depth, c_depth : float
        ``A``, ``B``, ``C`` in eV (``B > A/4``, ``C > 0``).
    """

    def __init__(
        self,
        length: float = 5.0,
        a_depth: float = 0.2,
        b_depth: float = 0.15,
        c_depth: float = 0.3,
        *,
        species: str = "Cu",
        dtype: torch.dtype = torch.float64,
        device: str = "cpu",
    ) -> None:
        if not (length > 0 and a_depth > 0 and b_depth > a_depth / 4 and c_depth > 0):
            raise InputError(
                f"need L > 0 Å, A > 0, B > A/4, C > 0 eV; got {length}, {a_depth}, {b_depth}, {c_depth}"
            )
        super().__init__(np.eye(3) * length, species=species, dtype=dtype, device=device)
        self.length, self.A, self.B, self.C = float(length), a_depth, b_depth, c_depth

    @property
    def minima(self) -> tuple[np.ndarray, np.ndarray]:
        """Exact minima: positions (2, 3) Å and energies (2,) eV (deep first)."""
        pos = np.array([[0.0, 0.0, 0.0], [self.length / 2, 0.0, 0.0]])
        e = np.array([-self.A - self.B, self.A - self.B]) - 2 * self.C
        return pos, e

    @property
    def saddle_energy(self) -> float:
        """Exact energy of the two saddles between the minima, eV."""
        return self.B + self.A**2 / (8 * self.B) - 2 * self.C

    def energy_and_forces(self, positions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Energies (n,) eV and forces (n, 3) eV/Å at positions (n, 3) Å."""
        x = self._check(positions)
        k = 2.0 * math.pi / self.length
        u, v, w = (k * x).unbind(dim=1)  # (n,) each
        energy = (
            -self.A * torch.cos(u)
            - self.B * torch.cos(2 * u)
            - self.C * (torch.cos(v) + torch.cos(w))
        )
        fx = -k * (self.A * torch.sin(u) + 2 * self.B * torch.sin(2 * u))
        fy = -k * self.C * torch.sin(v)
        fz = -k * self.C * torch.sin(w)
        return energy, torch.stack([fx, fy, fz], dim=1)


class GaussianSumSurface(SurfaceBase):
    """A sum of periodic Gaussian wells, ``E = −Σ_k d_k exp(−|r − c_k|² / (2 σ_k²))``.

    Each well is taken at its minimum image, which is exact to ``exp(−w² / (8 σ²))`` with ``w`` the
    smallest width of the cell (negligible for ``σ ≤ w / 12``).

    Parameters
    ----------
    cell : array (3, 3)
        Lattice vectors as rows, Å.
    centres : array (K, 3)
        Well centres, Å.
    depths : array (K,)
        Well depths ``d_k``, eV (positive = attractive).
    widths : array (K,)
        Well widths ``σ_k``, Å.
    chunk : int
        Positions evaluated per chunk (bounds memory at ``chunk·K·3`` numbers).
    """

    def __init__(
        self,
        cell: np.ndarray,
        centres: np.ndarray,
        depths: np.ndarray,
        widths: np.ndarray,
        *,
        species: str = "Cu",
        dtype: torch.dtype = torch.float64,
        device: str = "cpu",
        chunk: int = 4096,
    ) -> None:
        super().__init__(cell, species=species, dtype=dtype, device=device)
        centres = np.asarray(centres, dtype=float).reshape(-1, 3)
        depths = np.broadcast_to(np.asarray(depths, dtype=float), (len(centres),))
        widths = np.broadcast_to(np.asarray(widths, dtype=float), (len(centres),))
        if len(centres) == 0 or np.any(widths <= 0):
            raise InputError("need at least one well and widths > 0 Å")
        t = dict(dtype=dtype, device=device)
        self.centres = torch.as_tensor(centres, **t)  # (K, 3)
        self.depths = torch.as_tensor(depths.copy(), **t)  # (K,)
        self.inv_var = torch.as_tensor(1.0 / widths**2, **t)  # (K,)
        self.inv_cell = torch.linalg.inv(self.cell)
        off = self.cell - torch.diag(torch.diagonal(self.cell))
        self._box = torch.diagonal(self.cell).clone() if bool((off == 0).all()) else None
        self.chunk = int(chunk)

    @classmethod
    def random(
        cls,
        n_wells: int = 300,
        length: float = 11.0,
        *,
        depth: tuple[float, float] = (0.3, 1.0),
        width: tuple[float, float] = (0.6, 0.9),
        random_state: int | None = 0,
        **kwargs,
    ) -> GaussianSumSurface:
        """Random wells in a cubic cell of side ``length`` (Å): uniform centres, depths (eV) and
        widths (Å) uniform in the given ranges; ``random_state`` seeds every draw."""
        rng = np.random.default_rng(random_state)
        centres = rng.uniform(0.0, length, size=(n_wells, 3))
        depths = rng.uniform(*depth, size=n_wells)
        widths = rng.uniform(*width, size=n_wells)
        return cls(np.eye(3) * length, centres, depths, widths, **kwargs)

    def energy_and_forces(self, positions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Energies (n,) eV and forces (n, 3) eV/Å at positions (n, 3) Å."""
        x = self._check(positions)
        energies, forces = [], []
        for start in range(0, len(x), self.chunk):
            xc = x[start : start + self.chunk]
            d = xc[:, None, :] - self.centres[None, :, :]  # (c, K, 3)
            if self._box is not None:  # orthorhombic: minimum image per axis
                d = d - self._box * torch.round(d / self._box)
            else:
                frac = d @ self.inv_cell
                d = (frac - torch.round(frac)) @ self.cell  # minimum image, (c, K, 3)
            g = self.depths * torch.exp(-0.5 * (d * d).sum(-1) * self.inv_var)  # (c, K)
            energies.append(-g.sum(dim=1))
            forces.append(-torch.einsum("ck,ckx->cx", g * self.inv_var, d))
        if not energies:
            return x.new_zeros(0), x.new_zeros(0, 3)
        return torch.cat(energies), torch.cat(forces)


class SurfaceCalculator(Calculator):
    """An ASE calculator for one atom moving on an EnergySurface.

    Parameters
    ----------
    surface
        Any object with ``cell`` and ``energy_and_forces`` (docs/design.md "EnergySurface").

    Examples
    --------
    >>> from ase import Atoms
    >>> s = CosineSurface(a=2.0, amplitude=0.1, n=2)
    >>> atoms = Atoms("Cu", positions=[[0, 0, 0]], cell=s.cell.numpy(), pbc=True)
    >>> atoms.calc = SurfaceCalculator(s)
    >>> round(atoms.get_potential_energy(), 6)
    -0.3
    """

    implemented_properties = ["energy", "free_energy", "forces"]

    def __init__(self, surface, **kwargs) -> None:
        super().__init__(**kwargs)
        self.surface = surface

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes) -> None:
        super().calculate(atoms, properties, system_changes)
        if len(self.atoms) != 1:
            raise InputError(f"SurfaceCalculator moves exactly one atom, got {len(self.atoms)}")
        cell = self.surface.cell
        pos = torch.as_tensor(self.atoms.positions, dtype=cell.dtype, device=cell.device)
        e, f = self.surface.energy_and_forces(pos)  # may use autograd inside: no no_grad here
        energy = float(e[0])
        self.results = {
            "energy": energy,
            "free_energy": energy,
            "forces": f.detach().cpu().numpy().astype(float),
        }

    @staticmethod
    def atoms_at(surface, position: np.ndarray) -> Atoms:
        """One ``surface.species`` atom (default Cu) at ``position`` (Å) in the surface's cell."""
        atoms = Atoms(
            getattr(surface, "species", "Cu") or "Cu",
            positions=[np.asarray(position, dtype=float)],
            cell=surface.cell.detach().cpu().numpy(),
            pbc=True,
        )
        atoms.calc = SurfaceCalculator(surface)
        return atoms
