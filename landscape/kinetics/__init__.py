"""Kinetics on a hop network: exact diffusion tensor, vectorised KMC, percolation barrier, Arrhenius fit.

Every function takes a hop network (networkx ``MultiDiGraph``, docs/design.md "Hop network") or the
:class:`HopArrays` made from one, never the database. Units: K, eV, Å, Hz; D in cm²/s.

- :mod:`~landscape.kinetics.ensemble` — the model uncertainty of the activation energy (each member
  of an NNP ensemble re-reads the network's sites and saddles).
- :mod:`~landscape.kinetics.synthetic` — synthetic hop networks with known answers (tests,
  benchmarks, notebooks).
- :mod:`~landscape.kinetics.distribution` — several samples as a distribution (mean, spread,
  range of Eₐ and the percolation barrier over them).
"""

from __future__ import annotations

from .arrhenius import ArrheniusFit, arrhenius
from .distribution import describe_distribution, distribution, sample_distribution
from .ensemble import EnsembleActivation, ensemble_activation_energy, member_networks
from .exact import Component, ExactDiffusion, components, exact_diffusion, stationary_occupation
from .kmc import KMCResult, kmc
from .network import HopArrays, hop_arrays, load_network
from .percolation import PercolationResult, percolation_barrier
from .plot import plot_arrhenius
from .summary import kinetics_summary
from .superbasin import Superbasins, superbasins

__all__ = [
    "HopArrays",
    "hop_arrays",
    "load_network",
    "Component",
    "components",
    "stationary_occupation",
    "ExactDiffusion",
    "exact_diffusion",
    "KMCResult",
    "kmc",
    "Superbasins",
    "superbasins",
    "PercolationResult",
    "percolation_barrier",
    "ArrheniusFit",
    "arrhenius",
    "kinetics_summary",
    "plot_arrhenius",
    "distribution",
    "sample_distribution",
    "describe_distribution",
    "EnsembleActivation",
    "member_networks",
    "ensemble_activation_energy",
]
