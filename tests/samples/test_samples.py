"""Samples: reading, validation, description (density, RDF, coordination), generation."""

from __future__ import annotations

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk, molecule
from ase.data import atomic_masses, atomic_numbers

from landscape.errors import InputError
from landscape.samples import (
    MeltPairPotential,
    bundled_samples,
    density_g_cm3,
    generate_amorphous,
    load_sample,
    sample_info,
    validate_sample,
)

AMU_PER_A3_TO_G_CM3 = 1.66053906660


def nacl(a: float = 5.64) -> Atoms:
    return bulk("NaCl", "rocksalt", a=a, cubic=True)


QUENCHED = ["a-Ta2O5-1", "a-Ta2O5-2", "a-Ta2O5-3"]
ANNEALED = ["a-Ta2O5-1a", "a-Ta2O5-2a", "a-Ta2O5-3a"]


def test_bundled_samples_with_provenance():
    assert bundled_samples() == sorted(QUENCHED + ANNEALED)
    seeds = set()
    for name in QUENCHED:
        atoms = load_sample(name)
        assert atoms.info["sample_id"] == name
        assert atoms.get_chemical_formula(mode="metal") == "Ta28O70"
        assert atoms.info["gen_command"].startswith("landscape sample generate")
        assert "standing in for DFT" in atoms.info["gen_calculator"]
        assert atoms.info["gen_relax_final_fmax"] <= atoms.info["gen_relax_fmax"]
        seeds.add(atoms.info["gen_seed"])
    assert len(seeds) == 3


@pytest.mark.parametrize("source, name", list(zip(QUENCHED, ANNEALED, strict=True)))
def test_annealed_bundled_samples_come_from_the_quenched_ones(source, name):
    quenched, annealed = load_sample(source), load_sample(name)
    info = annealed.info
    assert info["sample_id"] == name
    assert info["anneal_command"].startswith(f"landscape sample anneal {source} ")
    assert f"--sample-id {name}" in info["anneal_command"]
    assert (
        info["anneal_t_K"] == 1500.0 and info["anneal_steps"] == info["anneal_cool_steps"] == 2000
    )
    assert "standing in for DFT" in info["anneal_calculator"]
    assert info["anneal_relax_final_fmax"] <= info["anneal_relax_fmax"]
    # same atoms, same cell (fixed-cell MD), the generation record carried over, lower energy
    assert annealed.get_chemical_symbols() == quenched.get_chemical_symbols()
    np.testing.assert_allclose(annealed.cell[:], quenched.cell[:], atol=1e-9)
    assert info["gen_command"] == quenched.info["gen_command"]
    assert info["energy_eV"] < quenched.info["energy_eV"] - 1.0


@pytest.mark.parametrize("name", QUENCHED + ANNEALED)
def test_bundled_sample_structure_is_amorphous_ta2o5(name):
    info = sample_info(load_sample(name))
    mass = 28 * atomic_masses[atomic_numbers["Ta"]] + 70 * atomic_masses[atomic_numbers["O"]]
    assert info.density == pytest.approx(mass / info.volume * AMU_PER_A3_TO_G_CM3, rel=1e-12)
    assert 7.5 <= info.density <= 8.0
    assert 1.9 <= info.rdf_peak["Ta-O"] <= 2.05
    assert 5.5 <= info.coordination["Ta-O"] <= 7.0
    # every Ta-O neighbour of a Ta is an O-Ta neighbour of an O: 28 * CN(Ta) = 70 * CN(O)
    assert 28 * info.coordination["Ta-O"] == pytest.approx(70 * info.coordination["O-Ta"])


def test_rocksalt_rdf_and_coordination_exact():
    a = 5.64
    atoms = nacl(a)
    info = sample_info(atoms, r_max=5.0, dr=0.01)
    assert info.rdf_peak["Na-Cl"] == pytest.approx(a / 2, abs=0.01)
    assert info.coordination["Na-Cl"] == pytest.approx(6.0, abs=1e-12)
    assert info.min_distance["Na-Cl"] == pytest.approx(a / 2, abs=1e-9)
    mass = 4 * (atomic_masses[11] + atomic_masses[17])
    assert density_g_cm3(atoms) == pytest.approx(mass / a**3 * AMU_PER_A3_TO_G_CM3, rel=1e-12)
    # g(r) tends to 1: the number of Na-Cl pairs within r_max equals the integral of g
    shell = 4 * np.pi * info.r**2 * 0.01
    n_pairs = (info.rdf["Na-Cl"] * shell).sum() * 4 / atoms.get_volume()
    from ase.neighborlist import neighbor_list

    i, j, d = neighbor_list("ijd", atoms, 5.0)
    sym = np.array(atoms.get_chemical_symbols())
    expect = ((sym[i] == "Na") & (sym[j] == "Cl")).sum() / 4
    assert n_pairs == pytest.approx(expect, rel=1e-9)


@pytest.mark.parametrize("fmt,ext", [("vasp", "POSCAR"), ("cif", "x.cif"), ("extxyz", "x.extxyz")])
def test_reads_common_formats(tmp_path, fmt, ext):
    import ase.io

    path = tmp_path / ext
    ase.io.write(str(path), nacl(), format=fmt)
    atoms = load_sample(path)
    assert len(atoms) == 8
    assert atoms.info["sample_id"] == path.stem
    np.testing.assert_allclose(atoms.cell.lengths(), [5.64] * 3, atol=1e-6)


def test_reads_lammps_data(tmp_path):
    import ase.io

    path = tmp_path / "nacl.lmp"
    ase.io.write(str(path), nacl(), format="lammps-data", masses=True)
    atoms = load_sample(path)
    assert len(atoms) == 8


def test_bad_structures_are_one_line_input_errors(tmp_path):
    import ase.io

    mol = tmp_path / "water.xyz"
    ase.io.write(str(mol), molecule("H2O"), format="xyz")
    with pytest.raises(InputError, match="periodic in 3D"):
        load_sample(mol)
    junk = tmp_path / "junk.extxyz"
    junk.write_text("this is not\na structure file\n")
    with pytest.raises(InputError, match="cannot read") as err:
        load_sample(junk)
    assert "\n" not in str(err.value)
    with pytest.raises(InputError, match="neither a bundled sample"):
        load_sample(tmp_path / "missing.cif")
    close = nacl()
    close.positions[1] = close.positions[0] + [0.5, 0, 0]
    with pytest.raises(InputError, match="overlap at 0.500"):
        validate_sample(close)
    unknown = Atoms("X2", positions=[[0, 0, 0], [2, 2, 2]], cell=[5, 5, 5], pbc=True)
    with pytest.raises(InputError, match="unknown species"):
        validate_sample(unknown)


def test_melt_pair_potential_forces_are_minus_gradient():
    rng = np.random.default_rng(0)
    atoms = Atoms("Ta2O5", positions=rng.random((7, 3)) * 6.0, cell=[6.0, 6.0, 6.0], pbc=True)
    atoms.calc = MeltPairPotential()
    f = atoms.get_forces()
    h = 1e-5
    num = np.zeros_like(f)
    for a in range(len(atoms)):
        for k in range(3):
            p = atoms.positions.copy()
            p[a, k] += h
            atoms.positions = p
            ep = atoms.get_potential_energy()
            p[a, k] -= 2 * h
            atoms.positions = p
            em = atoms.get_potential_energy()
            p[a, k] += h
            atoms.positions = p
            num[a, k] = -(ep - em) / (2 * h)
    np.testing.assert_allclose(f, num, rtol=1e-5, atol=1e-6 * max(1.0, np.abs(f).max()))


def test_melt_pair_potential_vanishes_at_cutoff_and_has_ta_o_minimum_near_bond_length():
    pot = MeltPairPotential()
    e, de = pot._pair("Ta", "O", np.array([pot.cutoff - 1e-9]))
    assert abs(e[0]) < 1e-9 and abs(de[0]) < 1e-8
    r = np.linspace(1.6, 3.0, 1401)
    e, _ = pot._pair("Ta", "O", r)
    assert 1.85 <= r[np.argmin(e)] <= 2.0


def test_generate_amorphous_is_seeded_and_at_the_density(tmp_path):
    kw = dict(density=7.75, melt_steps=50, quench_steps=50, calculator=None)
    a = generate_amorphous({"Ta": 4, "O": 10}, seed=3, **kw)
    b = generate_amorphous({"Ta": 4, "O": 10}, seed=3, **kw)
    c = generate_amorphous({"Ta": 4, "O": 10}, seed=4, **kw)
    np.testing.assert_array_equal(a.positions, b.positions)
    assert not np.allclose(a.positions, c.positions)
    assert density_g_cm3(a) == pytest.approx(7.75, rel=1e-12)
    assert a.info["gen_seed"] == 3 and a.info["gen_density_g_cm3"] == 7.75
    validate_sample(a)
    with pytest.raises(InputError, match="unknown species"):
        generate_amorphous({"Qq": 2}, **kw)


def test_cli_sample_info():
    from typer.testing import CliRunner

    from landscape.cli import app

    res = CliRunner().invoke(app, ["sample", "info", "a-Ta2O5-2"])
    assert res.exit_code == 0, res.output
    out = res.output
    assert "density 7.750 g/cm^3" in out
    assert "Ta-O: first RDF peak" in out


def test_cli_sample_generate_writes_provenance(tmp_path):
    from typer.testing import CliRunner

    from landscape.cli import app

    out = tmp_path / "tiny.extxyz"
    args = [
        "sample",
        "generate",
        str(out),
        "--composition",
        "Ta4O10",
        "--seed",
        "5",
        "--melt-steps",
        "50",
        "--quench-steps",
        "50",
        "--calculator",
        "none",
    ]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    atoms = load_sample(out)
    assert atoms.info["sample_id"] == "tiny" and atoms.info["gen_seed"] == 5
    assert "--composition Ta4O10" in atoms.info["gen_command"]
    assert density_g_cm3(atoms) == pytest.approx(7.75, rel=1e-9)


def test_anneal_sample_lowers_the_energy_keeps_the_cell_and_records_provenance(tmp_path):
    """Anneal a quickly quenched sample on the pair potential (as the reference calculator, by
    import path): the cell stays, the relaxed energy drops below the quench's, the forces end
    below fmax and the provenance of both steps is kept."""
    from landscape.samples import anneal_sample

    calc = "landscape.samples:MeltPairPotential"
    start = generate_amorphous(
        {"Ta": 4, "O": 10}, seed=3, melt_steps=50, quench_steps=50, calculator=calc
    )
    kw = dict(calculator=calc, t_anneal=2000.0, anneal_steps=100, cool_steps=100, timestep=1.0)
    a = anneal_sample(start, seed=1, **kw)
    b = anneal_sample(start, seed=1, **kw)
    np.testing.assert_array_equal(a.positions, b.positions)  # seeded
    np.testing.assert_array_equal(a.cell.array, start.cell.array)
    assert a.info["gen_seed"] == 3 and a.info["anneal_seed"] == 1  # both steps' provenance
    assert a.info["anneal_t_K"] == 2000.0 and a.info["anneal_steps"] == 100
    assert a.info["anneal_relax_final_fmax"] <= 0.05
    assert a.info["energy_eV"] < start.info["energy_eV"], (a.info["energy_eV"], start.info)
    assert not np.allclose(a.positions, start.positions)
    validate_sample(a)
    renamed = anneal_sample(start, seed=1, sample_id="x-annealed", **kw)
    assert renamed.info["sample_id"] == "x-annealed"
    with pytest.raises(InputError, match="t_anneal"):
        anneal_sample(start, calculator=calc, t_anneal=-5.0)
    with pytest.raises(InputError, match="anneal_steps"):
        anneal_sample(start, calculator=calc, anneal_steps=-1)


def test_cli_sample_anneal(tmp_path):
    from typer.testing import CliRunner

    from landscape.cli import app

    src = tmp_path / "tiny.extxyz"
    start = generate_amorphous({"Ta": 4, "O": 10}, seed=5, melt_steps=50, quench_steps=50,
                               calculator=None, sample_id="tiny")  # fmt: skip
    start.write(src)
    out = tmp_path / "tiny-annealed.extxyz"
    args = ["sample", "anneal", str(src), str(out), "--calculator",
            "landscape.samples:MeltPairPotential", "--anneal-steps", "50", "--cool-steps", "50",
            "--timestep", "1.0", "--seed", "2"]  # fmt: skip
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    atoms = load_sample(out)
    assert atoms.info["anneal_seed"] == 2 and atoms.info["sample_id"] == "tiny"
    assert "sample anneal" in atoms.info["anneal_command"]
    assert '"density_g_cm3"' in res.output or "density" in res.output


def test_generation_repeats_exactly_across_processes():
    # MeltPairPotential summed its species pairs in the order of a Python set, which changes with
    # the per-process hash seed: the same seed gave other samples in another process
    import os
    import subprocess
    import sys

    code = (
        "import hashlib; from landscape.samples import generate_amorphous; "
        "a = generate_amorphous({'Ta': 4, 'O': 10}, seed=3, melt_steps=50, quench_steps=50, "
        "calculator=None); print(hashlib.sha256(a.positions.tobytes()).hexdigest())"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in (0, 1, 7)
    }
    assert len(digests) == 1 and len(next(iter(digests))) == 64
