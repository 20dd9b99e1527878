"""Calculators by name (CHGNet offline, SevenNet, CP2K input, module:Class) and result import."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from ase import Atom, Atoms
from ase.build import bulk
from ase.calculators.lj import LennardJones
from ase.calculators.singlepoint import SinglePointCalculator

from landscape.calculators import (
    CHGNET_LABEL,
    calculator_info,
    cp2k_input_text,
    parse_calculator_kwargs,
)
from landscape.errors import InputError
from landscape.reference import get_calculator, load_dataset
from landscape.reference.importer import dataset_info, import_results

LJ_KW = {"sigma": 2.0, "epsilon": 0.05, "rc": 4.5}


def test_unknown_calculator_lists_known_ones():
    with pytest.raises(
        InputError, match=r"unknown calculator 'vasp'.*'chgnet', 'sevennet', 'cp2k'"
    ):
        get_calculator("vasp")
    with pytest.raises(InputError, match="cannot import module 'no_such_mod'"):
        get_calculator("no_such_mod:Calc")
    with pytest.raises(InputError, match="has no 'Nope'"):
        get_calculator("ase.calculators.lj:Nope")


def test_module_class_calculator_with_json_kwargs():
    kw = parse_calculator_kwargs(json.dumps(LJ_KW))
    calc = get_calculator("ase.calculators.lj:LennardJones", **kw)
    atoms = Atoms("Ar2", positions=[[0, 0, 0], [0, 0, 2.0 * 2 ** (1 / 6)]])
    atoms.calc = calc
    # at the pair minimum r = 2^(1/6) sigma the energy is -epsilon (plus the cutoff shift)
    ref = LennardJones(**LJ_KW)
    atoms2 = atoms.copy()
    atoms2.calc = ref
    assert atoms.get_potential_energy() == pytest.approx(atoms2.get_potential_energy(), abs=1e-14)
    with pytest.raises(InputError, match="not valid JSON"):
        parse_calculator_kwargs("{sigma: 2}")
    with pytest.raises(InputError, match="must be a JSON object"):
        parse_calculator_kwargs("[1, 2]")


def test_sevennet_without_package_names_the_extra():
    try:
        import sevenn  # noqa: F401
    except ImportError:
        with pytest.raises(InputError, match=r"landscape\[dft\]"):
            get_calculator("sevennet")
    else:  # pragma: no cover - only where the extra is installed
        pytest.skip("sevenn is installed")


def test_cp2k_input_has_the_settings_that_converged():
    atoms = bulk("Ta", "bcc", a=3.3, cubic=True)
    atoms.append(Atom("O", [1.65, 0, 0]))
    atoms.append(Atom("Cu", [0, 1.65, 0]))
    text = cp2k_input_text(atoms)
    up = text.upper()
    for needle in (
        "&XC_FUNCTIONAL\n            &PBE",
        "BASIS_SET_FILE_NAME BASIS_MOLOPT",
        "POTENTIAL_FILE_NAME GTH_POTENTIALS",
        "BASIS_SET DZVP-MOLOPT-SR-GTH",
        "POTENTIAL GTH-PBE",
        "METHOD FERMI_DIRAC",
        "ELECTRONIC_TEMPERATURE [K] 1000",
        "METHOD BROYDEN_MIXING",
        "ALPHA 0.2",
        "ADDED_MOS 150",
        "&DIAGONALIZATION",
    ):
        assert needle in up, needle
    # 400 Ry plane-wave cutoff, written in eV by ASE
    from ase.units import Rydberg

    cutoff = [ln for ln in up.splitlines() if ln.strip().startswith("CUTOFF [EV]")][0]
    assert float(cutoff.split()[-1]) / Rydberg == pytest.approx(400.0, rel=1e-9)
    assert "KPOINTS" not in up  # Gamma point
    for el in ("TA", "O", "CU"):
        assert f"&KIND {el}" in up
    assert "UKS" not in up and "LSD" not in up  # spin-restricted
    info = calculator_info("cp2k")
    assert info["calculator"] == "CP2K PBE/GTH/DZVP-MOLOPT-SR-GTH"
    assert json.loads(info["calculator_params"])["xc"] == "PBE"


@pytest.mark.chgnet
def test_chgnet_loads_offline_and_matches_the_stock_calculator():
    from chgnet.model.dynamics import CHGNetCalculator
    from pymatgen.io.ase import AseAtomsAdaptor

    from landscape.calculators.chgnet_graph import crystal_graph

    calc = get_calculator("chgnet")
    atoms = bulk("Cu", "fcc", a=3.6, cubic=True)
    atoms.rattle(0.05, seed=0)
    atoms.calc = calc
    e = atoms.get_potential_energy()
    f = atoms.get_forces()
    stock = atoms.copy()
    stock.calc = CHGNetCalculator(model=calc.model, use_device="cpu")
    assert e == pytest.approx(stock.get_potential_energy(), abs=1e-6)
    np.testing.assert_allclose(f, stock.get_forces(), atol=1e-6)
    assert -5.0 < e / len(atoms) < -3.0  # Cu cohesive scale in MP-compatible energies, eV/atom
    # the vectorised graph is CHGNet's graph, array for array
    s = AseAtomsAdaptor.get_structure(atoms)
    g0 = calc.model.graph_converter(s)
    g1 = crystal_graph(calc.model.graph_converter, s)
    for name in ("atom_graph", "directed2undirected", "undirected2directed", "bond_graph"):
        assert np.array_equal(getattr(g0, name).numpy(), getattr(g1, name).numpy()), name
    (eb, fb), (eb2, _) = calc.batch_energy_forces([atoms, atoms])
    assert eb == pytest.approx(e, abs=1e-5) and eb2 == pytest.approx(e, abs=1e-5)
    info = calculator_info("chgnet", {"use_device": "cuda"})
    assert info["calculator"] == CHGNET_LABEL and info["calculator_params"] == "{}"


# ------------------------------------------------------------------------- import


def _frames():
    """A host (8 Ar, fcc) and three host + Cu frames with LJ energies as single-point results."""
    a = 2.0 * 2 ** (1 / 6) * 2**0.5
    host = bulk("Ar", "fcc", a=a, cubic=True) * (2, 1, 1)
    calc = LennardJones(**LJ_KW)
    out = []
    h = host.copy()
    h.calc = calc
    e_host = h.get_potential_energy()
    h.calc = SinglePointCalculator(h, energy=e_host, forces=h.get_forces())
    out.append(h)
    points = [[a / 2, a / 2, a / 2], [1.5 * a, a / 2, a / 2], [a / 2, 0.0, 0.0]]
    for p in points:
        x = host.copy()
        x.append(Atom("Cu", p))
        x.calc = calc
        e, f = x.get_potential_energy(), x.get_forces()
        x.calc = SinglePointCalculator(x, energy=e, forces=f)
        out.append(x)
    return out, e_host


@pytest.mark.parametrize("fmt", ["extxyz", "db"])
def test_import_extxyz_and_ase_db(tmp_path, fmt):
    import ase.io

    frames, e_host = _frames()
    src = tmp_path / f"results.{fmt}"
    ase.io.write(str(src), frames, format="extxyz" if fmt == "extxyz" else "db")
    out = tmp_path / "ref.db"
    counts = import_results([src], out, sample_id="ar", calculator="LJ test")
    assert counts == {"hosts": 1, "points": 3, "skipped": 0}
    ds = load_dataset(out, only_converged=False)
    for k, frame in enumerate(frames[1:]):
        assert ds.e_insert[k] == pytest.approx(frame.get_potential_energy() - e_host, abs=1e-9)
        np.testing.assert_allclose(ds.positions[k], frame.positions[-1], atol=1e-9)
    assert ds.calculator == "lj test"  # ase.db keeps calculator names in lower case
    again = import_results([src], out, sample_id="ar", calculator="LJ test")
    assert again == {"hosts": 0, "points": 0, "skipped": 3}
    info = dataset_info(out)["samples"]["ar"]
    assert info["points"] == 3 and info["ok"] == 3


def test_import_errors(tmp_path):
    import ase.io

    frames, _ = _frames()
    no_energy = frames[1].copy()
    no_energy.calc = None
    ase.io.write(str(tmp_path / "bad.extxyz"), [frames[0], no_energy])
    with pytest.raises(InputError, match=r"frame 1 has no energy"):
        import_results([tmp_path / "bad.extxyz"], tmp_path / "o.db", sample_id="ar")
    big = frames[1].copy()
    big.append(Atom("Cu", [0.1, 0.1, 3.0]))
    big.calc = SinglePointCalculator(big, energy=1.0)
    ase.io.write(str(tmp_path / "odd.extxyz"), [frames[0], big])
    with pytest.raises(InputError, match="unexpected atom count"):
        import_results([tmp_path / "odd.extxyz"], tmp_path / "o2.db", sample_id="ar")
    with pytest.raises(InputError, match="does not exist"):
        import_results([tmp_path / "vasprun.xml"], tmp_path / "o3.db", sample_id="ar")
    (tmp_path / "OUTCAR").write_text("not an outcar\n")
    with pytest.raises(InputError, match="cannot read"):
        import_results([tmp_path / "OUTCAR"], tmp_path / "o4.db", sample_id="ar")


# --------------------------------------------------------------- VASP outputs (hand-made)

DATA = Path(__file__).parent / "data"  # see data/README.md: VASP's formats, invented numbers
VASP = {
    "vasprun": ("vasprun_host.xml", "vasprun_host_cu.xml"),
    "outcar": ("OUTCAR_host", "OUTCAR_host_cu"),
}
E_HOST = -64.81704053  # energy(sigma->0) of the host run, eV
E_HOST_CU = -68.29104386  # of the last ionic step of the host + Cu run (the first: -68.20411327)
CU_POS = np.array([0.55, 0.80, 0.35]) @ np.diag([6.0, 6.2, 6.4])  # Å; the Cu was held fixed
CU_FORCE = [0.211, -0.347, 0.128]  # eV/Å on the fixed Cu in the last step
HOST_FMAX = 0.037150326741497174  # largest host force in the last step, eV/Å


@pytest.mark.parametrize("fmt", sorted(VASP))
def test_import_vasp_outputs(tmp_path, fmt):
    import ase.io
    from ase.db import connect

    host_file, point_file = (DATA / name for name in VASP[fmt])
    out = tmp_path / "ref.db"
    counts = import_results(
        [point_file, host_file], out, sample_id="o5ta2", calculator="VASP PBE", fmax=0.05
    )
    assert counts == {"hosts": 1, "points": 1, "skipped": 0}
    # e_insert is exactly the difference of the two energies ASE reads (the last ionic step)
    e_host = ase.io.read(host_file).get_potential_energy()
    e_cu = ase.io.read(point_file).get_potential_energy()
    ds = load_dataset(out, only_converged=False)
    assert len(ds) == 1 and ds.sample_ids.tolist() == ["o5ta2"] and ds.species == "Cu"
    assert ds.e_insert[0] == e_cu - e_host
    assert ds.e_insert[0] == pytest.approx(E_HOST_CU - E_HOST, abs=1e-9)
    np.testing.assert_allclose(ds.positions[0], CU_POS, rtol=0, atol=1e-9)
    assert ds.calculator == "vasp pbe"  # ase.db lower-cases calculator names
    assert ds.hosts["o5ta2"].get_chemical_formula() == "O5Ta2"
    db = connect(str(out))
    host = db.get(kind="host")
    assert host.e_host == e_host and host.natoms == 7 and host.calculator_label == "VASP PBE"
    assert host.source == f"{host_file.name}[0]"
    row = db.get(kind="point")
    assert row.sample_id == "o5ta2" and row.point_id == 0 and row.status == "ok"
    assert row.calculator_label == "VASP PBE" and row.source == f"{point_file.name}[0]"
    assert row.energy == e_cu and row.e_host == e_host
    assert row.converged and row.relax_fmax == pytest.approx(HOST_FMAX, abs=1e-12)
    np.testing.assert_allclose(row.forces, [CU_FORCE], rtol=0, atol=1e-12)
    info = dataset_info(out)["samples"]["o5ta2"]
    assert info["points"] == 1 and info["n_host_atoms"] == 7


def test_import_vasp_cli_repeats_and_later_points(tmp_path, capsys):
    import json

    from landscape.cli import main

    out = tmp_path / "ref.db"

    def cli(*files, fmax="0.05"):
        args = ["reference", "import", *map(str, files), "--db", str(out)]
        with pytest.raises(SystemExit) as stop:  # typer exits 0 on success
            main([*args, "--sample-id", "o5ta2", "--calculator", "VASP PBE", "--fmax", fmax])
        assert stop.value.code == 0
        return json.loads(capsys.readouterr().out)

    assert cli(*(DATA / n for n in VASP["vasprun"])) == {"hosts": 1, "points": 1, "skipped": 0}
    # the OUTCAR of the same run is the same point (position and energy): skipped
    assert cli(*(DATA / n for n in VASP["outcar"])) == {"hosts": 0, "points": 0, "skipped": 1}
    # a later run, alone in its own directory: a new point with the next id, not a repeat of 0
    text = (DATA / "OUTCAR_host_cu").read_text()
    text = text.replace("-68.29104386", "-68.10000000").replace(
        "     3.30000     4.96000     2.24000", "     1.00000     1.20000     5.00000"
    )
    (tmp_path / "p1").mkdir()
    (tmp_path / "p1" / "OUTCAR").write_text(text)
    assert cli(tmp_path / "p1" / "OUTCAR", fmax="0.01") == {"hosts": 0, "points": 1, "skipped": 0}
    ds = load_dataset(out, only_converged=False)
    assert ds.point_ids.tolist() == [0, 1]
    assert ds.e_insert[1] == pytest.approx(-68.1 - E_HOST, abs=1e-9)
    np.testing.assert_allclose(ds.positions[1], [1.0, 1.2, 5.0], rtol=0, atol=1e-9)
    assert len(load_dataset(out)) == 1  # host forces up to 0.037 eV/Å: not converged at 0.01


def _no_energy(fmt: str, how: str) -> str:
    text = (DATA / VASP[fmt][1]).read_text()
    if fmt == "vasprun" and how == "truncated":  # killed during the first ionic step
        return text[: text.index("<calculation>") + 200]
    if fmt == "vasprun":  # the energy blocks removed
        return re.sub(r"\s*<energy>.*?</energy>", "", text, flags=re.S)
    if how == "truncated":
        return text[: text.index("FREE ENERGIE")]
    return text.replace("FREE ENERGIE OF THE ION-ELECTRON SYSTEM (eV)", "")


@pytest.mark.parametrize("how", ["truncated", "energy removed"])
@pytest.mark.parametrize("fmt", sorted(VASP))
def test_import_vasp_output_without_energy(tmp_path, capsys, fmt, how):
    from landscape.cli import main

    name = {"vasprun": "vasprun.xml", "outcar": "OUTCAR"}[fmt]
    bad = tmp_path / name
    bad.write_text(_no_energy(fmt, how))
    host = DATA / VASP[fmt][0]
    with pytest.raises(InputError, match=r"has no energy: no finished ionic step") as exc:
        import_results([host, bad], tmp_path / "o.db", sample_id="o5ta2")
    assert "\n" not in str(exc.value) and name in str(exc.value)
    with pytest.raises(SystemExit) as stop:
        main(["reference", "import", str(bad), "--db", str(tmp_path / "c.db"), "--sample-id", "x"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "has no energy" in err


def test_import_counts_only_host_atoms_free_to_move_for_convergence(tmp_path):
    """A local relaxation (the host atoms far from the mobile atom fixed, as landscape's own
    points are made) leaves large forces on the fixed atoms: the import judges convergence by the
    free host atoms only (FixAtoms: extxyz move_mask, VASP selective dynamics) and keeps the
    mobile atom's raw force."""
    import ase.io
    from ase.constraints import FixAtoms

    host = bulk("Ar", "fcc", a=5.26, cubic=True)
    host.calc = SinglePointCalculator(host, energy=-1.0, forces=np.zeros((4, 3)))
    point = host.copy()
    point.append(Atom("Cu", [1.3, 1.3, 1.3]))
    forces = np.zeros((5, 3))
    forces[3] = [0.0, 0.9, 0.0]  # a fixed host atom, far from Cu: never relaxed
    forces[0] = [0.01, 0.0, 0.0]  # a free host atom: relaxed below fmax
    forces[4] = [0.0, 0.0, 0.4]  # the mobile atom, fixed during the relaxation
    point.set_constraint(FixAtoms(indices=[3, 4]))
    point.calc = SinglePointCalculator(point, energy=-3.0, forces=forces)
    ase.io.write(tmp_path / "frames.extxyz", [host, point])
    out = tmp_path / "ref.db"
    assert import_results([tmp_path / "frames.extxyz"], out, sample_id="ar")["points"] == 1
    ds = load_dataset(out)  # converged: 0.01 eV/Å on the free host atoms
    assert len(ds) == 1 and ds.e_insert[0] == pytest.approx(-2.0)
    np.testing.assert_allclose(ds.forces[0], [0.0, 0.0, 0.4])
    # the same frame without the constraint: the fixed atom's 0.9 eV/Å counts, not converged
    point.set_constraint()
    ase.io.write(tmp_path / "free.extxyz", [host, point])
    import_results([tmp_path / "free.extxyz"], tmp_path / "free.db", sample_id="ar")
    assert len(load_dataset(tmp_path / "free.db", only_converged=False)) == 1
    with pytest.raises(InputError, match="no successful points"):
        load_dataset(tmp_path / "free.db")
