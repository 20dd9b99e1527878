"""The second worked example end to end: H in an amorphous Pd80Ni20 host with ASE's EMT as the
reference (``examples/h-in-pdni``).

The shipped study file runs as a user runs it, ``landscape study h-in-pdni.toml`` in a subprocess,
from nothing: it creates the reference database, computes the uniform EMT points, trains the NNP
ensemble, finds sites and hops, computes D (exact and KMC), writes the graph store (the session's
embedded server) and the report. The physics is then checked against independent answers: the
exact and the KMC activation energies agree, and ASE's own climbing-image NEB (``ase.mep.NEB``)
on the same NNP surface reproduces the study's barriers. EMT is a toy potential for hydrogen: the
example demonstrates the workflow, not the physics of H in Pd-Ni.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import time

import numpy as np
import pytest

from tests.explore.test_explore_ase import compare_with_ase
from tests.helpers.cli import REPO_ROOT, run_landscape

EXAMPLE = REPO_ROOT / "examples" / "h-in-pdni"
STUDY = "h-in-pdni.toml"
HOST = "a-Pd80Ni20.extxyz"
#: |Eₐ exact − Eₐ KMC| at most this, eV, or 3 combined standard errors of the two fits
EA_AGREE_EV = 0.05
#: |barrier of the study − barrier of ase.mep.NEB on the same NNP| at most this, eV
NEB_AGREE_EV = 0.01


@pytest.fixture(scope="module")
def example(tmp_path_factory, graph_data_dir):
    """The example's study file and host copied to a fresh folder (the graph store pointed at the
    session's embedded server) and run there: (folder, process, summary, wall seconds)."""
    d = tmp_path_factory.mktemp("h-in-pdni")
    shutil.copy(EXAMPLE / HOST, d / HOST)
    text = (EXAMPLE / STUDY).read_text()
    if graph_data_dir is not None:
        text, n = re.subn(r'(?m)^data_dir = "[^"]*"', f'data_dir = "{graph_data_dir}"', text)
        assert n == 1
    (d / STUDY).write_text(text)
    t0 = time.perf_counter()
    proc = run_landscape("study", STUDY, cwd=d)
    seconds = time.perf_counter() - t0
    assert proc.returncode == 0, proc.stderr[-4000:]
    summary = json.loads((d / "h-in-pdni-results" / "summary.json").read_text())
    print(f"\nexamples/h-in-pdni end to end: {seconds:.0f} s\n{proc.stdout}")
    return d, proc, summary, seconds


@pytest.mark.service
@pytest.mark.slow
def test_the_example_runs_from_nothing_and_reports_the_nnp_error(example):
    d, proc, summary, wall = example
    import ase.db
    import ase.io

    from landscape.study import load_study

    cfg = load_study(d / STUDY)
    # the study created the reference database: the host and every uniform point, all EMT
    with ase.db.connect(d / "h-in-pdni-reference.db") as db:
        assert db.count(kind="host") == 1
        assert db.count(kind="point") == cfg.reference.points
        labels = {r.calculator_label for r in db.select(kind="point")}
    assert labels == {"ase.calculators.emt:EMT"}
    # the NNP's held-out error, in summary.json and printed
    rmse = summary["nnp"]["rmse_test_eV"]
    assert math.isfinite(rmse) and 0 < rmse < 0.3, rmse
    assert f"NNP test RMSE: {rmse:.4f} eV" in proc.stdout
    (row,) = summary["samples"]
    assert row["sample_id"] == "a-Pd80Ni20" and row["n_atoms"] == 80
    # hops.max_distance = "auto": 1.6 × (V / N_sites)^(1/3), V the host's volume
    assert row["hop_max_distance_auto"] is True
    volume = ase.io.read(d / HOST).get_volume()
    n_found = row["hop_max_distance_n_sites"]
    assert 0 < n_found <= row["n_sites"]
    expected = 1.6 * (volume / n_found) ** (1 / 3)
    assert row["hop_max_distance_A"] == pytest.approx(min(6.0, max(2.0, expected)), rel=1e-3)
    # the study's temperatures end at 600 K: the table's D column says so
    assert row["T_max_K"] == 600.0 and "D(600 K)" in proc.stdout
    # the measurement beside the computed Eₐ, with its source
    compare = summary["compare"]
    assert compare["measured"]["citation"].startswith("H. Hagi")
    assert compare["samples"][0]["difference_eV"] == pytest.approx(
        row["Ea_eV"]["exact"] - compare["measured"]["Ea_eV"]
    )
    assert "Experiment" in (d / "h-in-pdni-results" / "index.html").read_text()
    # wall time per stage, in summary.json and printed: every stage ran, none from a cache
    seconds = summary["stage_seconds"]
    for stage in ("reference data", "training the NNP", "sites and hops of a-Pd80Ni20"):
        assert seconds[stage] > 0.5, seconds
    assert {"kinetics of a-Pd80Ni20", "graph store"} <= set(seconds)
    assert sum(seconds.values()) <= wall
    assert "wall time per stage" in proc.stdout


@pytest.mark.service
@pytest.mark.slow
def test_exact_and_kmc_activation_energies_agree(example):
    _, _, summary, _ = example
    (row,) = summary["samples"]
    exact, kmc = row["Ea_eV"]["exact"], row["Ea_eV"]["kmc"]
    assert exact is not None and kmc is not None, "no network that wraps the cell"
    se = [row["Ea_stderr_eV"][m] for m in ("exact", "kmc")]
    tol = max(EA_AGREE_EV, 3 * math.hypot(*(s for s in se if s is not None and math.isfinite(s))))
    assert abs(exact - kmc) <= tol, (exact, kmc, tol)
    # a wrapping network: its percolation barrier bounds Eₐ's scale
    assert 0 < row["percolation_barrier_eV"] < 2.0


@pytest.mark.service
@pytest.mark.slow
def test_study_barriers_match_ase_neb_on_the_same_nnp(example):
    """Three hops of the network (the lowest, the median and the highest barrier below the
    percolation barrier) again with ase.mep.NEB (climbing image, improved tangent, FIRE) on the
    study's own NNP, bound to the host through SurfaceCalculator."""
    import ase.io

    from landscape.contracts import load_network
    from landscape.nnp.model import SimplifiedNNP

    d, _, summary, _ = example
    host = ase.io.read(d / HOST)
    (model_file,) = (d / "h-in-pdni-results" / "cache").glob("nnp-*.json")
    surface = SimplifiedNNP.load(model_file).surface(host)
    G = load_network(d / "h-in-pdni-results" / "networks" / "a-Pd80Ni20.json")
    p_c = summary["samples"][0]["percolation_barrier_eV"]
    edges = sorted(
        (e for e in G.edges(data=True) if e[2]["barrier"] <= p_c), key=lambda e: e[2]["barrier"]
    )
    chosen = [edges[0], edges[len(edges) // 2], edges[-1]]
    deviations = compare_with_ase(surface, G, chosen, atol=NEB_AGREE_EV)
    print("ase.mep.NEB − study barrier (eV):", np.round(deviations, 4))
