"""Melt-quench of a metal (Pd-Ni) with another MD calculator than the Ta-O pair potential."""

from __future__ import annotations

import ase
import numpy as np
import pytest
from ase.data import atomic_numbers, covalent_radii

from landscape.errors import InputError
from landscape.samples import (
    START_RADIUS_FACTOR,
    check_md_calculator,
    density_g_cm3,
    generate_amorphous,
    sample_info,
    validate_sample,
)
from landscape.samples.generate import _start_distances

EMT = "ase.calculators.emt:EMT"
#: 13 Pd + 3 Ni, melted at 2500 K for 0.2 ps and quenched to 300 K in 0.4 ps (2 fs steps).
TINY = dict(density=11.5, t_melt=2500.0, melt_steps=100, quench_steps=200, timestep=2.0)


def test_pd_ni_melt_quench_with_emt_is_physical_and_at_the_density():
    atoms = generate_amorphous(
        {"Pd": 13, "Ni": 3}, seed=1, md_calculator=EMT, calculator=None, **TINY
    )
    info = sample_info(atoms)
    # EMT's Pd-Pd bond is 2.74 Å (fcc a0 3.879 Å); no pair closer than 2.0 Å after the quench
    assert min(info.min_distance.values()) > 2.0, info.min_distance
    assert 2.5 <= info.rdf_peak["Pd-Pd"] <= 2.9, info.rdf_peak
    assert density_g_cm3(atoms) == pytest.approx(11.5, rel=1e-12)
    assert atoms.info["gen_md_calculator"] == EMT
    assert atoms.info["gen_md_calculator_version"] == ase.__version__
    assert atoms.info["gen_method"].startswith(f"melt-quench MD ({EMT}, Langevin)")
    validate_sample(atoms)
    again = generate_amorphous(
        {"Pd": 13, "Ni": 3}, seed=1, md_calculator=EMT, calculator=None, **TINY
    )
    np.testing.assert_array_equal(again.positions, atoms.positions)


def test_without_pd_ni_parameters_the_melt_is_an_ideal_gas():
    """The pair potential by import path (not refused: any 'module:Class' is taken as given) has
    no Pd-Ni terms: the atoms do not interact and end closer than any metal bond."""
    atoms = generate_amorphous(
        {"Pd": 13, "Ni": 3},
        seed=1,
        md_calculator="landscape.samples:MeltPairPotential",
        calculator=None,
        **TINY,
    )
    assert min(sample_info(atoms).min_distance.values()) < 2.0
    assert atoms.info["gen_md_calculator"] == "landscape.samples:MeltPairPotential"


def test_emt_relaxation_after_the_quench_records_both_calculators():
    atoms = generate_amorphous(
        {"Pd": 13, "Ni": 3}, seed=2, md_calculator=EMT, calculator=EMT, fmax=0.05, **TINY
    )
    assert atoms.info["gen_md_calculator"] == EMT and atoms.info["gen_calculator"] == EMT
    assert atoms.info["gen_relax_final_fmax"] <= 0.05
    assert "gen_md_calculator_params" not in atoms.info  # no keyword arguments given
    # the quench's FIRE already brings the forces below 0.01 eV/Å, so EMT relaxes nothing more
    assert atoms.info["gen_relax_steps"] <= 1


def test_pair_is_refused_for_species_it_has_no_parameters_for():
    with pytest.raises(InputError, match="no parameters for Ni-Ni, Ni-Pd, Pd-Pd") as err:
        generate_amorphous({"Pd": 10, "Ni": 2}, calculator=None)
    assert "\n" not in str(err.value) and "pass md_calculator" in str(err.value)
    with pytest.raises(InputError, match="no parameters for Cu-Cu, Cu-O, Cu-Ta"):
        check_md_calculator("pair", ["Ta", "O", "Cu"], "--md-calculator")
    with pytest.raises(InputError, match="--md-calculator 'nosuch' is unknown"):
        check_md_calculator("nosuch", ["Pd"], "--md-calculator")
    with pytest.raises(InputError, match="cannot handle element 'Ta'"):
        generate_amorphous({"Ta": 2, "O": 5}, md_calculator=EMT, calculator=None)
    # Ta-O, and pairs given their own parameters, are taken
    assert check_md_calculator("pair", ["Ta", "O", "O"]) == "pair"
    own = {"morse": {("Ni", "Pd"): (0.5, 1.5, 2.6)},
           "born_mayer": {("Pd", "Pd"): (3000.0, 0.3), ("Ni", "Ni"): (3000.0, 0.3)}}  # fmt: skip
    assert check_md_calculator("pair", ["Pd", "Ni"], kwargs=own) == "pair"


def test_start_distances_keep_the_ta_o_table_and_use_covalent_radii_otherwise():
    d = _start_distances(["Ta", "O", "Pd", "Ni"])
    assert (d[0, 0], d[0, 1], d[1, 1]) == (3.0, 1.8, 2.3)
    r = {s: covalent_radii[atomic_numbers[s]] for s in ("Pd", "Ni", "Ta")}
    assert START_RADIUS_FACTOR == 0.8
    assert d[2, 2] == pytest.approx(0.8 * 2 * 1.39, abs=1e-12)  # Pd-Pd: 2.224 Å
    assert d[2, 3] == d[3, 2] == pytest.approx(0.8 * (1.39 + 1.24), abs=1e-12)
    assert d[0, 2] == pytest.approx(0.8 * (r["Ta"] + r["Pd"]), abs=1e-12)
    np.testing.assert_array_equal(d, d.T)
