"""``landscape init`` and the study-file defaults that scale with the host and the mobile species
(:mod:`landscape.study.scaffold`), and ``hops.max_distance = "auto"``."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk
from ase.io import write

from landscape.contracts import network_data, network_from_data
from landscape.errors import InputError
from landscape.samples import load_sample
from landscape.study import StudyConfig, check_study_paths, load_study, parse_study
from landscape.study.scaffold import auto_hop_distance, resolve_hop_distance, scaled_defaults
from tests.helpers.cli import run_cli, snapshot

TOL = 1e-9


def _pd32() -> Atoms:
    """The tutorial's host: 32 Pd atoms, fcc a = 3.89 Å (7.78 Å cube, 470.93 Å³), rattled."""
    host = bulk("Pd", "fcc", a=3.89, cubic=True).repeat(2)
    host.rattle(stdev=0.05, seed=1)
    return host


def _pd80ni20() -> Atoms:
    """80 atoms (64 Pd, 16 Ni) in a cube at 11 g/cm³: V = (64 × 106.42 + 16 × 58.6934) amu
    × 1.66054 / 11 = 1169.92 Å³."""
    host = bulk("Pd", "fcc", a=3.89, cubic=True).repeat((5, 2, 2))
    symbols = ["Ni" if k % 5 == 0 else "Pd" for k in range(80)]
    host.set_chemical_symbols(symbols)
    volume = host.get_masses().sum() * 1.66053906660 / 11.0
    host.set_cell(np.eye(3) * volume ** (1 / 3), scale_atoms=True)
    return host


def _values(derived):
    return {k: d.value for k, d in derived.items()}


def test_scaled_defaults_cu_in_bundled_ta2o5():
    host = load_sample("a-Ta2O5-1a")
    assert host.get_volume() == pytest.approx(1325.53, abs=0.01)  # Å³
    d = scaled_defaults(host, "Cu")
    v = _values(d)
    # 0.7 × (r_Cu + r_O) = 0.7 × (1.32 + 0.66) = 1.386 → 1.40 Å
    assert v["reference.min_distance"] == pytest.approx(1.40, abs=TOL)
    assert v["sites.min_host_distance"] == pytest.approx(1.10, abs=TOL)  # 0.8 × 1.40 = 1.12
    assert v["sites.grid_spacing"] == pytest.approx(0.25, abs=TOL)  # min(0.25, 0.28)
    assert v["reference.points"] == 350  # 0.25 × 1325.53 = 331.4 → 350
    assert v["reference.relax_radius"] == pytest.approx(5.0, abs=TOL)
    assert v["hops.max_distance"] == "auto"
    assert "0.7 × (r_Cu + r_O) = 0.7 × (1.32 + 0.66)" in d["reference.min_distance"].reason
    assert d["reference.min_distance"].reason.startswith("Å: ")


def test_scaled_defaults_h_in_rattled_pd_and_in_pd80ni20():
    v = _values(scaled_defaults(_pd32(), "H"))
    # 0.7 × (0.31 + 1.39) = 1.190 → 1.20; 0.8 × 1.20 = 0.96 → 0.95; min(0.25, 0.24) → 0.25
    assert v["reference.min_distance"] == pytest.approx(1.20, abs=TOL)
    assert v["sites.min_host_distance"] == pytest.approx(0.95, abs=TOL)
    assert v["sites.grid_spacing"] == pytest.approx(0.25, abs=TOL)
    assert v["reference.points"] == 200  # 0.25 × 470.93 = 117.7 → 150, raised to the floor 200

    host = _pd80ni20()
    assert host.get_volume() == pytest.approx(1169.92, abs=0.01)
    d = scaled_defaults(host, "H")
    v = _values(d)
    # the smallest host radius is Ni's: 0.7 × (0.31 + 1.24) = 1.085 → 1.10; 0.88 → 0.90;
    # min(0.25, 0.22) → 0.20
    assert v["reference.min_distance"] == pytest.approx(1.10, abs=TOL)
    assert v["sites.min_host_distance"] == pytest.approx(0.90, abs=TOL)
    assert v["sites.grid_spacing"] == pytest.approx(0.20, abs=TOL)
    assert v["reference.points"] == 300  # 0.25 × 1169.92 = 292.5 → 300
    assert "0.7 × (r_H + r_Ni) = 0.7 × (0.31 + 1.24)" in d["reference.min_distance"].reason


def test_scaled_defaults_accepts_a_host_with_the_species_and_refuses_bad_input():
    hydride = bulk("PdH", "rocksalt", a=4.09, cubic=True)
    # H in the host too: its other species set the distance, r_H + r_Pd = 0.31 + 1.39 = 1.70
    # → 0.7 × 1.70 = 1.19 → 1.20 Å (not r_H + r_H → 0.45 Å, closer than any H-H pair in a hydride)
    d = scaled_defaults(hydride, "H")
    v = _values(d)
    assert v["reference.min_distance"] == pytest.approx(1.20, abs=TOL)
    assert "(r_H + r_Pd)" in d["reference.min_distance"].reason
    assert v["sites.grid_spacing"] == pytest.approx(0.25, abs=TOL)  # 1.20 / 5 = 0.24 → 0.25
    # a host of the species alone keeps it: r_H + r_H = 0.62 → 0.434 → 0.45 Å
    h2 = Atoms("H2", positions=[[0, 0, 0], [0.74, 0, 0]], cell=[6.0] * 3, pbc=True)
    assert _values(scaled_defaults(h2, "H"))["reference.min_distance"] == pytest.approx(0.45)
    with pytest.raises(InputError, match="'Xx' is not a chemical symbol"):
        scaled_defaults(_pd32(), "Xx")
    with pytest.raises(InputError, match="no periodic cell"):
        scaled_defaults(Atoms("Pd2", positions=[[0, 0, 0], [2.7, 0, 0]]), "H")
    with pytest.raises(InputError, match="at least one atom"):
        scaled_defaults(Atoms(cell=np.eye(3) * 5, pbc=True), "H")


def test_auto_hop_distance():
    # V / N = 1000 / 125 = 8 Å³ → 1.6 × 2 = 3.2 Å
    assert auto_hop_distance(1000.0, 125) == pytest.approx(3.2, abs=TOL)
    assert auto_hop_distance(1000.0, 1) == pytest.approx(6.0, abs=TOL)  # 16 Å, clipped
    assert auto_hop_distance(8.0, 8) == pytest.approx(2.0, abs=TOL)  # 1.6 Å, clipped
    assert resolve_hop_distance("auto", 1000.0, 125) == pytest.approx((3.2, True), abs=TOL)
    assert resolve_hop_distance(4.5, 1000.0, 125) == (4.5, False)
    with pytest.raises(InputError, match="number of sites must be an integer >= 1, got 0"):
        auto_hop_distance(1000.0, 0)
    with pytest.raises(InputError, match="cell volume must be a finite number > 0"):
        auto_hop_distance(float("nan"), 5)


def test_study_file_takes_auto_or_a_number_for_hops_max_distance():
    base = {"samples": [{"source": "x.extxyz"}]}
    assert parse_study(base).hops.max_distance == 4.5  # the default (the demo) stays
    assert parse_study({**base, "hops": {"max_distance": "auto"}}).hops.max_distance == "auto"
    assert parse_study({**base, "hops": {"max_distance": 3}}).hops.max_distance == 3.0
    for bad in ("far", "AUTO", True):
        with pytest.raises(InputError) as err:
            parse_study({**base, "hops": {"max_distance": bad}})
        msg = str(err.value)
        assert "'hops.max_distance'" in msg and 'a number (Å) or "auto"' in msg, msg
        assert "\n" not in msg
    with pytest.raises(InputError, match="hops.max_distance must be a finite number > 0 Å"):
        parse_study({**base, "hops": {"max_distance": -1.0}})


class _CosineModel:
    """A stand-in for the NNP: its surface is the cosine lattice (8 sites in a 5 Å cube)."""

    def surface(self, atoms):
        from landscape.explore import CosineSurface

        return CosineSurface(2.5, 0.1, 2)


@pytest.mark.parametrize(("given", "expected", "auto"), [("auto", 4.0, True), (4.5, 4.5, False)])
def test_explore_records_the_hop_distance_it_used(given, expected, auto):
    from landscape.study.stages import explore_sample

    cfg = parse_study({"samples": [{"source": "x.extxyz"}], "hops": {"max_distance": given}})
    G = explore_sample(cfg, _CosineModel(), None)
    # auto: 1.6 × (125 Å³ / 8 sites)^(1/3) = 1.6 × 2.5 = 4.0 Å
    assert G.graph["hop_max_distance_A"] == pytest.approx(expected, abs=TOL)
    assert G.graph["hop_max_distance_auto"] is auto
    assert G.graph["search"]["max_distance"] == pytest.approx(expected, abs=TOL)
    # candidate pairs: 24 nearest (2.5 Å) + 48 face diagonals (3.54 Å); 4.5 Å adds 32 body
    # diagonals (4.33 Å)
    assert G.graph["search"]["candidates"] == (72 if auto else 104)
    assert G.number_of_edges() == 48  # 6 elementary hops per site either way
    back = network_from_data(network_data(G))  # the study's cache keeps them
    assert back.graph["hop_max_distance_A"] == G.graph["hop_max_distance_A"]
    assert back.graph["hop_max_distance_auto"] is auto


# ----------------------------------------------------------------------------------------------
# landscape init


def _printed(out: str) -> dict:
    """``section.key = value`` lines that ``landscape init`` prints, values parsed as TOML."""
    values = {}
    for line in out.splitlines():
        m = re.match(r"^  ([a-z_]+\.[a-z_]+) = (.*?)\s+# ", line)
        if m:
            values[m.group(1)] = tomllib.loads(f"v = {m.group(2)}")["v"]
    return values


def _init(capsys, study: Path, host, *extra):
    argv = ["init", study, "--host", host, "--species", "H"]
    return run_cli(capsys, [*argv, "--calculator", "ase.calculators.emt:EMT", *extra])


def test_init_writes_a_complete_study_file_that_loads(capsys, tmp_path):
    (tmp_path / "hosts").mkdir()
    host = tmp_path / "hosts" / "pd32.extxyz"
    write(host, _pd32())
    study = tmp_path / "studies" / "pd-h.toml"
    code, out, err = _init(capsys, study, host, "--calculator-kwargs", '{"asap_cutoff": false}')
    assert code == 0, err
    printed = _printed(out)
    assert printed == pytest.approx(
        {
            "reference.points": 200,
            "reference.min_distance": 1.20,
            "reference.relax_radius": 5.0,
            "sites.grid_spacing": 0.25,
            "sites.min_host_distance": 0.95,
            "hops.max_distance": "auto",
            # not the host's: this machine's cores, at most 8 (the points do not depend on it)
            "reference.workers": max(1, min(8, os.cpu_count() or 1)),
        },
        abs=TOL,
    )
    assert f"next: landscape study {study}" in out
    cfg = load_study(study)
    for key, value in printed.items():  # the file says what was printed
        section, name = key.split(".")
        assert getattr(getattr(cfg, section), name) == value, key
    assert cfg.samples[0].source == "../hosts/pd32.extxyz"
    assert cfg.resolve(cfg.samples[0].source).resolve() == host.resolve()
    assert cfg.reference.db == "pd-h-reference.db" and cfg.reference.points > 0
    assert cfg.store.data_dir == "pd-h-data" and cfg.study.out == "pd-h-results"
    assert cfg.reference.calculator == "ase.calculators.emt:EMT"
    assert cfg.reference.calculator_kwargs == {"asap_cutoff": False}
    assert cfg.kinetics.temperatures == [300.0, 400.0, 500.0, 600.0]
    assert (cfg.study.species, cfg.study.name) == ("H", "H in pd32")
    assert cfg.compare is None
    check_study_paths(cfg)  # the study would start: the database is created (points > 0)
    _assert_complete(study.read_text())


def _assert_complete(text: str) -> None:
    """Every section and key of the format is in the file, each with a comment; the optional
    [compare] section is there commented out."""
    data = tomllib.loads(text)
    default = StudyConfig()
    for f in fields(StudyConfig):
        if f.name in ("base_dir", "compare"):
            continue
        written = data[f.name][0] if f.name == "samples" else data[f.name]
        if f.name == "samples":
            from landscape.study.studyfile import SampleSpec

            expected = {g.name for g in fields(SampleSpec)}
        else:
            expected = set(vars(getattr(default, f.name)))
        assert set(written) == expected, f.name
    assert "# [compare]" in text and "# Ea_eV = " in text and "# citation = " in text
    for line in text.splitlines():
        if re.match(r"^(# )?(\w+ = |\[)", line):
            assert re.search(r"\S\s{2,}# \S", line), line


def test_init_on_a_bundled_sample(capsys, tmp_path):
    study = tmp_path / "cu.toml"
    argv = ["init", study, "--host", "a-Ta2O5-1a", "--species", "Cu", "--calculator", "chgnet"]
    code, out, err = run_cli(capsys, [*argv, "--name", "Cu in Ta2O5"])
    assert code == 0, err
    cfg = load_study(study)
    assert cfg.samples[0].source == "a-Ta2O5-1a" and cfg.study.name == "Cu in Ta2O5"
    assert cfg.reference.min_distance == pytest.approx(1.40, abs=TOL)
    assert _printed(out)["reference.points"] == cfg.reference.points == 350


def test_init_refuses_an_existing_file_without_force(capsys, tmp_path):
    host = tmp_path / "pd32.extxyz"
    write(host, _pd32())
    study = tmp_path / "s.toml"
    assert _init(capsys, study, host)[0] == 0
    first = study.read_bytes()
    before = snapshot(tmp_path)
    code, _, err = _init(capsys, study, host, "--points", "400")
    assert code == 2 and len(err.splitlines()) == 1 and "--force" in err, err
    assert snapshot(tmp_path) == before
    code, out, err = _init(capsys, study, host, "--points", "400", "--force")
    assert code == 0, err
    assert study.read_bytes() != first
    assert load_study(study).reference.points == _printed(out)["reference.points"] == 400
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pd32.extxyz", "s.toml"]


@pytest.mark.parametrize(
    ("host", "extra", "expected"),
    [
        ("nocell.xyz", [], "periodic"),
        ("pd32.extxyz", ["--calculator-kwargs", '{"a": null}'], "null"),
        ("pd32.extxyz", ["--points", "-3"], "--points"),
    ],
)
def test_init_bad_host_or_options_write_nothing(capsys, tmp_path, host, extra, expected):
    write(tmp_path / "nocell.xyz", Atoms("Pd2", positions=[[0, 0, 0], [2.7, 0, 0]]))
    write(tmp_path / "pd32.extxyz", _pd32())
    before = snapshot(tmp_path)
    code, _, err = _init(capsys, tmp_path / "s.toml", tmp_path / host, *extra)
    assert code == 2 and len(err.splitlines()) == 1 and err.startswith("error: "), err
    assert expected in err
    assert snapshot(tmp_path) == before
