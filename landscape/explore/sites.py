"""Metastable sites of a mobile atom on any EnergySurface: grid search, batched minimisation, Hessians.

The search follows docs/design.md ("Physics defaults"): the cell is sampled on a fractional grid no
coarser than ``grid_spacing`` along each lattice vector, points closer than ``min_host_distance`` to a
host atom are skipped (when the surface has a ``host``), the grid's local minima (periodic
26-neighbourhood) are relaxed *all at once* as one batched tensor problem (FIRE, then a Newton
polish with the finite-difference Hessian) to ``|F| < fmax``, minima closer than ``merge_distance``
(minimum-image distance) are merged, and every site gets its Hessian and harmonic frequencies.

Everything runs in the surface's dtype and on its device (``surface.cell.dtype``/``.device``).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from ..config import DEFAULTS
from ..contracts import EnergySurface, check_surface
from ..errors import InputError
from ..geometry import close_pairs, wrap
from .grid import outside_domain, tabulate
from .minimise import harmonic_frequencies, hessians, minimise
from .spline import SplineSurface

#: Å: the site search uses its spline guide only on grids at least this fine
GUIDE_MAX_SPACING = 0.3

__all__ = [
    "Sites",
    "find_sites",
    "merge_minima",
    "site_mass",
    "make_sites",
]


def site_mass(surface: EnergySurface, mass: float | None = None) -> tuple[str, float]:
    """The mobile species (``surface.species`` or "Cu") and its mass in amu (``mass`` overrides)."""
    from ase.data import atomic_masses, atomic_numbers

    species = getattr(surface, "species", None) or "Cu"
    if mass is None:
        if species not in atomic_numbers:
            raise InputError(f"unknown mobile species {species!r}; expected a chemical symbol")
        mass = float(atomic_masses[atomic_numbers[species]])
    if mass <= 0:
        raise InputError(f"mass must be > 0 amu, got {mass}")
    return species, float(mass)


@dataclass
class Sites:
    """Metastable sites of the mobile atom.

    Attributes
    ----------
    positions : numpy.ndarray (n, 3)
        Cartesian positions wrapped into the cell, Å.
    energies : numpy.ndarray (n,)
        Site energies, eV.
    frequencies : numpy.ndarray (n, 3)
        Harmonic frequencies, THz (ascending).
    hessians : numpy.ndarray (n, 3, 3)
        Hessians, eV/Å².
    converged : numpy.ndarray (n,) bool
        The minimisation reached ``|F| < fmax``.
    cell : numpy.ndarray (3, 3)
        Lattice vectors as rows, Å.
    species : str
        Mobile species.
    mass : float
        Its mass, amu.
    info : dict
        Counts and timings of the search (grid points, skipped points, candidates, discarded
        saddles, seconds per stage).
    grid : numpy.ndarray (n1, n2, n3), optional
        The energies of the grid search, eV (``inf`` at skipped points), on the fractional grid
        ``(a/n1, b/n2, c/n3) @ cell``; :func:`landscape.explore.find_hops` reuses it for its basin
        candidates and its spline guide. Not part of equality.
    """

    positions: np.ndarray
    energies: np.ndarray
    frequencies: np.ndarray
    hessians: np.ndarray
    converged: np.ndarray
    cell: np.ndarray
    species: str = "Cu"
    mass: float = 63.546
    info: dict = field(default_factory=dict)
    grid: np.ndarray | None = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.energies)

    def __post_init__(self) -> None:
        n = len(self.energies)
        for name, shape in (
            ("positions", (n, 3)),
            ("frequencies", (n, 3)),
            ("hessians", (n, 3, 3)),
            ("converged", (n,)),
        ):
            if np.shape(getattr(self, name)) != shape:
                raise InputError(
                    f"Sites.{name} must have shape {shape}, got {np.shape(getattr(self, name))}"
                )

    def extend(self, other: Sites) -> Sites:
        """A new Sites with ``other``'s sites appended (indices of ``self`` unchanged)."""
        return Sites(
            positions=np.concatenate([self.positions, other.positions]),
            energies=np.concatenate([self.energies, other.energies]),
            frequencies=np.concatenate([self.frequencies, other.frequencies]),
            hessians=np.concatenate([self.hessians, other.hessians]),
            converged=np.concatenate([self.converged, other.converged]),
            cell=self.cell,
            species=self.species,
            mass=self.mass,
            info=dict(self.info),
            grid=self.grid,
        )


def _local_minima(grid_e: torch.Tensor) -> torch.Tensor:
    """Boolean mask of grid points not higher than any of their 26 periodic neighbours."""
    is_min = torch.isfinite(grid_e)
    for shift in itertools.product((-1, 0, 1), repeat=3):
        if shift == (0, 0, 0):
            continue
        is_min &= grid_e <= torch.roll(grid_e, shifts=shift, dims=(0, 1, 2))
    return is_min


def merge_minima(
    positions: torch.Tensor, energies: torch.Tensor, cell: torch.Tensor, merge_distance: float
) -> np.ndarray:
    """Indices of the minima kept after merging those closer than ``merge_distance`` (Å, periodic):
    the lowest of each group is kept (greedy in order of energy)."""
    inv = torch.linalg.inv(cell)
    order = torch.argsort(energies).cpu().numpy()
    close = close_pairs(positions[order], cell, inv, merge_distance)
    removed = np.zeros(len(order), dtype=bool)
    keep = []
    for k in range(len(order)):
        if removed[k]:
            continue
        keep.append(order[k])
        removed |= close[k]
    return np.asarray(keep, dtype=int)


def make_sites(
    surface: EnergySurface,
    x: torch.Tensor,
    e: torch.Tensor,
    conv: torch.Tensor,
    *,
    species: str,
    mass: float,
    batch_size: int,
) -> tuple[Sites, int]:
    """Hessians and frequencies at relaxed points; points that are not minima are discarded."""
    cell, inv = surface.cell, torch.linalg.inv(surface.cell)
    H = hessians(surface, x, batch_size=batch_size).cpu().numpy() if len(x) else np.zeros((0, 3, 3))
    lam = np.linalg.eigvalsh(H) if len(x) else np.zeros((0, 3))
    minimum = lam[:, 0] > 0 if len(x) else np.zeros(0, dtype=bool)
    k = np.nonzero(minimum)[0]
    sites = Sites(
        positions=wrap(x, cell, inv).cpu().numpy()[k].astype(float),
        energies=e.cpu().numpy()[k].astype(float),
        frequencies=harmonic_frequencies(H[k], mass).reshape(-1, 3),
        hessians=H[k].reshape(-1, 3, 3),
        converged=conv.cpu().numpy()[k].astype(bool),
        cell=cell.cpu().numpy().astype(float),
        species=species,
        mass=mass,
    )
    return sites, int((~minimum).sum())


def find_sites(
    surface: EnergySurface,
    *,
    grid_spacing: float = DEFAULTS.grid_spacing,
    min_host_distance: float = DEFAULTS.min_host_distance,
    fmax: float = DEFAULTS.site_fmax,
    merge_distance: float = DEFAULTS.merge_distance,
    batch_size: int = 65536,
    max_steps: int = 2000,
    mass: float | None = None,
    push: float = 0.1,
    progress: bool = True,
    guide: bool = False,
) -> Sites:
    """Find every metastable site of the mobile atom on an EnergySurface.

    Parameters
    ----------
    surface
        Any object with ``cell`` (torch (3, 3), rows lattice vectors, Å) and
        ``energy_and_forces(positions)``; optionally ``host`` (ase.Atoms) and ``species``.
    grid_spacing : float
        Largest grid spacing along each lattice vector, Å.
    min_host_distance : float
        Grid points closer than this to a host atom (periodic distance) are skipped, Å. Used only
        when the surface has a ``host``. A surface with a ``min_host_distance`` of its own (the
        NNP's training domain) raises it to that, and minima closer than that to a host atom are
        dropped (``info["n_outside_domain"]``).
    fmax : float
        Minimisation stops at ``|F| < fmax``, eV/Å.
    merge_distance : float
        Minima closer than this (minimum-image distance) are one site, Å.
    batch_size : int
        Points per surface call.
    max_steps : int
        FIRE steps at most in the minimisation.
    mass : float, optional
        Mass of the mobile atom, amu (default: that of ``surface.species``, or Cu).
    push : float
        A relaxed point that is not a minimum (a negative Hessian eigenvalue: it stopped on a saddle
        or ridge with ``|F| < fmax``) is displaced by this much (Å) both ways along its softest mode
        and relaxed again (twice at most); what is still not a minimum is discarded.
    progress : bool
        Show progress bars.
    guide : bool
        Relax the grid minima first on a tricubic spline of the grid
        (:class:`~landscape.explore.SplineSurface`), merge the duplicates there, and finish on the
        surface itself with quasi-Newton steps driven by the spline's Hessians: the same sites for
        far fewer surface calls (for expensive surfaces such as the NNP). The sites' positions,
        energies and Hessians are the surface's own. Used only on grids finer than
        ``GUIDE_MAX_SPACING`` (0.3 Å); on coarser grids the spline is too rough to be trusted.

    Returns
    -------
    Sites
        Positions (wrapped, Å), energies (eV), frequencies (THz), Hessians (eV/Å²), converged
        flags; ``info`` holds the counts and seconds of each stage.

    Raises
    ------
    InputError
        Bad parameters, a surface returning NaN or inf on the grid, or no site found.

    Notes
    -----
    Cost: one surface call per grid point, ``O(steps)`` batched calls for the minimisation and
    ``6`` calls per candidate for the Hessians; merging is ``O(n²)`` in the number of candidates.
    """

    if grid_spacing <= 0 or fmax <= 0 or merge_distance < 0 or min_host_distance < 0:
        raise InputError(
            f"need grid_spacing > 0 Å, fmax > 0 eV/Å, merge_distance >= 0 Å, min_host_distance >= 0 Å; "
            f"got {grid_spacing}, {fmax}, {merge_distance}, {min_host_distance}"
        )
    cell, inv = check_surface(surface)
    species, mass = site_mass(surface, mass)
    info: dict = {}
    t0 = time.perf_counter()
    domain = getattr(surface, "min_host_distance", None)  # the model's domain, Å
    if domain is not None:
        min_host_distance = max(min_host_distance, float(domain))
        info["domain_min_host_distance"] = float(domain)
    shape, points, grid_e = _grid_search(
        surface, grid_spacing, min_host_distance, info, batch_size=batch_size, progress=progress
    )
    info["seconds_grid"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    x, e, conv = _relax_grid_minima(
        surface, cell, inv, points, grid_e.reshape(shape), info, species=species, guide=guide,
        push=push, fmax=fmax, max_steps=max_steps, merge_distance=merge_distance,
        batch_size=batch_size, progress=progress,
    )  # fmt: skip
    info["seconds_minimise"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    sites = _distinct_minima(
        surface, x, e, conv, info, in_domain=domain is not None, merge_distance=merge_distance,
        species=species, mass=mass, batch_size=batch_size,
    )  # fmt: skip
    info["seconds_hessian"] = time.perf_counter() - t0
    if len(sites) == 0:
        raise InputError("no metastable site found (every candidate relaxed to a non-minimum)")
    order = np.lexsort((sites.positions[:, 2], sites.positions[:, 1], sites.positions[:, 0]))
    sites = Sites(
        positions=sites.positions[order],
        energies=sites.energies[order],
        frequencies=sites.frequencies[order],
        hessians=sites.hessians[order],
        converged=sites.converged[order],
        cell=sites.cell,
        species=species,
        mass=mass,
        info=info,
        grid=grid_e.reshape(shape).cpu().numpy(),
    )
    return sites


def _grid_search(
    surface: EnergySurface,
    grid_spacing: float,
    min_host_distance: float,
    info: dict,
    *,
    batch_size: int,
    progress: bool,
) -> tuple[tuple[int, int, int], torch.Tensor, torch.Tensor]:
    """The surface on the fractional grid no coarser than ``grid_spacing`` (Å), points closer than
    ``min_host_distance`` (Å) to a host atom skipped: the grid's shape, its points (N, 3) Å and
    energies (N,) eV (``inf`` at skipped points); counts go to ``info``.

    Raises :class:`InputError` when the surface returns NaN or inf at a grid point."""
    shape, points, grid_e, skip = tabulate(
        surface, grid_spacing, min_host_distance, batch_size=batch_size, progress=progress
    )
    todo = torch.nonzero(~skip).flatten()
    bad = int((~torch.isfinite(grid_e[todo])).sum())
    if bad:
        raise InputError(
            f"the surface returned NaN or inf at {bad} of {len(todo)} grid points; expected finite energies (eV)"
        )
    info.update(grid_shape=list(shape), n_grid=len(points), n_skipped=int(skip.sum()))
    return shape, points, grid_e


def _relax_grid_minima(
    surface: EnergySurface,
    cell: torch.Tensor,
    inv: torch.Tensor,
    points: torch.Tensor,
    grid_e: torch.Tensor,
    info: dict,
    *,
    species: str,
    guide: bool,
    push: float,
    fmax: float,
    max_steps: int,
    merge_distance: float,
    batch_size: int,
    progress: bool,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The local minima of the grid energies ``grid_e`` (n1, n2, n3) eV at ``points`` (N, 3) Å,
    relaxed on the surface to ``|F| < fmax`` (eV/Å), through the spline guide first with ``guide``
    on grids no coarser than ``GUIDE_MAX_SPACING``; points that stopped on a saddle are pushed off
    it by ``push`` (Å). Positions (k, 3) Å, energies (k,) eV and convergence flags (k,) of the
    finite results; ``cell`` (3, 3) Å and its inverse ``inv`` are the surface's; counts go to
    ``info``.

    Raises :class:`InputError` when the grid has no local minimum."""
    shape = tuple(grid_e.shape)
    cand = torch.nonzero(_local_minima(grid_e).reshape(-1)).flatten()
    info["n_candidates"] = len(cand)
    if len(cand) == 0:
        raise InputError(
            "no grid local minimum found; expected a surface with at least one minimum"
        )
    start = points[cand]
    spline = None
    h = float((cell.norm(dim=1) / torch.as_tensor(shape, dtype=cell.dtype)).max())
    if guide and h <= GUIDE_MAX_SPACING:
        spline = SplineSurface(
            cell.cpu().numpy(), grid_e.cpu().numpy(), host=getattr(surface, "host", None),
            species=species, dtype=cell.dtype, device=str(cell.device),
        )  # fmt: skip
        start = _guide_starts(
            spline, start, cell, inv, h, info, push=push, fmax=fmax, max_steps=max_steps,
            merge_distance=merge_distance, batch_size=batch_size,
        )  # fmt: skip
    x, e, _, conv = minimise(
        surface,
        start,
        fmax=fmax,
        max_steps=max_steps,
        batch_size=batch_size,
        progress=progress,
        hessian_surface=spline,
    )
    finite = torch.isfinite(e) & torch.isfinite(x).all(dim=1)
    info["n_nonfinite"] = int((~finite).sum())
    return _push_off_saddles(
        surface, x[finite], e[finite], conv[finite], info, push=push, fmax=fmax,
        max_steps=max_steps, batch_size=batch_size,
    )  # fmt: skip


def _distinct_minima(
    surface: EnergySurface,
    x: torch.Tensor,
    e: torch.Tensor,
    conv: torch.Tensor,
    info: dict,
    *,
    in_domain: bool,
    merge_distance: float,
    species: str,
    mass: float,
    batch_size: int,
) -> Sites:
    """The relaxed points ``x`` (n, 3) Å with energies ``e`` (n,) eV and convergence flags
    ``conv`` merged within ``merge_distance`` (Å, the lowest kept), those outside the model's
    domain dropped (``in_domain``), and the rest with their Hessians as :class:`Sites` (points that
    are not minima discarded), in merge order; counts go to ``info``."""
    cell, inv = surface.cell, torch.linalg.inv(surface.cell)
    keep = torch.as_tensor(merge_minima(wrap(x, cell, inv), e, cell, merge_distance))
    if in_domain:
        # minima the network put closer to a host atom than any training point are extrapolation
        outside = outside_domain(surface, x[keep])
        info["n_outside_domain"] = int(outside.sum())
        keep = keep[~outside]
    sites, n_not_min = make_sites(
        surface, x[keep], e[keep], conv[keep], species=species, mass=mass, batch_size=batch_size
    )
    info.update(
        n_merged=int(len(x) - len(keep)),
        n_not_minimum=n_not_min,
        n_sites=len(sites),
        n_unconverged=int((~sites.converged).sum()),
    )
    return sites


def _guide_starts(
    spline: SplineSurface,
    start: torch.Tensor,
    cell: torch.Tensor,
    inv: torch.Tensor,
    h: float,
    info: dict,
    *,
    push: float,
    fmax: float,
    max_steps: int,
    merge_distance: float,
    batch_size: int,
) -> torch.Tensor:
    """The grid minima ``start`` (Å) relaxed on the spline guide and merged there: the starts of the
    minimisation on the surface itself. ``cell`` (3, 3) Å and its inverse ``inv`` are the
    surface's, ``h`` the grid's largest spacing, Å; counts go to ``info``."""
    # a grid minimum on a ridge or saddle of the spline is pushed both ways, as below
    lam, vec = torch.linalg.eigh(hessians(spline, start, batch_size=batch_size))
    neg = lam[:, 0] <= 0
    v = vec[neg][:, :, 0]
    start = torch.cat([start, start[neg] + push * v, start[neg] - push * v])
    info["n_guide_pushed"] = int(neg.sum())
    xg, eg, _, _ = minimise(
        spline, start, fmax=10 * fmax, max_steps=max_steps, batch_size=batch_size
    )
    # a grid minimum the spline carried further than one grid cell may have slid into a
    # neighbour's basin (the spline errs on coarse grids): it starts from the grid point
    moved = (xg - start).norm(dim=1)
    ok = torch.isfinite(eg) & torch.isfinite(xg).all(dim=1) & (moved <= h)
    info["n_guide_kept_grid_point"] = int((~ok).sum())
    xg = torch.where(ok[:, None], xg, start)
    eg = torch.where(ok, eg, spline.energy(start))
    start = xg[torch.as_tensor(merge_minima(wrap(xg, cell, inv), eg, cell, 0.5 * merge_distance))]
    info["n_guide_starts"] = len(start)
    return start


def _push_off_saddles(
    surface: EnergySurface,
    x: torch.Tensor,
    e: torch.Tensor,
    conv: torch.Tensor,
    info: dict,
    *,
    push: float,
    fmax: float,
    max_steps: int,
    batch_size: int,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Relaxed points ``x`` (Å), energies ``e`` (eV) and convergence flags, with every point that
    stopped on a saddle or a flat ridge (``|F| < fmax``, negative curvature) pushed by ``push`` (Å)
    both ways along its softest mode and relaxed again (twice at most); counts go to ``info``."""
    # a point that stopped on a saddle or a flat ridge (|F| < fmax, negative curvature) is pushed
    # both ways along its softest mode and relaxed again
    info["n_pushed_off_saddles"] = 0
    for _ in range(2):
        if len(x) == 0:
            break
        lam, vec = torch.linalg.eigh(hessians(surface, x, batch_size=batch_size))
        neg = lam[:, 0] <= 0
        if not neg.any():
            break
        v = vec[neg][:, :, 0]  # (k, 3) softest mode
        starts = torch.cat([x[neg] + push * v, x[neg] - push * v])
        x2, e2, _, c2 = minimise(
            surface, starts, fmax=fmax, max_steps=max_steps, batch_size=batch_size
        )
        ok = torch.isfinite(e2) & torch.isfinite(x2).all(dim=1)
        info["n_pushed_off_saddles"] += int(neg.sum())
        x = torch.cat([x[~neg], x2[ok]])
        e = torch.cat([e[~neg], e2[ok]])
        conv = torch.cat([conv[~neg], c2[ok]])
    return x, e, conv
