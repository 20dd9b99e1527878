"""Host samples: read, validate, describe and generate amorphous structures.

A sample is a periodic :class:`ase.Atoms` with ``atoms.info["sample_id"]``. :func:`load_sample`
takes a bundled sample's name (:func:`bundled_samples`) or any ASE-readable periodic file (extxyz,
POSCAR, CIF, LAMMPS data, ...). :func:`sample_info` reports the density, partial radial distribution
functions and coordination numbers. :func:`generate_amorphous` makes an amorphous sample by
melt-quench molecular dynamics with a cheap classical pair potential (:class:`MeltPairPotential`,
Ta-O) or any other calculator (e.g. ASE's EMT for Pd-Ni), then relaxes the atoms with the
reference calculator at fixed cell (fixed density).

The bundled a-Ta2O5 samples (28 Ta + 70 O) a-Ta2O5-1, -2, -3 were made by ``landscape sample
generate``, and their annealed twins a-Ta2O5-1a, -2a, -3a (the demo's hosts) from them by
``landscape sample anneal`` (``scripts/make_samples.sh``); the commands, seeds, parameters,
calculator and dates are stored in each file's ``info``.

Modules: :mod:`.io` (bundled samples, reading, validation), :mod:`.info` (density, RDF,
coordination), :mod:`.generate` (melt-quench), :mod:`.anneal` (annealing on the reference
calculator), :mod:`._md` (the MD and relaxation steps the last two share).
"""

from __future__ import annotations

from .anneal import anneal_sample
from .generate import START_RADIUS_FACTOR as START_RADIUS_FACTOR
from .generate import MeltPairPotential, check_md_calculator, generate_amorphous
from .info import COORDINATION_CUTOFFS as COORDINATION_CUTOFFS
from .info import SampleInfo, box_length_for_density, density_g_cm3, sample_info
from .io import MIN_DISTANCE_FRACTION as MIN_DISTANCE_FRACTION
from .io import bundled_sample_path, bundled_samples, load_sample, validate_sample

__all__ = [
    "load_sample",
    "bundled_samples",
    "bundled_sample_path",
    "validate_sample",
    "sample_info",
    "SampleInfo",
    "density_g_cm3",
    "box_length_for_density",
    "generate_amorphous",
    "check_md_calculator",
    "anneal_sample",
    "MeltPairPotential",
]
