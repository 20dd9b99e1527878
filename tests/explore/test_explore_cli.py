"""``landscape explore`` end to end: a tiny NNP fitted on an analytic energy of a small host."""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pytest
import torch
from ase import Atoms

from landscape.cli import main
from landscape.config import DEFAULTS


def _host() -> Atoms:
    # four O atoms in a 6 Å cube: open space for the mobile atom between them
    return Atoms(
        "O4",
        scaled_positions=[[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]],
        cell=np.eye(3) * 6.0,
        pbc=True,
    )


def _energy(host: Atoms, p: np.ndarray) -> np.ndarray:
    """Analytic insertion energy (eV): Morse attraction to every O image, minimum image."""
    d = p[:, None, :] - host.positions[None]
    d -= 6.0 * np.round(d / 6.0)
    r = np.linalg.norm(d, axis=-1)
    return 0.5 * np.sum(np.exp(-3.0 * (r - 2.0)) - 2 * np.exp(-1.5 * (r - 2.0)), axis=1)


@pytest.fixture(scope="module")
def model_and_sample(tmp_path_factory):
    torch.set_num_threads(1)
    from landscape.nnp import SimplifiedNNP
    from landscape.reference.dataset import ReferenceDataset

    tmp = tmp_path_factory.mktemp("explore")
    host = _host()
    host.info["sample_id"] = "o4-test"
    sample = tmp / "o4.extxyz"
    host.write(sample)
    rng = np.random.default_rng(0)
    pos = rng.uniform(0, 6.0, size=(600, 3))
    d = pos[:, None, :] - host.positions[None]
    d -= 6.0 * np.round(d / 6.0)
    pos = pos[np.linalg.norm(d, axis=-1).min(axis=1) > 1.3]
    ds = ReferenceDataset(
        hosts={"o4-test": host},
        sample_ids=np.array(["o4-test"] * len(pos)),
        point_ids=np.arange(len(pos)),
        positions=pos,
        e_insert=_energy(host, pos),
        species="Cu",
        calculator="analytic-morse",
    )
    model = SimplifiedNNP(
        hidden=(16,), n_models=2, max_epochs=100, lbfgs_steps=50, patience=20, random_state=0
    ).fit(ds)
    path = model.save(tmp / "model")
    return path, sample, tmp


@pytest.fixture(scope="module")
def explored(model_and_sample):
    model, sample, tmp = model_and_sample
    out = tmp / "network.json"
    figs = tmp / "figs"
    argv = ["explore", str(sample), "--model", str(model), "--out", str(out), "--quiet"]
    argv += ["--grid-spacing", "0.4", "--max-distance", "3.2", "--figures", str(figs)]
    with pytest.MonkeyPatch.context() as mp:
        lines = []
        mp.setattr("typer.echo", lambda msg="", **kw: lines.append(str(msg)))
        with pytest.raises(SystemExit) as exc:
            main(argv)
    assert exc.value.code == 0
    return out, figs, json.loads(lines[-1])


def _read(out):
    return nx.node_link_graph(
        json.loads(out.read_text()), edges="edges", multigraph=True, directed=True
    )


@pytest.mark.slow
def test_explore_writes_the_hop_network(explored):
    out, figs, summary = explored
    G = _read(out)
    assert G.graph["sample_id"] == "o4-test" == summary["sample_id"]
    assert G.graph["species"] == "Cu" and G.graph["energy_unit"] == "eV"
    np.testing.assert_allclose(G.graph["cell"], np.eye(3) * 6.0)
    assert summary["sites"] == G.number_of_nodes() > 0
    # hops: directed edges, as `db ingest` and sample_summary count them; pairs: one NEB each
    assert summary["hops"] == G.number_of_edges() == 2 * summary["pairs"] > 0
    assert summary["pairs"] == G.graph["search"]["hops"]
    for _, d in G.nodes(data=True):
        assert len(d["position"]) == 3 and np.isfinite(d["energy"]) and d["uncertainty"] >= 0
    cell = np.asarray(G.graph["cell"])
    for u, v, d in G.edges(data=True):
        disp = np.asarray(G.nodes[v]["position"]) + np.asarray(d["shift"]) @ cell
        disp -= G.nodes[u]["position"]
        assert np.linalg.norm(disp) == pytest.approx(d["length"], abs=1e-6)
        assert d["barrier"] > 0 and d["prefactor"] == 1e13 and d["model_id"] == summary["model_id"]
        assert max(d["profile"]) - d["profile"][0] == pytest.approx(d["barrier"], abs=1e-9)
    for name in ("hop_profiles.png", "hop_network.png", "hop_network.html"):
        assert (figs / name).stat().st_size > 1000


@pytest.mark.slow
def test_validate_hops_with_the_nnp_as_reference_is_exact(model_and_sample, explored):
    # With the NNP itself as the "reference" calculator (zero forces on host atoms, so nothing
    # relaxes) the reference profiles must equal the NNP profiles: MAE 0 up to round-off.
    from landscape.explore import validate_hops
    from landscape.nnp import NNPCalculator, SimplifiedNNP
    from landscape.samples import load_sample

    model_path, sample, _ = model_and_sample
    out, _, _ = explored
    G = _read(out)
    host = load_sample(sample)
    model = SimplifiedNNP.load(model_path)
    result = validate_hops(
        model.surface(host), G, host, NNPCalculator(model, host), n_hops=3, progress=False
    )
    assert len(result["hops"]) == 3 and result["n_calculations"] == 27
    assert result["mae"] < 1e-6
    for h in result["hops"]:
        np.testing.assert_allclose(h["profile_reference"], h["profile_nnp"], atol=1e-6)
        assert h["barrier_nnp"] == pytest.approx(h["barrier_network"], abs=2e-3)


@pytest.mark.slow
def test_validation_leaves_out_hops_with_an_unconverged_reference(
    model_and_sample, explored, tmp_path
):
    # One image's reference relaxation marked unconverged, its energy 10 eV off, in the checkpoint
    # that a re-run reuses: that hop is flagged and left out of mae / max_abs_error, counted in
    # mae_all, and the one-line description names it.
    from landscape.explore import describe_validation, plot_validation, validate_hops
    from landscape.nnp import NNPCalculator, SimplifiedNNP
    from landscape.samples import load_sample

    model_path, sample, _ = model_and_sample
    G = _read(explored[0])
    host = load_sample(sample)
    model = SimplifiedNNP.load(model_path)
    ck = tmp_path / "validation.jsonl"

    def run():
        return validate_hops(
            model.surface(host), G, host, NNPCalculator(model, host), n_hops=3, progress=False,
            checkpoint=ck,
        )  # fmt: skip

    first = run()
    assert first["n_converged"] == first["n_hops"] == 3 and first["mae"] == first["mae_all"]
    lines = [json.loads(line) for line in ck.read_text().splitlines()]
    middle = first["hops"][1]["images"][4]  # interior image of the second hop
    hit = [k for k, r in enumerate(lines) if np.allclose(r["position"], middle, atol=1e-9)]
    assert len(hit) == 1
    lines[hit[0]].update(energy=lines[hit[0]]["energy"] + 10.0, converged=False)
    ck.write_text("".join(json.dumps(r) + "\n" for r in lines))

    second = run()
    assert [h["converged"] for h in second["hops"]] == [True, False, True]
    err = np.abs([h["barrier_nnp"] - h["barrier_reference"] for h in second["hops"]])
    assert err[1] > 9.0
    assert second["n_converged"] == 2 and second["n_hops"] == 3
    assert second["mae"] == pytest.approx(err[[0, 2]].mean(), abs=1e-12) and second["mae"] < 1e-6
    assert second["max_abs_error"] == pytest.approx(err[[0, 2]].max(), abs=1e-12)
    assert second["mae_all"] == pytest.approx(err.mean(), abs=1e-12)
    text = describe_validation(second)
    assert "on 2 hops" in text and "1 of 3 left out" in text
    assert plot_validation(second, tmp_path / "v.png").stat().st_size > 1000


@pytest.mark.slow
def test_validate_hops_cli(model_and_sample, explored, capsys):
    model, sample, tmp = model_and_sample
    out, _, _ = explored
    res, fig = tmp / "validation.json", tmp / "validation.png"
    argv = ["validate-hops", str(sample), "--model", str(model), "--network", str(out)]
    argv += ["--calculator", "ase.calculators.lj:LennardJones", "--hops", "2", "--quiet"]
    argv += ["--out", str(res), "--figure", str(fig)]
    for bad, message in (
        (["--optimizer", "CG"], "--optimizer 'CG'; expected one of ['BFGS', 'LBFGS', 'FIRE']"),
        (["--calculator-kwargs", "{sigma: 2"], "JSON"),
    ):
        with pytest.raises(SystemExit) as exc:
            main(argv + bad)
        assert exc.value.code == 2, bad
        err = capsys.readouterr().err.strip()
        assert message in err and len(err.splitlines()) == 1
        assert not res.exists()
    with pytest.raises(SystemExit) as exc:
        main(argv + ["--calculator-kwargs", '{"sigma": 1.2}', "--optimizer", "FIRE"])
    assert exc.value.code == 0
    result = json.loads(res.read_text())
    assert len(result["hops"]) == 2 and result["calculator"].endswith("LennardJones")
    assert result["model_id"].startswith(model.stem + "-") and len(result["model_id"]) > 13
    assert result["settings"] == dict(
        hops=2, fmax=DEFAULTS.host_fmax, relax_radius=None, max_steps=None, optimizer="FIRE"
    )
    err = [h["barrier_nnp"] - h["barrier_reference"] for h in result["hops"]]
    assert result["mae"] == pytest.approx(np.mean(np.abs(err)), abs=1e-12)
    assert fig.stat().st_size > 1000


@pytest.mark.slow
def test_rescore_hops_cli(model_and_sample, explored, capsys, tmp_path):
    # A validation with the NNP itself as reference, rescored by the same model: the same
    # barriers and MAE back, no reference calculation, the earlier figures named in "before".
    # A validation of another sample is a one-line refusal that writes nothing.
    from landscape.explore import validate_hops
    from landscape.nnp import NNPCalculator, SimplifiedNNP
    from landscape.samples import load_sample

    model_path, sample, _ = model_and_sample
    host = load_sample(sample)
    model = SimplifiedNNP.load(model_path)
    validation = validate_hops(
        model.surface(host), _read(explored[0]), host, NNPCalculator(model, host), n_hops=2,
        progress=False,
    )  # fmt: skip
    vfile, res, fig = tmp_path / "v.json", tmp_path / "r.json", tmp_path / "r.png"
    vfile.write_text(json.dumps(validation))
    argv = ["rescore-hops", str(sample), "--model", str(model_path), "--validation", str(vfile)]
    argv += ["--out", str(res), "--figure", str(fig)]
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 0
    echoed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    result = json.loads(res.read_text())
    assert result["n_calculations"] == 0 and len(result["hops"]) == 2
    assert result["model_id"].startswith(model_path.stem + "-")
    assert result["validation"] == str(vfile)
    for a, b in zip(validation["hops"], result["hops"], strict=True):
        assert b["barrier_nnp"] == pytest.approx(a["barrier_nnp"], abs=1e-6)
    assert echoed["before"] == {"mae": validation["mae"], "n_converged": 2, "n_hops": 2}
    assert result["mae"] == pytest.approx(validation["mae"], abs=1e-6)
    assert fig.stat().st_size > 1000

    other = tmp_path / "other.json"
    other.write_text(json.dumps(validation | {"sample_id": "a-Ta2O5-1a"}))
    res.unlink()
    with pytest.raises(SystemExit) as exc:
        main(argv[:5] + [str(other), "--out", str(res)])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "validates sample 'a-Ta2O5-1a', not 'o4-test'" in err and len(err.splitlines()) == 1
    assert not res.exists()


def test_explore_bad_model_is_one_line_error(model_and_sample, capsys):
    _, sample, tmp = model_and_sample
    with pytest.raises(SystemExit) as exc:
        main(["explore", str(sample), "--model", str(tmp / "nope"), "--out", str(tmp / "x.json")])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "nope" in err and len(err.splitlines()) == 1
