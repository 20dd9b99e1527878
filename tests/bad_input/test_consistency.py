"""The data a user can store stays consistent.

A model pair copied or renamed together loads its own weights; a study creates the reference
database it names when ``reference.points > 0``; a failed study leaves no empty folders behind;
``landscape sample info`` shows an annealed sample's provenance.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import ase.io
import numpy as np
import pytest
import torch

from landscape.cli import main
from landscape.errors import InputError
from landscape.nnp import SimplifiedNNP
from tests.helpers.cli import run_landscape
from tests.helpers.morse import morse_energy, random_host, write_morse_db


def _run(args: list[str]) -> None:
    """Run the CLI in this process; typer ends a successful command with SystemExit(0)."""
    try:
        main(args)
    except SystemExit as exc:
        assert exc.code in (0, None), exc.code


# ------------------------------------------------------------------ 1. model pairs copied, renamed
@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """Two tiny models (different seeds) of a small Morse data set, and the data set's database."""
    from landscape.reference.dataset import load_dataset

    d = tmp_path_factory.mktemp("pair")
    host = random_host(3, n_ta=4, n_o=10, length=7.0)
    db = write_morse_db(d / "ref.db", [host], [60])
    ds = load_dataset(db)
    models = [
        SimplifiedNNP(
            hidden=(6,), n_models=2, max_epochs=30, lbfgs_steps=10, random_state=seed
        ).fit(ds)
        for seed in (0, 1)
    ]
    return models, ds, db


def _predict(model: SimplifiedNNP, ds) -> np.ndarray:
    """Energies and ensemble spreads (eV) of ``model`` at the points of ``ds`` (one sample)."""
    (sid,) = set(ds.sample_ids.tolist())
    energy, spread = model.predict(ds.hosts[sid], ds.positions)
    return np.concatenate([energy, spread])


def _check_weights_equal(a: SimplifiedNNP, b: SimplifiedNNP) -> None:
    assert len(a.weights_) == len(b.weights_)
    for wa, wb in zip(a.weights_ + a.biases_, b.weights_ + b.biases_, strict=True):
        assert torch.equal(wa, wb)


def test_pair_copied_to_another_name_and_folder_loads_its_own_weights(small, tmp_path):
    (m0, m1), ds, _ = small
    m0.save(tmp_path / "a" / "model")
    m1.save(tmp_path / "a" / "other")  # a different model under the name the copy will take
    dest = tmp_path / "b"
    dest.mkdir()
    shutil.copy(tmp_path / "a" / "model.json", dest / "other.json")
    shutil.copy(tmp_path / "a" / "model.safetensors", dest / "other.safetensors")
    loaded = SimplifiedNNP.load(dest / "other.json")
    _check_weights_equal(loaded, m0)
    assert np.array_equal(_predict(loaded, ds), _predict(m0, ds))
    assert not np.array_equal(_predict(loaded, ds), _predict(m1, ds))
    # in the same folder too: other.json (a copy of model.json, naming model.safetensors) reads
    # other.safetensors, its own sibling, and not model.safetensors
    shutil.copy(tmp_path / "a" / "model.json", tmp_path / "a" / "copy.json")
    shutil.copy(tmp_path / "a" / "other.safetensors", tmp_path / "a" / "copy.safetensors")
    with pytest.raises(InputError, match="copy.safetensors.*SHA-256"):
        SimplifiedNNP.load(tmp_path / "a" / "copy.json")  # the sibling's hash is checked


def test_pair_renamed_loads_and_the_cli_evaluates_it(small, tmp_path, capsys):
    (m0, _), ds, db = small
    m0.save(tmp_path / "model")
    os.replace(tmp_path / "model.json", tmp_path / "renamed.json")
    os.replace(tmp_path / "model.safetensors", tmp_path / "renamed.safetensors")
    assert not (tmp_path / "model.json").exists() and not (tmp_path / "model.safetensors").exists()
    for given in ("renamed.json", "renamed.safetensors", "renamed"):
        loaded = SimplifiedNNP.load(tmp_path / given)
        _check_weights_equal(loaded, m0)
        assert np.array_equal(_predict(loaded, ds), _predict(m0, ds))
    capsys.readouterr()
    _run(["nnp", "eval", str(tmp_path / "renamed.json"), str(db)])
    text = capsys.readouterr().out
    rmse = m0.score(ds)["all"]["rmse"]
    assert "renamed.json" in text
    assert f"{1000 * rmse:.1f}" in text


def test_pair_whose_weights_kept_their_name_still_loads(small, tmp_path):
    """Backward compatible: without a sibling of its own stem, the weights file the JSON names."""
    (m0, _), ds, _ = small
    m0.save(tmp_path / "model")
    os.replace(tmp_path / "model.json", tmp_path / "renamed.json")
    assert json.loads((tmp_path / "renamed.json").read_text())["weights"]["file"] == (
        "model.safetensors"
    )
    loaded = SimplifiedNNP.load(tmp_path / "renamed.json")
    assert np.array_equal(_predict(loaded, ds), _predict(m0, ds))
    # the named file's hash is checked as well
    raw = (tmp_path / "model.safetensors").read_bytes()
    (tmp_path / "model.safetensors").write_bytes(raw[:-8])
    with pytest.raises(InputError, match="SHA-256"):
        SimplifiedNNP.load(tmp_path / "renamed.json")


def test_missing_weights_name_both_expected_paths(small, tmp_path):
    (m0, _), _, _ = small
    m0.save(tmp_path / "model")
    os.replace(tmp_path / "model.json", tmp_path / "renamed.json")
    (tmp_path / "model.safetensors").unlink()
    with pytest.raises(InputError) as info:
        SimplifiedNNP.load(tmp_path / "renamed.json")
    msg = str(info.value)
    assert "\n" not in msg and "do not exist" in msg
    assert str(tmp_path / "renamed.safetensors") in msg
    assert str(tmp_path / "model.safetensors") in msg
    # the pair under its own name, weights gone: the one path
    m0.save(tmp_path / "alone")
    (tmp_path / "alone.safetensors").unlink()
    with pytest.raises(InputError, match="alone.safetensors' do not exist$"):
        SimplifiedNNP.load(tmp_path / "alone.json")


# ------------------------------------------------------------------ 2, 3. studies
STUDY = """
[study]
name = "consistency"
out = "{out}"

[[samples]]
source = "host.extxyz"

[reference]
db = "{db}"
calculator = "tests.helpers.morse:RigidHostMorse"
points = {points}
min_distance = 1.5

[nnp]
model = "{model}"
"""


def _study(d: Path, *, out: str, db: str, points: int, model: str = "") -> Path:
    host = random_host(5, n_ta=4, n_o=10, length=7.0)
    host.info["sample_id"] = "morse-host"
    ase.io.write(d / "host.extxyz", host)
    path = d / "study.toml"
    path.write_text(STUDY.format(out=out, db=db, points=points, model=model))
    return path


def test_missing_database_with_points_is_created_with_them(tmp_path):
    """points > 0 and no database: it is created with the uniform points (here the study then
    fails on a model that does not exist; the folders holding results stay, the empty go)."""
    from landscape.reference.dataset import load_dataset
    from landscape.reference.points import random_points
    from landscape.study import STUDY_RANDOM_FIRST_ID, load_study, run_study

    path = _study(tmp_path, out="res", db="data/new.db", points=12, model="nope.json")
    with pytest.raises(InputError, match="nope.json"):
        run_study(load_study(path), progress=False, store=False)
    ds = load_dataset(tmp_path / "data" / "new.db")
    host = ase.io.read(tmp_path / "host.extxyz")
    assert len(ds) == 12 and set(ds.sample_ids.tolist()) == {"morse-host"}
    assert sorted(ds.point_ids.tolist()) == list(
        range(STUDY_RANDOM_FIRST_ID, STUDY_RANDOM_FIRST_ID + 12)
    )
    np.testing.assert_allclose(
        ds.e_insert, [morse_energy(host, p) for p in ds.positions], atol=1e-6
    )
    expected = random_points(host, 12, seed=0, min_distance=1.5)
    np.testing.assert_allclose(ds.positions[np.argsort(ds.point_ids)], expected, atol=1e-8)
    # the cache holds the working copy (kept); networks/ was left empty (removed)
    assert (tmp_path / "res" / "cache" / "reference.db").is_file()
    assert not (tmp_path / "res" / "networks").exists()
    # the next run finds the database complete: nothing computed again, the same rows
    before = (tmp_path / "data" / "new.db").read_bytes()
    with pytest.raises(InputError, match="nope.json"):
        run_study(load_study(path), progress=False, store=False)
    assert (tmp_path / "data" / "new.db").read_bytes() == before
    assert len(load_dataset(tmp_path / "res" / "cache" / "reference.db")) == 12


def test_missing_database_without_points_is_one_line_and_leaves_no_folder(tmp_path):
    from landscape.study import load_study, run_study

    (tmp_path / "keep").mkdir()  # existed before the run: stays, though empty
    path = _study(tmp_path, out="keep/deep/res", db="missing.db", points=0)
    with pytest.raises(InputError) as info:
        run_study(load_study(path), progress=False, store=False)
    msg = str(info.value)
    assert "\n" not in msg and "missing.db" in msg and "does not exist" in msg
    assert "points > 0 would create it" in msg
    assert not (tmp_path / "missing.db").exists()
    assert (tmp_path / "keep").is_dir() and list((tmp_path / "keep").iterdir()) == []


def test_failed_study_cli_leaves_no_empty_out_folder(tmp_path):
    """``landscape study``: a model that does not exist is found at run time (exit 2)."""
    write_morse_db(tmp_path / "ref.db", [random_host(5, n_ta=4, n_o=10, length=7.0)], [5])
    _study(tmp_path, out="out/res", db="ref.db", points=0, model="nope.json")
    r = run_landscape("study", "study.toml", "--quiet", "--no-store", cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert "nope.json" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "out").exists()
    # an out folder that held results before is kept with them
    (tmp_path / "out" / "res").mkdir(parents=True)
    (tmp_path / "out" / "res" / "notes.txt").write_text("mine")
    r = run_landscape("study", "study.toml", "--quiet", "--no-store", cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert sorted(p.name for p in (tmp_path / "out" / "res").iterdir()) == ["notes.txt"]


# ------------------------------------------------------------------ 4. anneal provenance
def test_sample_info_shows_the_anneal_provenance(capsys):
    from landscape.samples import load_sample

    meta = load_sample("a-Ta2O5-1a").info
    _run(["sample", "info", "a-Ta2O5-1a"])
    text = capsys.readouterr().out
    for key in (
        "anneal_method",
        "anneal_t_K",
        "anneal_t_final_K",
        "anneal_steps",
        "anneal_cool_steps",
        "anneal_timestep_fs",
        "anneal_calculator",
        "anneal_command",
    ):
        assert f"  {key}: {meta[key]}\n" in text
    assert "  anneal_t_K: 1500.0\n" in text and "  anneal_steps: 2000\n" in text
    assert "standing in for DFT" in text.split("anneal_calculator: ")[1].splitlines()[0]
    _run(["sample", "info", "a-Ta2O5-1a", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert doc["anneal"]["anneal_steps"] == 2000 and doc["anneal"]["anneal_t_K"] == 1500.0
    assert doc["anneal"]["anneal_cool_steps"] == 2000
    # a sample that was not annealed has no anneal section
    _run(["sample", "info", "a-Ta2O5-1", "--json"])
    assert "anneal" not in json.loads(capsys.readouterr().out)
