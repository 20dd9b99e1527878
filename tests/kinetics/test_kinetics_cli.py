"""Network contract validation and the ``landscape kinetics`` command (JSON keys, plot, exit 2)."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import networkx as nx
import numpy as np
import pytest

from landscape.cli import main
from landscape.errors import InputError
from landscape.kinetics import hop_arrays, load_network
from landscape.kinetics.synthetic import cubic_lattice_network, empty_network
from landscape.units import K_B

KEYS = {
    "temperatures_K",
    "D_cm2_s",
    "D_ci_cm2_s",
    "Ea_eV",
    "Ea_stderr_eV",
    "D0_cm2_s",
    "percolation_barrier_eV",
    "kmc_steps",  # with KMC: its run length per T and whether the walk was diffusive
    "kmc_diffusive",
    "kmc_superbasins",  # with KMC: the superbasins of its mean-rate walk (None for plain KMC)
}


def _main(args):
    """Run the CLI in-process; return its exit status."""
    try:
        main(args)
    except SystemExit as exc:
        return exc.code or 0
    return 0


def _write(G, path):
    path.write_text(json.dumps(nx.node_link_data(G, edges="edges")))
    return path


def test_hop_arrays_csr_and_displacement():
    G = cubic_lattice_network(2, a=1.5)
    net = hop_arrays(G)
    assert net.n_sites == 8 and net.n_hops == 48
    assert np.all(np.diff(net.src) >= 0)
    np.testing.assert_array_equal(np.diff(net.indptr), np.bincount(net.src, minlength=8))
    np.testing.assert_allclose(np.linalg.norm(net.displacement, axis=1), 1.5, rtol=1e-12)
    np.testing.assert_allclose(net.rates(600.0), 1e13 * np.exp(-0.5 / (K_B * 600.0)), rtol=1e-12)
    assert hop_arrays(net) is net


def _tiny():
    G = empty_network(np.eye(3) * 3.0, sample_id="tiny")
    G.add_node(0, position=[0.0, 0.0, 0.0], energy=0.0)
    G.add_edge(0, 0, barrier=0.3, shift=[1, 0, 0])
    G.add_edge(0, 0, barrier=0.3, shift=[-1, 0, 0])
    return G


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda G: G.remove_edges_from(list(G.edges)), "no hops"),
        (lambda G: G.remove_nodes_from(list(G.nodes)), "no sites"),
        (lambda G: G.graph.pop("cell"), "cell"),
        (lambda G: G.nodes[0].pop("energy"), "no attribute 'energy'"),
        (lambda G: G.nodes[0].update(position=[0.0, 1.0]), "position"),
        (lambda G: G.edges[0, 0, 0].pop("barrier"), "no attribute 'barrier'"),
        (lambda G: G.edges[0, 0, 0].update(barrier=math.nan), "finite barrier >= 0"),
        (lambda G: G.edges[0, 0, 0].update(barrier=-0.1), "finite barrier >= 0"),
        (lambda G: G.edges[0, 0, 0].update(shift=[0.5, 0, 0]), "integers"),
        (lambda G: G.edges[0, 0, 0].pop("shift"), "shift"),
        (lambda G: G.edges[0, 0, 0].update(prefactor=0.0), "prefactor"),
    ],
)
def test_contract_violations_raise_one_line_input_error(edit, match):
    G = _tiny()
    hop_arrays(G)  # valid before the edit
    edit(G)
    with pytest.raises(InputError, match=match) as info:
        hop_arrays(G)
    assert "\n" not in str(info.value)


def test_load_network_errors(tmp_path):
    (tmp_path / "empty.json").write_text("")
    (tmp_path / "bad.json").write_text("{nodes: ")
    (tmp_path / "list.json").write_text("[1, 2]")
    data = nx.node_link_data(_tiny(), edges="edges")
    data["edges"][0]["target"] = 99
    (tmp_path / "unknown.json").write_text(json.dumps(data))
    for name, match in [
        ("missing.json", "cannot read"),
        ("empty.json", "empty"),
        ("bad.json", "not valid JSON"),
        ("list.json", "node-link"),
        ("unknown.json", "unknown site id 99"),
    ]:
        with pytest.raises(InputError, match=match):
            load_network(tmp_path / name)
    G = load_network(_write(cubic_lattice_network(2), tmp_path / "ok.json"))
    assert isinstance(G, nx.MultiDiGraph) and G.number_of_edges() == 48  # parallel hops kept


def test_cli_json_has_exactly_the_documented_keys(tmp_path, capsys):
    path = _write(cubic_lattice_network(3, a=2.0, barrier=0.5), tmp_path / "net.json")
    png = tmp_path / "arrhenius.png"
    code = _main([
        "kinetics", str(path), "--temperatures", "500", "600", "700", "800",
        "--json", "--walkers", "300", "--steps", "300", "--seed", "1", "--plot", str(png),
    ])  # fmt: skip
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == KEYS
    assert out["temperatures_K"] == [500.0, 600.0, 700.0, 800.0]
    assert set(out["D_cm2_s"]) == {"exact", "kmc"} and len(out["D_ci_cm2_s"]["kmc"]) == 4
    assert out["Ea_eV"]["exact"] == pytest.approx(0.5, rel=1e-9)
    assert out["Ea_eV"]["kmc"] == pytest.approx(0.5, abs=5 * out["Ea_stderr_eV"]["kmc"] + 0.01)
    assert out["kmc_diffusive"] == [True] * 4 and min(out["kmc_steps"]) >= 300
    sb = out["kmc_superbasins"]  # a uniform lattice has no traps: every move is one hop
    assert sb["basins"] == [0] * 4 and sb["hops_per_move"] == [1.0] * 4
    assert out["D0_cm2_s"]["exact"] == pytest.approx(1e13 * 4.0 * 1e-16, rel=1e-8)
    assert out["percolation_barrier_eV"] == pytest.approx(
        {"any": 0.5, "x": 0.5, "y": 0.5, "z": 0.5}
    )
    assert png.stat().st_size > 10_000 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_exact_only_and_never_wrapping(tmp_path, capsys):
    G = empty_network(np.eye(3) * 10.0, sample_id="pair")
    G.add_node(0, position=[1.0, 1.0, 1.0], energy=0.0)
    G.add_node(1, position=[2.0, 1.0, 1.0], energy=0.0)
    G.add_edge(0, 1, barrier=0.2, shift=[0, 0, 0])
    G.add_edge(1, 0, barrier=0.2, shift=[0, 0, 0])
    assert (
        _main(["kinetics", str(_write(G, tmp_path / "pair.json")), "--method", "exact", "--json"])
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["D_cm2_s"] == {"exact": [0.0, 0.0, 0.0, 0.0]}
    assert out["Ea_eV"] == {"exact": None} and out["D_ci_cm2_s"] == {}
    assert out["percolation_barrier_eV"] == {"any": None, "x": None, "y": None, "z": None}
    assert (
        _main(
            ["kinetics", str(tmp_path / "pair.json"), "--json", "--walkers", "50", "--steps", "50"]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["Ea_eV"] == {"exact": None, "kmc": None}  # bounded rattling, not diffusion
    free = 1e13 * np.exp(-0.2 / (K_B * np.array(out["temperatures_K"]))) * 1e-16  # k a², a = 1 Å
    assert np.all(np.abs(out["D_cm2_s"]["kmc"]) < 0.02 * free)  # bounded MSD: ~ a² / 6t, no drift


@pytest.mark.parametrize(
    ("content", "args", "match"),
    [
        ("", [], "empty"),
        ("{oops", [], "not valid JSON"),
        ("nohops", [], "no hops"),
        ("unknown", [], "unknown site id"),
        ("nan", [], "barrier"),
        ("ok", ["--temperatures", "500", "-100"], "> 0 K"),
        ("ok", ["--temperatures", "0"], "> 0 K"),
        ("ok", ["--method", "magic"], "expected exact, kmc or both"),
    ],
)
def test_cli_bad_input_exits_2_with_one_line(tmp_path, capsys, content, args, match):
    path = tmp_path / "net.json"
    if content in ("ok", "nohops", "unknown", "nan"):
        G = _tiny()
        data = nx.node_link_data(G, edges="edges")
        if content == "nohops":
            data["edges"] = []
        elif content == "unknown":
            data["edges"][0]["source"] = 7
        elif content == "nan":
            data["edges"][0]["barrier"] = float("nan")  # json writes NaN
        path.write_text(json.dumps(data))
    else:
        path.write_text(content)
    if "--method" not in args:
        args = [*args, "--method", "exact"]
    assert _main(["kinetics", str(path), *args]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert match in lines[0], lines[0]


def test_cli_subprocess_exit_status_2(tmp_path):
    path = tmp_path / "empty.json"
    path.write_text("")
    proc = subprocess.run(
        [sys.executable, "-m", "landscape.cli", "kinetics", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "empty" in lines[0]


def test_kmc_runs_long_enough_to_be_diffusive_or_says_it_was_not():
    from landscape.kinetics import kinetics_summary

    # simple cubic, 3 sites per edge: D = k a², so an RMS displacement of 3 cell lengths (9 a)
    # takes (9a)² / (6 k a²) · 6k = 81 hops per walker on average
    G = cubic_lattice_network(3, a=2.0, barrier=0.5)
    T = [500.0, 800.0]
    sized = kinetics_summary(G, temperatures=T, walkers=50, steps=10, kmc_hop_budget=1e6)
    assert sized["kmc_steps"] == pytest.approx([81.0, 81.0], rel=1e-9)
    assert sized["kmc_diffusive"] == [True, True] and sized["Ea_eV"]["kmc"] is not None
    capped = kinetics_summary(G, temperatures=T, walkers=50, steps=10, kmc_hop_budget=50 * 40)
    assert capped["kmc_steps"] == pytest.approx([40.0, 40.0], rel=1e-9)
    assert capped["kmc_diffusive"] == [False, False]
    assert capped["Ea_eV"]["kmc"] is None and capped["Ea_eV"]["exact"] == pytest.approx(0.5)
