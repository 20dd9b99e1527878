"""Behler–Parrinello symmetry functions centred on the mobile atom, in torch.

The simplified NNP sees the host through the symmetry functions of its neighbourhood, evaluated at the
mobile atom's position (J. Behler, J. Chem. Phys. 134, 074106 (2011), Eqs. 5–9):

* radial, one block per host species ``a``:
  ``G2[a] = Σ_{j∈a} exp(−η (r_ij − r_s)²) f_c(r_ij)``
* angular, one block per host-species pair ``(a, b)`` (each unordered neighbour pair counted once):
  ``G4[a,b] = 2^(1−ζ) Σ_{j<k} (1 + λ cos θ_ijk)^ζ exp(−η (r_ij² + r_ik² + r_jk²)) f_c(r_ij) f_c(r_ik) f_c(r_jk)``

with the cosine cutoff ``f_c(r) = ½ (cos(π r / r_cut) + 1)`` for ``r < r_cut`` and 0 beyond.
Conventions and feature order are those of :class:`dscribe.descriptors.ACSF` (dscribe 2.1), so that
:meth:`SymmetryFunctions.dscribe_equivalent` can check every value: species are sorted by atomic
number; the G2 block of species ``a`` comes first for every species, then the G4 blocks ordered by the
lower-triangular pair index ``i (i + 1) / 2 + j`` (``i ≥ j`` the species ranks). dscribe's always-on G1
(the sum of cutoffs) is not part of our features.

The implementation follows torchani's ``aev`` module: one neighbour step returns a flat pair record
(centre index ``(P,)``, neighbour index ``(P,)``, vectors ``(P, 3)``, distances ``(P,)``) including all
periodic images needed for ``r_cut`` (also in cells shorter than ``2 r_cut``); radial terms broadcast
over all pairs and shifts and are summed into per-centre rows with ``index_add_``. Triples for G4 are
built with tensor ops, on a padded neighbour block ``(n, K)`` per chunk of positions: ``cos θ`` and
``r_jk`` of all neighbour pairs come from one batched product ``V Vᵀ`` ``(n, K, K)``, and the sums
over neighbour species are two batched products with species weights ``(n, K, n_species)``
(chunks hold positions of similar neighbour counts, so little of the block is padding). No Python
loop runs over atoms or positions; everything is differentiable in the positions. The cutoff and the
angular block are pure functions of :mod:`landscape.nnp.descriptor_kernels`.

Units: lengths in Å, η in 1/Å², r_s in Å; the features are dimensionless.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from ase import Atoms
from ase.data import atomic_numbers
from torch import Tensor, nn

from ..config import DEFAULTS
from ..errors import InputError
from .descriptor_kernels import angular_block, cosine_cutoff, species_pairs

__all__ = ["SymmetryFunctions", "HostTensors", "propose_grids"]

#: Default host species (a-Ta2O5) and mobile species.
DEFAULT_SPECIES: tuple[str, ...] = ("O", "Ta")
DEFAULT_MOBILE: str = "Cu"


def propose_grids(
    r_cut: float = DEFAULTS.r_cut,
    *,
    r_min: float = 1.2,
    n_radial: int = 12,
    angular_radii: tuple[float, ...] = (1.5, 2.5, 4.0),
    zetas: tuple[float, ...] = (1.0, 2.0, 4.0, 16.0),
    lambdas: tuple[float, ...] = (-1.0, 1.0),
) -> tuple[np.ndarray, np.ndarray]:
    """Propose G2 and G4 parameter grids for a cutoff.

    Radial functions are shifted Gaussians (Imbalzano et al., J. Chem. Phys. 148, 241730 (2018)):
    centres ``r_s`` evenly spaced from ``r_min`` to ``r_cut − Δ`` with spacing ``Δ`` and width
    ``η = 1 / (2 Δ²)``, so neighbouring Gaussians overlap at about half height. Angular functions are
    centred, with ``η = 1 / (2 · 3 r²)`` for each radius ``r`` of ``angular_radii`` (the exponent
    holds three squared distances) and every combination of ζ and λ.

    Parameters
    ----------
    r_cut : float
        Cutoff radius, Å.
    r_min : float
        Centre of the first radial Gaussian, Å (about the shortest mobile–host distance; 1.5 Å suits
        Cu–O, whose bond is about 1.9 Å).
    n_radial : int
        Number of radial functions per host species.
    angular_radii : tuple of float
        Length scales of the angular functions, Å.
    zetas, lambdas : tuple of float
        Angular resolutions ζ (≥ 1) and signs λ (±1).

    Returns
    -------
    g2_params : numpy.ndarray, shape (n_radial, 2)
        Rows ``(η [1/Å²], r_s [Å])``.
    g4_params : numpy.ndarray, shape (len(angular_radii) · len(zetas) · len(lambdas), 3)
        Rows ``(η [1/Å²], ζ, λ)``.

    Examples
    --------
    >>> g2, g4 = propose_grids(6.0)
    >>> g2.shape, g4.shape
    ((12, 2), (24, 3))
    """
    if r_cut <= r_min or r_min < 0 or n_radial < 1:
        raise InputError(
            f"propose_grids needs r_cut > r_min >= 0 (Å) and n_radial >= 1, got r_cut {r_cut}, "
            f"r_min {r_min}, n_radial {n_radial}"
        )
    if not angular_radii or min(angular_radii) <= 0:
        raise InputError(f"angular radii must be positive (Å), got {list(angular_radii)}")
    if not zetas or min(zetas) < 1:
        raise InputError(f"angular resolutions ζ must be >= 1, got {list(zetas)}")
    if not lambdas or any(lam not in (-1.0, 1.0) for lam in lambdas):
        raise InputError(f"λ must be -1 or +1, got {list(lambdas)}")
    spacing = (r_cut - r_min) / n_radial
    r_s = r_min + spacing * np.arange(n_radial)
    g2 = np.stack([np.full(n_radial, 1.0 / (2.0 * spacing**2)), r_s], axis=1)
    g4 = np.array(
        [
            (1.0 / (6.0 * r**2), z, lam)
            for r, z, lam in itertools.product(angular_radii, zetas, lambdas)
        ],
        dtype=float,
    ).reshape(-1, 3)
    return g2, g4


def parameter_sets(r_cut: float, g2_params: Any, g4_params: Any) -> tuple[np.ndarray, np.ndarray]:
    """The checked G2 rows ``(η [1/Å²], r_s [Å])`` (n_g2, 2) and G4 rows ``(η [1/Å²], ζ, λ)``
    (n_g4, 3); either ``None`` takes that of :func:`propose_grids` for ``r_cut`` (Å).

    Raises :class:`InputError` for η <= 0, ζ < 1 or λ other than ±1."""
    d2, d4 = propose_grids(r_cut)
    g2 = np.asarray(d2 if g2_params is None else g2_params, dtype=float).reshape(-1, 2)
    g4 = np.asarray(d4 if g4_params is None else g4_params, dtype=float).reshape(-1, 3)
    if np.any(g2[:, 0] <= 0) or np.any(g4[:, 0] <= 0):
        raise InputError("symmetry-function η must be positive (1/Å²)")
    if np.any(g4[:, 1] < 1) or np.any(np.abs(np.abs(g4[:, 2]) - 1) > 0):
        raise InputError("G4 needs ζ >= 1 and λ = ±1")
    return g2, g4


@dataclass
class HostTensors:
    """Host-side tensors of one structure, precomputed once for many mobile-atom positions.

    Attributes
    ----------
    cell : Tensor, shape (3, 3)
        Lattice vectors as rows, Å.
    inv_cell : Tensor, shape (3, 3)
        Inverse of ``cell`` (fractional = Cartesian @ inv_cell).
    pbc : Tensor of bool, shape (3,)
    positions : Tensor, shape (M, 3)
        Host atoms and every periodic image that can lie within ``r_cut`` of a point of the cell, Å.
    species : Tensor of int64, shape (M,)
        Rank of each atom's species in the descriptor's species list.
    """

    cell: Tensor
    inv_cell: Tensor
    pbc: Tensor
    positions: Tensor
    species: Tensor

    def to(self, device: str | torch.device) -> HostTensors:
        """The same tensors on another device."""
        return HostTensors(*(getattr(self, k).to(device) for k in self.__dataclass_fields__))


class SymmetryFunctions(nn.Module):
    """G2/G4 symmetry functions of the host neighbourhood of a mobile atom.

    Parameters
    ----------
    species : sequence of str
        Host species (chemical symbols); sorted by atomic number internally, as dscribe does.
    r_cut : float
        Cosine cutoff radius, Å (default :attr:`landscape.config.Settings.r_cut`, 6 Å).
    g2_params : array_like, shape (n_g2, 2), optional
        Rows ``(η [1/Å²], r_s [Å])``; default from :func:`propose_grids`.
    g4_params : array_like, shape (n_g4, 3), optional
        Rows ``(η [1/Å²], ζ, λ)``; default from :func:`propose_grids`.
    mobile : str
        The mobile species (used for the dscribe equivalent and for checks).
    chunk_size : int
        Positions handled at once (bounds memory: about ``chunk_size · 2 · n_neighbours²`` triples).

    Examples
    --------
    >>> from ase.build import bulk
    >>> sf = SymmetryFunctions(species=["Ta"], mobile="Cu")
    >>> sf.compute(bulk("Ta", cubic=True), [[0.5, 0.5, 0.0]]).shape == (1, sf.n_features)
    True
    """

    def __init__(
        self,
        species: list[str] | tuple[str, ...] = DEFAULT_SPECIES,
        r_cut: float = DEFAULTS.r_cut,
        g2_params: Any = None,
        g4_params: Any = None,
        mobile: str = DEFAULT_MOBILE,
        chunk_size: int = 256,
    ) -> None:
        super().__init__()
        bad = [s for s in [*species, mobile] if s not in atomic_numbers]
        if bad:
            raise InputError(
                f"unknown chemical symbol(s) {bad}; expected element symbols like 'Ta'"
            )
        if mobile in species:
            raise InputError(
                f"mobile species {mobile!r} must not be a host species {list(species)}"
            )
        if len(set(species)) != len(species) or not species:
            raise InputError(f"host species must be distinct and non-empty, got {list(species)}")
        if not r_cut > 0:
            raise InputError(f"r_cut must be positive (Å), got {r_cut}")
        self.species = sorted(species, key=lambda s: atomic_numbers[s])
        self.mobile = mobile
        self.r_cut = float(r_cut)
        self.chunk_size = int(chunk_size)
        g2, g4 = parameter_sets(self.r_cut, g2_params, g4_params)
        self.register_buffer("g2_eta", torch.tensor(g2[:, 0], dtype=torch.float64))  # (n_g2,)
        self.register_buffer("g2_rs", torch.tensor(g2[:, 1], dtype=torch.float64))  # (n_g2,)
        self.register_buffer("g4_eta", torch.tensor(g4[:, 0], dtype=torch.float64))  # (n_g4,)
        self.register_buffer("g4_zeta", torch.tensor(g4[:, 1], dtype=torch.float64))  # (n_g4,)
        self.register_buffer("g4_lambda", torch.tensor(g4[:, 2], dtype=torch.float64))  # (n_g4,)
        ns = len(self.species)
        self.n_species = ns
        self.n_pairs = ns * (ns + 1) // 2
        self.n_g2 = len(g2)
        self.n_g4 = len(g4)
        self.n_features = ns * self.n_g2 + self.n_pairs * self.n_g4
        #: (η, ζ, λ) as Python floats, for the per-parameter loop of the angular terms
        self._g4_values = [tuple(float(v) for v in row) for row in g4]

    # ------------------------------------------------------------------ parameters
    def get_params(self) -> dict[str, Any]:
        """The constructor parameters as plain JSON-able values (η in 1/Å², r in Å)."""
        return {
            "species": list(self.species),
            "mobile": self.mobile,
            "r_cut": self.r_cut,
            "g2_params": np.stack(
                [self.g2_eta.cpu().numpy(), self.g2_rs.cpu().numpy()], 1
            ).tolist(),
            "g4_params": np.stack(
                [
                    self.g4_eta.cpu().numpy(),
                    self.g4_zeta.cpu().numpy(),
                    self.g4_lambda.cpu().numpy(),
                ],
                1,
            ).tolist(),
        }

    def feature_names(self) -> list[str]:
        """One label per feature, in output order (e.g. ``"G2[O] eta=0.5 rs=2"``)."""
        names = []
        for s in self.species:
            for eta, rs in zip(self.g2_eta.tolist(), self.g2_rs.tolist(), strict=True):
                names.append(f"G2[{s}] eta={eta:.4g} rs={rs:.4g}")
        for i, j in self._pairs():
            a, b = self.species[j], self.species[i]
            for eta, z, lam in zip(
                self.g4_eta.tolist(), self.g4_zeta.tolist(), self.g4_lambda.tolist(), strict=True
            ):
                names.append(f"G4[{a},{b}] eta={eta:.4g} zeta={z:.4g} lambda={lam:+.0f}")
        return names

    def _pairs(self) -> list[tuple[int, int]]:
        """Species-rank pairs ``(i, j)``, ``i >= j``, in output order."""
        return species_pairs(self.n_species)

    # ------------------------------------------------------------------ host
    def host_tensors(
        self, host: Atoms, *, device: str | torch.device = "cpu", dtype: torch.dtype = torch.float64
    ) -> HostTensors:
        """Precompute the host atoms and their periodic images within reach of the cell.

        Images are enumerated along each periodic axis ``i`` for shifts up to
        ``ceil(r_cut / h_i) + 1``, ``h_i`` the distance between lattice planes, and kept when their
        fractional coordinate lies within ``r_cut / h_i`` of ``[0, 1)``; a position wrapped into the
        cell then finds every neighbour within ``r_cut``, also in cells shorter than ``2 r_cut``.

        Parameters
        ----------
        host : ase.Atoms
            The host structure (without the mobile atom); only descriptor species allowed.
        device, dtype
            Where and in which precision the tensors live.

        Raises
        ------
        InputError
            A host species the descriptor does not know, or a degenerate cell on a periodic axis.
        """
        symbols = host.get_chemical_symbols()
        unknown = sorted(set(symbols) - set(self.species))
        if unknown:
            raise InputError(
                f"host has species {unknown} that the descriptor does not know; expected only "
                f"{self.species}"
            )
        pbc = np.asarray(host.pbc, dtype=bool)
        cell = np.array(host.cell.array, dtype=float)
        for i in range(3):
            if not pbc[i] and np.linalg.norm(cell[i]) == 0:
                cell[i] = np.eye(3)[i]  # placeholder axis for non-periodic directions
        if abs(np.linalg.det(cell)) < 1e-9:
            raise InputError(f"host cell is degenerate (volume {np.linalg.det(cell):.3g} Å³)")
        inv = np.linalg.inv(cell)
        heights = 1.0 / np.linalg.norm(inv, axis=0)  # (3,) plane spacings, Å
        reach = np.where(pbc, self.r_cut / heights, 0.0)  # (3,) in fractional units
        n_img = np.where(pbc, np.ceil(reach).astype(int) + 1, 0)
        frac = host.get_scaled_positions(wrap=False) if len(host) else np.zeros((0, 3))
        frac = np.where(pbc, frac - np.floor(frac), frac)  # (N, 3) wrapped on periodic axes
        shifts = np.array(
            list(itertools.product(*(range(-n, n + 1) for n in n_img))), dtype=float
        )  # (S, 3)
        ext = frac[None, :, :] + shifts[:, None, :]  # (S, N, 3)
        keep = np.all(
            (ext >= -reach - 1e-12) & (ext < 1.0 + reach + 1e-12) | ~pbc, axis=2
        )  # (S, N)
        rank = {s: k for k, s in enumerate(self.species)}
        spec = np.array([rank[s] for s in symbols], dtype=np.int64)
        spec_ext = np.broadcast_to(spec, keep.shape)[keep]  # (M,)
        pos_ext = ext[keep] @ cell  # (M, 3)
        return HostTensors(
            cell=torch.tensor(cell, dtype=dtype, device=device),
            inv_cell=torch.tensor(inv, dtype=dtype, device=device),
            pbc=torch.tensor(pbc, device=device),
            positions=torch.tensor(pos_ext, dtype=dtype, device=device),
            species=torch.tensor(spec_ext, device=device),
        )

    # ------------------------------------------------------------------ torch level
    def wrap(self, host: HostTensors, positions: Tensor) -> Tensor:
        """Wrap positions (n, 3) into the cell on periodic axes (the gradient passes unchanged)."""
        frac = positions @ host.inv_cell  # (n, 3)
        frac = torch.where(host.pbc, frac - torch.floor(frac).detach(), frac)
        return frac @ host.cell  # (n, 3)

    def neighbours(self, host: HostTensors, positions: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Flat pair record of host neighbours within ``r_cut`` of each (wrapped) position.

        Returns
        -------
        centre : Tensor of int64, shape (P,)
            Index of the position.
        atom : Tensor of int64, shape (P,)
            Index into ``host.positions`` (images included).
        vec : Tensor, shape (P, 3)
            ``host.positions[atom] − position[centre]``, Å, differentiable in the position.
        """
        pos = self.wrap(host, positions)  # (n, 3)
        with torch.no_grad():
            d2 = torch.cdist(pos.detach(), host.positions).square_()  # (n, M)
            centre, atom = torch.nonzero(d2 < self.r_cut**2, as_tuple=True)  # (P,), (P,)
        vec = host.positions[atom] - pos[centre]  # (P, 3)
        return centre, atom, vec

    def forward(self, host: HostTensors, positions: Tensor) -> Tensor:
        """Features of a batch of positions, differentiable in ``positions``.

        Parameters
        ----------
        host : HostTensors
            From :meth:`host_tensors`.
        positions : Tensor, shape (n, 3)
            Mobile-atom positions, Å (any image; wrapped internally).

        Returns
        -------
        Tensor, shape (n, n_features)
        """
        n = positions.shape[0]
        if n <= self.chunk_size:
            return self._features(host, positions)
        order = self.neighbour_order(host, positions)  # (n,)
        out = torch.cat(
            [self._features(host, positions[idx]) for idx in torch.split(order, self.chunk_size)]
        )  # (n, n_features) in sorted order
        return out[torch.argsort(order)]

    def neighbour_order(self, host: HostTensors, positions: Tensor) -> Tensor:
        """Permutation (n,) sorting positions by their number of neighbours within ``r_cut``.

        Chunks of positions with similar neighbour counts waste less of the padded (n, K, K)
        angular block, so batched callers process positions in this order.
        """
        with torch.no_grad():
            pos = self.wrap(host, positions.detach())
            counts = torch.cat(
                [
                    (torch.cdist(c, host.positions) < self.r_cut).sum(1)
                    for c in torch.split(pos, 4 * self.chunk_size)
                ]
            )  # (n,)
            return torch.argsort(counts)

    def _features(self, host: HostTensors, positions: Tensor) -> Tensor:
        """Features (n, n_features) of one chunk of positions (n, 3) Å: the G2 rows per host
        species, then the G4 rows per species pair (:func:`angular_block`)."""
        n = positions.shape[0]
        dtype, device = positions.dtype, positions.device
        ns, rc = self.n_species, self.r_cut
        centre, atom, vec = self.neighbours(host, positions)  # (P,), (P,), (P, 3)
        dist = vec.norm(dim=1)  # (P,)
        fc = cosine_cutoff(dist, rc)  # (P,)
        spec = host.species[atom]  # (P,)

        # --- radial G2: (P, n_g2) summed into (n * ns, n_g2)
        g2_terms = torch.exp(-self.g2_eta * (dist[:, None] - self.g2_rs).square()) * fc[:, None]
        g2 = torch.zeros(n * ns, self.n_g2, dtype=dtype, device=device)
        g2.index_add_(0, centre * ns + spec, g2_terms)  # (n * ns, n_g2)

        g4 = torch.zeros(n, self.n_pairs, self.n_g4, dtype=dtype, device=device)
        if self.n_g4 and centre.numel() > 1:
            angular_block(
                g4, centre, spec, vec, dist, fc, n_species=ns, r_cut=rc,
                g4_values=self._g4_values, pairs=self._pairs(),
            )  # fmt: skip
        return torch.cat(
            [g2.reshape(n, ns * self.n_g2), g4.reshape(n, self.n_pairs * self.n_g4)], dim=1
        )  # (n, n_features)

    # ------------------------------------------------------------------ numpy level
    def compute(self, host: Atoms, positions: Any) -> np.ndarray:
        """Features of mobile-atom positions in a host, as a numpy array.

        Parameters
        ----------
        host : ase.Atoms
            The host structure (without the mobile atom).
        positions : array_like, shape (n, 3)
            Mobile-atom positions, Å (Cartesian).

        Returns
        -------
        numpy.ndarray, shape (n, n_features)
        """
        ht, p = self._host_and_positions(host, positions)
        with torch.no_grad():
            out = self.forward(ht, p)
        return out.cpu().numpy()

    def _host_and_positions(self, host: Atoms, positions: Any) -> tuple[HostTensors, Tensor]:
        """The host's tensors and the checked positions (n, 3) as float64 on the same device."""
        pos = np.asarray(positions, dtype=float).reshape(-1, 3)
        if not np.all(np.isfinite(pos)):
            raise InputError("positions contain NaN or inf; expected finite Cartesian Å")
        ht = self.host_tensors(host, device=self.g2_eta.device)
        return ht, torch.as_tensor(pos, dtype=torch.float64, device=ht.cell.device)

    def compute_with_jacobian(self, host: Atoms, positions: Any) -> tuple[np.ndarray, np.ndarray]:
        """Features and their derivatives in the mobile atom's position.

        Used to train on forces: the network's force is ``-(dE/dG) · dG/dr``. The derivatives come
        from forward-mode automatic differentiation, one pass per Cartesian direction (three
        passes, against one backward pass per feature in reverse mode).

        Parameters
        ----------
        host : ase.Atoms
            The host structure (without the mobile atom).
        positions : array_like, shape (n, 3)
            Mobile-atom positions, Å (Cartesian).

        Returns
        -------
        features : numpy.ndarray, shape (n, n_features)
        jacobian : numpy.ndarray, shape (n, n_features, 3)
            ``d feature / d position``, feature units per Å.
        """
        import torch.autograd.forward_ad as fwad

        ht, p = self._host_and_positions(host, positions)
        columns = []
        for k in range(3):
            tangent = torch.zeros_like(p)
            tangent[:, k] = 1.0
            with torch.no_grad(), fwad.dual_level():
                dual = fwad.unpack_dual(self.forward(ht, fwad.make_dual(p, tangent)))
                feats = dual.primal.cpu().numpy()
                columns.append(dual.tangent.cpu().numpy())  # (n, F)
        return feats, np.stack(columns, axis=-1)

    def dscribe_equivalent(self) -> tuple[Any, np.ndarray]:
        """The matching :class:`dscribe.descriptors.ACSF` and the columns that equal our features.

        The dscribe descriptor has species = host species + mobile species and ``periodic=True``;
        computed on the host plus one mobile atom with that atom as centre, its output columns
        ``columns`` equal :meth:`compute`'s features in order.

        Returns
        -------
        acsf : dscribe.descriptors.ACSF
        columns : numpy.ndarray of int, shape (n_features,)
        """
        try:
            from dscribe.descriptors import ACSF
        except ImportError as exc:  # pragma: no cover
            raise ImportError(
                "dscribe_equivalent needs dscribe: pip install 'landscape[dev]'"
            ) from exc
        params = self.get_params()
        all_species = sorted([*self.species, self.mobile], key=lambda s: atomic_numbers[s])
        acsf = ACSF(
            r_cut=self.r_cut,
            g2_params=params["g2_params"] or None,
            g4_params=params["g4_params"] or None,
            species=all_species,
            periodic=True,
        )
        rank = {s: k for k, s in enumerate(all_species)}
        per_species = 1 + self.n_g2  # dscribe's G1 then the G2 block
        cols = []
        for s in self.species:
            base = rank[s] * per_species + 1
            cols.extend(range(base, base + self.n_g2))
        offset = len(all_species) * per_species
        for i, j in self._pairs():
            a, b = rank[self.species[i]], rank[self.species[j]]
            hi, lo = max(a, b), min(a, b)
            base = offset + (hi * (hi + 1) // 2 + lo) * self.n_g4
            cols.extend(range(base, base + self.n_g4))
        return acsf, np.asarray(cols, dtype=int)

    def extra_repr(self) -> str:
        return (
            f"species={self.species}, mobile={self.mobile!r}, r_cut={self.r_cut}, "
            f"n_g2={self.n_g2}, n_g4={self.n_g4}, n_features={self.n_features}"
        )
