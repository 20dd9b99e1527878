"""The trained simplified NNP bound to one host: an EnergySurface, and an ASE calculator.

:class:`NNPSurface` evaluates the ensemble-mean insertion energy ``e_insert`` (eV) and the force on
the mobile atom (eV/Å) at a batch of positions of the mobile atom in one fixed host, periodic in
the host's cell: the EnergySurface contract of ``docs/design.md``. :class:`NNPCalculator` exposes
the same model to ASE.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import torch
from ase import Atoms
from ase.calculators.calculator import Calculator, all_changes
from torch import Tensor

from ..errors import InputError
from .training import stacked_ensemble

__all__ = ["NNPSurface", "NNPCalculator"]


class NNPSurface:
    """A trained :class:`~landscape.nnp.SimplifiedNNP` bound to one host: an EnergySurface.

    Attributes
    ----------
    cell : Tensor, shape (3, 3)
        Lattice vectors as rows, Å (float64, on the surface's device).
    host : ase.Atoms
        The host structure.
    species : str
        The mobile species.
    min_host_distance : float or None
        The model's domain: the smallest distance of a training point to a host atom, Å. Closer
        to a host atom the network extrapolates (it never saw the repulsion there), so the site
        and hop searches keep out (:func:`landscape.explore.sites.find_sites`). ``None`` for models saved
        before it was recorded.
    """

    def __init__(self, model: Any, host: Atoms, *, device: str | torch.device = "cpu") -> None:
        if not isinstance(host, Atoms) or len(host) == 0:
            raise InputError("surface() needs a non-empty ase.Atoms host")
        if not all(host.pbc):
            raise InputError(f"surface() needs a host periodic on all axes, got pbc={host.pbc}")
        from .._checks import check_device

        self.device = torch.device(check_device(device, "device"))
        self.host = host.copy()
        self.species = model.descriptor_.mobile
        self.descriptor = copy.deepcopy(model.descriptor_).to(self.device)
        self._host_tensors = self.descriptor.host_tensors(host, device=self.device)
        self.cell = self._host_tensors.cell
        self._ensemble = stacked_ensemble(
            model.weights_, model.biases_, model.activation, self.device
        )
        self._x_mean = torch.as_tensor(model.scaler_mean_, dtype=torch.float64, device=self.device)
        self._x_scale = torch.as_tensor(
            model.scaler_scale_, dtype=torch.float64, device=self.device
        )
        self._y_mean, self._y_scale = model.y_mean_, model.y_scale_
        self.chunk_size = self.descriptor.chunk_size
        d = (getattr(model, "data_info_", None) or {}).get("min_host_distance")
        self.min_host_distance = None if d is None else float(d)

    def _positions(self, positions: Any) -> Tensor:
        p = torch.as_tensor(positions, dtype=torch.float64, device=self.device)
        if p.ndim != 2 or p.shape[1] != 3:
            raise InputError(f"positions must have shape (n, 3), got {tuple(p.shape)}")
        return p

    def member_energies(self, positions: Tensor) -> Tensor:
        """Energies of every ensemble member, (M, n), eV (differentiable in ``positions``)."""
        x = self.descriptor(self._host_tensors, positions)  # (n, F)
        return self._ensemble((x - self._x_mean) / self._x_scale) * self._y_scale + self._y_mean

    def _chunks(self, p: Tensor) -> tuple[list[Tensor], Tensor]:
        """Index chunks in neighbour-count order (less padding) and the inverse permutation."""
        if len(p) <= self.chunk_size:
            idx = torch.arange(len(p), device=p.device)
            return [idx], idx
        order = self.descriptor.neighbour_order(self._host_tensors, p)  # (n,)
        return list(torch.split(order, self.chunk_size)), torch.argsort(order)

    def energy(self, positions: Any) -> Tensor:
        """Ensemble-mean insertion energies (n,), eV, without forces."""
        p = self._positions(positions)
        chunks, inverse = self._chunks(p)
        with torch.no_grad():
            return torch.cat([self.member_energies(p[i]).mean(0) for i in chunks])[inverse]

    def energy_and_forces(self, positions: Any) -> tuple[Tensor, Tensor]:
        """Insertion energies and forces on the mobile atom.

        Parameters
        ----------
        positions : Tensor, shape (n, 3)
            Mobile-atom positions, Å.

        Returns
        -------
        energy : Tensor, shape (n,)
            Ensemble-mean ``e_insert``, eV.
        forces : Tensor, shape (n, 3)
            ``−∇E`` by autograd, eV/Å.
        """
        p = self._positions(positions)
        chunks, inverse = self._chunks(p)
        energies, forces = [], []
        with torch.enable_grad():
            for i in chunks:
                c = p[i].detach().requires_grad_(True)
                e = self.member_energies(c).mean(0)  # (n,)
                (g,) = torch.autograd.grad(e.sum(), c)
                energies.append(e.detach())
                forces.append(-g)
        return torch.cat(energies)[inverse], torch.cat(forces)[inverse]

    def uncertainty(self, positions: Any) -> Tensor:
        """Ensemble standard deviation (n,), eV (zeros for a single member)."""
        p = self._positions(positions)
        with torch.no_grad():
            chunks, inverse = self._chunks(p)
            out = []
            for i in chunks:
                e = self.member_energies(p[i])  # (M, n)
                out.append(e.std(0) if e.shape[0] > 1 else torch.zeros_like(e[0]))
            return torch.cat(out)[inverse]


class NNPCalculator(Calculator):
    """ASE calculator of the simplified NNP for a host plus one mobile atom.

    The energy is the predicted insertion energy ``e_insert`` (eV, the host's own energy not
    included); the forces act on the mobile atom only (host atoms get zero: their relaxation is
    implicit in the model).

    Parameters
    ----------
    model : SimplifiedNNP
        A fitted or loaded model.
    host : ase.Atoms
        The host the model is bound to (the atoms passed to the calculator must hold exactly these
        host atoms and one mobile atom).
    device : str
        Torch device.

    Examples
    --------
    >>> atoms = host + Atoms("Cu", positions=[p])          # doctest: +SKIP
    >>> atoms.calc = NNPCalculator(model, host)             # doctest: +SKIP
    >>> atoms.get_potential_energy()                        # doctest: +SKIP
    """

    implemented_properties = ["energy", "free_energy", "forces"]

    def __init__(self, model: Any, host: Atoms, *, device: str = "cpu", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.model = model
        self.surface = model.surface(host, device=device)
        self._host_symbols = sorted(host.get_chemical_symbols())

    def calculate(
        self,
        atoms: Atoms | None = None,
        properties: list[str] | tuple[str, ...] = ("energy",),
        system_changes: list[str] = all_changes,
    ) -> None:
        super().calculate(atoms, properties, system_changes)
        symbols = self.atoms.get_chemical_symbols()
        mobile = [i for i, s in enumerate(symbols) if s == self.surface.species]
        host_symbols = sorted(s for s in symbols if s != self.surface.species)
        if len(mobile) != 1 or host_symbols != self._host_symbols:
            raise InputError(
                f"NNPCalculator expects the bound host ({len(self._host_symbols)} atoms) plus one "
                f"{self.surface.species} atom; got {len(symbols)} atoms with {len(mobile)} "
                f"{self.surface.species}"
            )
        i = mobile[0]
        e, f = self.surface.energy_and_forces(self.atoms.positions[i : i + 1])
        forces = np.zeros((len(self.atoms), 3))
        forces[i] = f[0].cpu().numpy()
        energy = float(e[0])
        self.results = {"energy": energy, "free_energy": energy, "forces": forces}
