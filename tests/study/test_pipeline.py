"""The whole study on a small analytic system: stages, caching, the graph, the report, bad input.

The reference data are the analytic Morse insertion energies of tests/helpers/morse.py (no relaxation),
so the study runs in about a minute; the code path is the one the demo takes on CHGNet data. The
study also computes missing reference points and validates hops with the same analytic reference
as an ASE calculator (``tests.helpers.morse:RigidHostMorse``), so both results can be checked exactly.
"""

from __future__ import annotations

import json
from pathlib import Path

import ase.io
import numpy as np
import pytest

from landscape.study import load_study, run_study
from tests.helpers.cli import run_landscape
from tests.helpers.morse import morse_energy, random_host, write_morse_db

STUDY = """
[study]
name = "morse"
out = "res"
seed = 1

[[samples]]
source = "host.extxyz"

[reference]
db = "ref.db"
calculator = "tests.helpers.morse:RigidHostMorse"   # tests/helpers/morse.py: the same analytic energies
points = 310                           # the database has 300: ten more are computed
min_distance = 1.5

[nnp]
n_models = 2
hidden = [12, 12]
max_epochs = 150
max_host_displacement = 0.5   # the analytic rows record 0 Å: every point kept, metrics reported

[sites]
grid_spacing = 0.5

[hops]
max_distance = 3.0
n_images = 5
fmax = 0.05

[kinetics]
temperatures = [500.0, 600.0, 700.0, 800.0]
walkers = 200
kmc_steps = 400

[validate]
hops = 3
"""


def _morse_study(d: Path, study: str):
    """The small Morse host as ``d/host.extxyz``, 300 reference points of it in ``d/ref.db`` and
    ``study`` as ``d/study.toml``; returns the host."""
    host = random_host(5, n_ta=4, n_o=10, length=7.0)
    host.info["sample_id"] = "morse-host"
    ase.io.write(d / "host.extxyz", host)
    write_morse_db(
        d / "ref.db", [host], [300], seed=2, calculator="tests.helpers.morse:RigidHostMorse"
    )
    (d / "study.toml").write_text(study)
    return host


@pytest.fixture(scope="module")
def study_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("study")
    _morse_study(d, STUDY)
    return d


@pytest.fixture(scope="module")
def first_run(study_dir, graph_data_dir):
    """The study run twice: first with an unreachable database (fails at the store stage, exit 2),
    then with the session's database, resuming from the stages the failed run finished."""
    (study_dir / "bad.toml").write_text(STUDY + '\n[store]\nuri = "bolt://127.0.0.1:9"\n')
    failed = run_landscape("study", "bad.toml", "--quiet", cwd=study_dir)
    text = STUDY
    if graph_data_dir is not None:
        text += f'\n[store]\ndata_dir = "{graph_data_dir}"\n'
    (study_dir / "study.toml").write_text(text)
    return failed, run_study(load_study(study_dir / "study.toml"), progress=False)


@pytest.mark.service
@pytest.mark.slow
def test_unreachable_database_exits_2_and_the_next_run_resumes(first_run, study_dir):
    failed, result = first_run
    assert failed.returncode == 2, failed.stderr
    assert "Traceback" not in failed.stderr and len(failed.stderr.strip().splitlines()) == 1
    assert "127.0.0.1:9" in failed.stderr
    assert result.cached == {
        "nnp": True,
        "explore:morse-host": True,
        "kinetics:morse-host": True,
        "validate:morse-host": True,
    }


@pytest.mark.service
@pytest.mark.slow
def test_missing_reference_points_are_computed_into_a_copy(first_run, study_dir):
    from landscape.reference.dataset import load_dataset

    assert len(load_dataset(study_dir / "ref.db")) == 300  # the given database is never changed
    ds = load_dataset(study_dir / "res" / "cache" / "reference.db")
    from landscape.study import STUDY_RANDOM_FIRST_ID

    # the ten missing ones: points 0..9 of reference.seed (0) in their own id block
    block = list(range(STUDY_RANDOM_FIRST_ID, STUDY_RANDOM_FIRST_ID + 10))
    assert len(ds) == 310 and sorted(ds.point_ids.tolist()) == list(range(300)) + block
    host = ase.io.read(study_dir / "host.extxyz")
    new = np.flatnonzero(ds.point_ids >= 300)
    exact = [morse_energy(host, p) for p in ds.positions[new]]
    np.testing.assert_allclose(ds.e_insert[new], exact, atol=1e-6)  # positions stored rounded
    from landscape.reference.points import random_points as seeded_points

    expected = seeded_points(host, 10, seed=0, min_distance=1.5)
    np.testing.assert_allclose(
        ds.positions[new][np.argsort(ds.point_ids[new])], expected, atol=1e-8
    )


@pytest.mark.service
@pytest.mark.slow
def test_validated_hops_against_the_reference(first_run, study_dir):
    row = first_run[1].summary["samples"][0]
    assert row["validated_hops"] == 3
    (v,) = (study_dir / "res" / "cache").glob("validation-morse-host-*.json")
    result = json.loads(v.read_text())
    host = ase.io.read(study_dir / "host.extxyz")
    errors = []
    for hop in result["hops"]:
        e = np.array([morse_energy(host, np.asarray(x)) for x in hop["images"]])
        np.testing.assert_allclose(hop["profile_reference"], e - e[0], atol=1e-9)
        assert hop["barrier_reference"] == pytest.approx((e - e[0]).max(), abs=1e-9)
        errors.append(hop["barrier_nnp"] - hop["barrier_reference"])
    assert row["barrier_mae_eV"] == pytest.approx(np.mean(np.abs(errors)), rel=1e-12)
    assert row["barrier_max_abs_error_eV"] == pytest.approx(np.max(np.abs(errors)), rel=1e-12)
    # every reference calculation was checkpointed as it finished (a crash resumes from there)
    (ck,) = (study_dir / "res" / "cache").glob("validation-morse-host-*.jsonl")
    lines = [json.loads(x) for x in ck.read_text().splitlines()]
    images = {tuple(np.round(x, 6)) for hop in result["hops"] for x in hop["images"]}
    assert {tuple(np.round(r["position"], 6)) for r in lines} == images
    for r in lines:
        e0 = morse_energy(host, np.asarray(r["position"]))
        assert r["converged"] and abs(r["energy"] - e0) < 1e-9
    html = (study_dir / "res" / "index.html").read_text()
    assert "figures/validation-morse-host.png" in html
    assert (study_dir / "res" / "figures" / "validation-morse-host.png").stat().st_size > 1000


@pytest.mark.service
@pytest.mark.slow
def test_summary_network_and_report(first_run, study_dir):
    s = first_run[1].summary
    assert s["nnp"]["rmse_test_eV"] is not None and s["nnp"]["rmse_test_eV"] >= 0
    assert s["nnp"]["max_host_displacement_A"] == 0.5 and s["nnp"]["n_excluded"] == 0
    assert s["nnp"]["rmse_test_kept_eV"] == pytest.approx(s["nnp"]["rmse_test_eV"], rel=1e-12)
    (row,) = s["samples"]
    assert row["sample_id"] == "morse-host"
    net = json.loads((study_dir / "res" / "networks" / "morse-host.json").read_text())
    assert row["n_sites"] == len(net["nodes"]) > 0
    assert row["n_hops"] == len(net["edges"]) > 0  # directed hops, as db ingest counts them
    assert row["n_pairs"] * 2 == row["n_hops"]  # undirected site pairs
    assert set(row["Ea_eV"]) == {"exact", "kmc"}
    # room temperature is reported whatever the study's temperatures: the exact D at 300 K
    from landscape.kinetics import exact_diffusion, load_network

    G300 = load_network(study_dir / "res" / "networks" / "morse-host.json")
    assert row["D_cm2_s_300K"] == pytest.approx(exact_diffusion(G300, 300.0).D[0], rel=1e-12)
    assert "D(300 K) exact (cm²/s)" in (study_dir / "res" / "index.html").read_text()
    # the model uncertainty of Eₐ: each of the 2 members' Eₐ on the same network, recomputed here
    # from the cached model and the written network
    if row["Ea_eV"]["exact"] is not None:
        from landscape.kinetics import load_network
        from landscape.kinetics.ensemble import ensemble_activation_energy
        from landscape.nnp import SimplifiedNNP

        (model_file,) = sorted((study_dir / "res" / "cache").glob("nnp-*.json"))
        model = SimplifiedNNP.load(model_file)
        host = ase.io.read(study_dir / "host.extxyz")
        G = load_network(study_dir / "res" / "networks" / "morse-host.json")
        again = ensemble_activation_energy(G, model.surface(host), [500.0, 600.0, 700.0, 800.0])
        assert len(row["Ea_members_eV"]) == 2
        np.testing.assert_allclose(row["Ea_members_eV"], again.Ea_members, rtol=1e-9)
        assert row["Ea_model_std_eV"] == pytest.approx(again.Ea_std, rel=1e-9)
    else:
        assert row["Ea_model_std_eV"] is None
    assert (
        json.loads((study_dir / "res" / "summary.json").read_text())["samples"][0]["n_hops"]
        == row["n_hops"]
    )
    html = (study_dir / "res" / "index.html").read_text()
    for img in (
        "figures/barriers.png",
        "figures/comparison.png",
        "figures/arrhenius-morse-host.png",
    ):
        assert img in html and (study_dir / "res" / img).stat().st_size > 1000


@pytest.mark.service
@pytest.mark.slow
def test_graph_holds_the_study(first_run, graph_store):
    (summary,) = graph_store.query("sample_summary", sample_id="morse-host")
    row = first_run[1].summary["samples"][0]
    assert summary["n_sites"] == row["n_sites"] and summary["n_hops"] == row["n_hops"]
    assert summary["n_pairs"] == row["n_pairs"]
    (cmp,) = graph_store.query("compare_samples", sample_ids=["morse-host"])
    assert len(cmp["kinetics"]) == 1
    stored = cmp["kinetics"][0]
    assert stored["temperatures"] == [500.0, 600.0, 700.0, 800.0]
    if row["Ea_eV"]["exact"] is not None:
        assert stored["Ea_exact"] == pytest.approx(row["Ea_eV"]["exact"], rel=1e-12)
        assert stored["Ea_model_std"] == pytest.approx(row["Ea_model_std_eV"], rel=1e-12)
        assert stored["Ea_members"] == pytest.approx(row["Ea_members_eV"], rel=1e-12)


@pytest.mark.service
@pytest.mark.slow
def test_rerun_is_cached_and_recomputes_only_what_changed(first_run, study_dir):
    cfg = load_study(study_dir / "study.toml")
    again = run_study(cfg, progress=False)
    assert all(again.cached.values()), again.cached
    assert again.summary["samples"] == json.loads(json.dumps(first_run[1].summary["samples"]))
    cfg.nnp.n_jobs = 2  # the same weights in parallel processes: the trained model is reused
    assert run_study(cfg, progress=False).cached["nnp"]
    cfg.nnp.patience = cfg.nnp.max_epochs  # another model: trained again
    assert not run_study(cfg, progress=False).cached["nnp"]
    cfg.nnp.n_jobs, cfg.nnp.patience = 1, 40
    cfg.kinetics.temperatures = [550.0, 650.0, 750.0]
    changed = run_study(cfg, progress=False)
    assert changed.cached["nnp"] and changed.cached["explore:morse-host"]
    assert not changed.cached["kinetics:morse-host"]
    assert changed.summary["samples"][0]["kinetics"]["temperatures_K"] == [550.0, 650.0, 750.0]


def test_cli_prints_the_table_and_both_test_rmses(first_run, study_dir):
    r = run_landscape("study", "study.toml", "--quiet", "--no-store", cwd=study_dir)
    assert r.returncode == 0, r.stderr
    nnp = first_run[1].summary["nnp"]
    assert "morse-host" in r.stdout
    assert f"NNP test RMSE: {nnp['rmse_test_eV']:.4f} eV" in r.stdout
    kept = f"({nnp['rmse_test_kept_eV']:.4f} eV on the {nnp['n_test_kept']} test points whose host"
    text = " ".join(r.stdout.split())  # the console wraps long lines
    assert kept in text and "moved ≤ 0.5 Å" in text


def test_missing_sample_file_exits_2(tmp_path):
    (tmp_path / "s.toml").write_text('[[samples]]\nsource = "nope.extxyz"\n')
    r = run_landscape("study", "s.toml", cwd=tmp_path)
    assert r.returncode == 2 and "nope.extxyz" in r.stderr and "Traceback" not in r.stderr


ROUNDS_STUDY = """
[study]
name = "morse, targeted rounds"
out = "res"
[[samples]]
source = "host.extxyz"
[reference]
db = "ref.db"
calculator = "tests.helpers.morse:RigidHostMorse"
targeted_rounds = 1
[nnp]
n_models = 2
hidden = [12, 12]
max_epochs = 150
network_weight = 3.0
[sites]
grid_spacing = 0.5
[hops]
max_distance = 3.0
n_images = 5
fmax = 0.05
[kinetics]
methods = ["exact"]
"""


@pytest.mark.slow
def test_targeted_rounds_add_the_networks_sites_and_saddles_and_retrain(tmp_path):
    """reference.targeted_rounds = 1: the first model's network of the training sample gives
    reference points at its sites and saddles (origin network, own id block, exact energies), in
    a copy of the database; the NNP is retrained on them and the study goes on with it."""
    from landscape.contracts import network_points
    from landscape.kinetics.network import load_network
    from landscape.nnp import SimplifiedNNP
    from landscape.reference.dataset import load_dataset
    from landscape.study import TARGETED_FIRST_ID

    host = _morse_study(tmp_path, ROUNDS_STUDY)
    cfg = load_study(tmp_path / "study.toml")
    result = run_study(cfg, progress=False, store=False)
    assert result.cached == {
        "nnp": False,
        "nnp:round1": False,
        "explore:morse-host": False,
        "kinetics:morse-host": False,
    }
    assert result.summary["nnp"]["targeted_rounds"] == 1
    cache = tmp_path / "res" / "cache"
    assert len(load_dataset(tmp_path / "ref.db")) == 300  # the given database is never changed
    (work,) = cache.glob("reference-round1-*.db")
    ds = load_dataset(work)
    new = ds.origin == "network"
    assert (~new).sum() == 300 and new.sum() > 0
    ids = np.sort(ds.point_ids[new])
    assert ids.tolist() == list(range(TARGETED_FIRST_ID, TARGETED_FIRST_ID + new.sum()))
    exact = [morse_energy(host, p) for p in ds.positions[new]]
    np.testing.assert_allclose(ds.e_insert[new], exact, atol=1e-6)
    # the points are the sites and saddles of the first model's network, in their order
    models = {
        m.data_info_["n_points"]: m
        for m in (SimplifiedNNP.load(p.with_suffix("")) for p in cache.glob("nnp-*.json"))
    }
    assert sorted(models) == [300, 300 + int(new.sum())]
    assert models[300 + int(new.sum())].network_weight == 3.0
    networks = [load_network(p) for p in cache.glob("network-morse-host-*.json")]
    assert len(networks) == 2  # the first model's and the final model's
    order = np.argsort(ds.point_ids[new])

    def same(G) -> bool:
        points = network_points(G)[0]
        return points.shape == (new.sum(), 3) and np.allclose(
            points, ds.positions[new][order], atol=1e-8
        )

    matches = [same(G) for G in networks]
    assert sum(matches) == 1
    final = load_network(tmp_path / "res" / "networks" / "morse-host.json")
    assert final.number_of_nodes() > 0
    # a re-run computes nothing
    again = run_study(cfg, progress=False, store=False)
    assert all(again.cached.values()), again.cached
    assert len(load_dataset(work)) == len(ds)


def test_targeted_rounds_bad_values():
    from landscape.errors import InputError
    from landscape.study import parse_study

    for extra in (
        {"reference": {"targeted_rounds": -1}},
        {"reference": {"targeted_rounds": 1}, "nnp": {"model": "m"}},
    ):
        with pytest.raises(InputError, match="reference.targeted_rounds must be >= 0"):
            parse_study({"samples": [{"source": "x"}], **extra})


def test_missing_points_never_meet_the_ids_of_the_shipped_blocks(tmp_path):
    """A study adding points to a database that already has points in the blocks the shipped data
    use (ids 1_000_000.. of another seed, as a-Ta2O5-1a's step 10) computes them in its own block
    instead of stopping at a resumed-run mismatch."""
    from landscape.reference import InsertionPoints, Relaxation, run_reference
    from landscape.reference.dataset import load_dataset
    from landscape.study import STUDY_RANDOM_FIRST_ID
    from landscape.study.stages import complete_reference, reference_settings

    host = _morse_study(tmp_path, STUDY.replace("points = 310", "points = 306"))
    db = tmp_path / "ref.db"
    cfg = load_study(tmp_path / "study.toml")
    points = InsertionPoints(n_points=4, seed=4, min_distance=1.5, first_id=1_000_000)
    relaxation = Relaxation(**reference_settings(cfg))
    run_reference(
        host, db, points, calculator="tests.helpers.morse:RigidHostMorse", relaxation=relaxation
    )
    (tmp_path / "cache").mkdir()
    work = complete_reference(cfg, {"morse-host": host}, db, tmp_path / "cache")
    ds = load_dataset(work)
    new = sorted(i for i in ds.point_ids.tolist() if i >= STUDY_RANDOM_FIRST_ID)
    assert new == list(range(STUDY_RANDOM_FIRST_ID, STUDY_RANDOM_FIRST_ID + 2))  # 306 - 300 - 4
    assert len(ds) == 306 and len(load_dataset(db)) == 304  # the given database is unchanged
