"""landscape — diffusion of one mobile atom in an amorphous host.

A simplified neural-network potential maps the mobile atom's position to the energy of the whole
system after the host relaxed around it (Li, Ando & Watanabe, J. Phys. Soc. Jpn. 86, 104004 (2017)).
With it landscape finds metastable sites and hops, stores them as a graph in a Neo4j-compatible
database, and computes diffusion coefficients and the activation energy.

Units everywhere: eV, Å, K, fs; D in cm²/s; prefactors in Hz (see :mod:`landscape.units`).

Heavy parts (torch, the database driver, CHGNet) are imported only when a name that needs them is
first used, so ``import landscape`` stays cheap.
"""

from __future__ import annotations

from ._lazy import lazy_getattr
from .config import DEFAULTS, Settings
from .errors import ConvergenceError, InputError, LandscapeError, StoreError

__version__ = "0.1.0"

#: Public name -> module that defines it (imported on first use).
_LAZY: dict[str, str] = {
    # graph store
    "open_store": "landscape.graph",
    "GraphStore": "landscape.graph",
    # samples, reference
    "load_sample": "landscape.samples",
    "bundled_samples": "landscape.samples",
    "sample_info": "landscape.samples",
    "generate_amorphous": "landscape.samples",
    "relax_insertion": "landscape.reference",
    "run_reference": "landscape.reference",
    "InsertionPoints": "landscape.reference",
    "Relaxation": "landscape.reference",
    "Execution": "landscape.reference",
    "get_calculator": "landscape.reference",
    "load_dataset": "landscape.reference",
    # descriptors, potential
    "SymmetryFunctions": "landscape.nnp.descriptors",
    "propose_grids": "landscape.nnp.descriptors",
    "SimplifiedNNP": "landscape.nnp.model",
    "NNPSurface": "landscape.nnp.surface",
    "NNPCalculator": "landscape.nnp.surface",
    # contracts between the steps
    "EnergySurface": "landscape.contracts",
    "save_network": "landscape.contracts",
    # explore: sites, hops
    "find_sites": "landscape.explore",
    "Sites": "landscape.explore",
    "find_hops": "landscape.explore",
    "CosineSurface": "landscape.explore",
    "DoubleWellSurface": "landscape.explore",
    "GaussianSumSurface": "landscape.explore",
    "SurfaceCalculator": "landscape.explore",
    # kinetics
    "HopArrays": "landscape.kinetics",
    "hop_arrays": "landscape.kinetics",
    "load_network": "landscape.kinetics",
    "exact_diffusion": "landscape.kinetics",
    "ExactDiffusion": "landscape.kinetics",
    "kmc": "landscape.kinetics",
    "KMCResult": "landscape.kinetics",
    "percolation_barrier": "landscape.kinetics",
    "PercolationResult": "landscape.kinetics",
    "arrhenius": "landscape.kinetics",
    "ArrheniusFit": "landscape.kinetics",
    "kinetics_summary": "landscape.kinetics",
    "plot_arrhenius": "landscape.kinetics",
    # model uncertainty of the kinetics (NNP ensemble members)
    "ensemble_activation_energy": "landscape.kinetics",
    "member_networks": "landscape.kinetics",
    "EnsembleActivation": "landscape.kinetics",
    # the whole study
    "run_study": "landscape.study",
    "demo_config": "landscape.study",
    "StudyResult": "landscape.study",
    "DEMO_SAMPLES": "landscape.study",
    "StudyConfig": "landscape.study",
    "load_study": "landscape.study",
    "parse_study": "landscape.study",
}

__all__ = [
    "__version__",
    "Settings",
    "DEFAULTS",
    "LandscapeError",
    "InputError",
    "ConvergenceError",
    "StoreError",
    *_LAZY,
]


__getattr__ = lazy_getattr(__name__, _LAZY)


def __dir__() -> list[str]:
    return sorted(__all__)
