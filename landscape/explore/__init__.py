"""Explore: the metastable sites of the mobile atom on an EnergySurface and the hops between them.

- :mod:`~landscape.explore.grid` — energies on a fractional grid of the cell (shared by both searches).
- :mod:`~landscape.explore.minimise` — batched FIRE, Newton polish, finite-difference Hessians.
- :mod:`~landscape.explore.sites` — :func:`find_sites`, the site search.
- :mod:`~landscape.explore.candidates` — candidate pairs of sites (by distance, or by basin).
- :mod:`~landscape.explore.neb` — batched climbing-image NEB.
- :mod:`~landscape.explore.hops` — :func:`find_hops`, the hop search, and its settings.
- :mod:`~landscape.explore.validate` — reference energies along hops (:func:`validate_hops`), and
  another model's barriers along the same bands (:func:`rescore_validation`).
- :mod:`~landscape.explore.spline` — the tricubic spline guide (:class:`SplineSurface`).
- :mod:`~landscape.explore.surfaces` — analytic test surfaces and an ASE calculator of any surface.
- :mod:`~landscape.explore.plots` — figures of a hop network.
"""

from __future__ import annotations

from ..contracts import network_points
from .candidates import basin_pairs, candidate_pairs
from .grid import evaluate, grid_energies, grid_points, host_mask, outside_domain, tabulate
from .hops import HopSearchSettings, find_hops
from .minimise import BatchedFIRE, harmonic_frequencies, hessians, minimise, newton_polish
from .neb import NEBResult, batched_neb, initial_bands, interior_minimum_depth
from .plots import hop_segments, plot_network_3d, plot_profiles, plot_validation, write_network_html
from .sites import Sites, find_sites, make_sites, merge_minima, site_mass
from .spline import SplineSurface
from .surfaces import CosineSurface, DoubleWellSurface, GaussianSumSurface, SurfaceCalculator
from .validate import (
    converged_mask,
    describe_validation,
    rescore_validation,
    validate_hops,
    validation_errors,
)

__all__ = [
    # grid
    "evaluate",
    "grid_energies",
    "grid_points",
    "host_mask",
    "tabulate",
    "outside_domain",
    # sites
    "Sites",
    "find_sites",
    "minimise",
    "merge_minima",
    "hessians",
    "harmonic_frequencies",
    "site_mass",
    "BatchedFIRE",
    "newton_polish",
    "make_sites",
    # hops
    "find_hops",
    "HopSearchSettings",
    "candidate_pairs",
    "basin_pairs",
    "batched_neb",
    "initial_bands",
    "interior_minimum_depth",
    "NEBResult",
    "validate_hops",
    "rescore_validation",
    "validation_errors",
    "describe_validation",
    "converged_mask",
    "network_points",
    # surfaces
    "CosineSurface",
    "DoubleWellSurface",
    "GaussianSumSurface",
    "SplineSurface",
    "SurfaceCalculator",
    # plots
    "plot_profiles",
    "plot_network_3d",
    "write_network_html",
    "hop_segments",
    "plot_validation",
]
