"""The EnergySurface contract: the energy of the mobile atom's position in one fixed host.

``energy_and_forces(positions (n, 3) Å) -> (energies (n,) eV, forces (n, 3) eV/Å)``, batched,
periodic in ``cell`` (torch (3, 3), rows are lattice vectors, Å), optionally with ``host``
(``ase.Atoms``). The site search and the hop search take any such object.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from ..errors import InputError

if TYPE_CHECKING:
    import torch

__all__ = ["EnergySurface", "check_surface"]


@runtime_checkable
class EnergySurface(Protocol):
    """The energy of the mobile atom's position in one fixed host (eV, Å), periodic in ``cell``.

    Attributes
    ----------
    cell : torch.Tensor, shape (3, 3)
        Rows are lattice vectors, Å; its dtype and device are those of the computation.
    host : ase.Atoms, optional
        The host structure (not part of the runtime check): the site search skips points inside
        its atoms when it is there.

    Examples
    --------
    >>> from landscape.explore import CosineSurface
    >>> isinstance(CosineSurface(2.5, 0.3, 2), EnergySurface)
    True
    """

    cell: torch.Tensor

    def energy_and_forces(self, positions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Energies (n,) eV and forces (n, 3) eV/Å at positions (n, 3) Å."""
        ...


def check_surface(surface: EnergySurface) -> tuple[torch.Tensor, torch.Tensor]:
    """The cell (3, 3) Å of an :class:`EnergySurface` and its inverse; :class:`InputError` if it is none."""
    import torch

    cell = getattr(surface, "cell", None)
    if not isinstance(cell, torch.Tensor) or cell.shape != (3, 3):
        raise InputError(
            "surface.cell must be a torch tensor of shape (3, 3), rows lattice vectors Å"
        )
    if not hasattr(surface, "energy_and_forces"):
        raise InputError(
            "surface must have energy_and_forces(positions) (docs/design.md EnergySurface)"
        )
    return cell, torch.linalg.inv(cell)
