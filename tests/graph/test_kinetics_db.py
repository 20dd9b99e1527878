"""``landscape kinetics --sample`` on stored networks (whole, or cut at ``--max-energy``), its stored
Kinetics result, and ``landscape db compare`` / :meth:`GraphStore.compare_samples`, on the
session's database, against closed forms and :func:`kinetics_summary` of the same networks.

Units: eV, K, Å; D in cm²/s.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from landscape.contracts import save_network
from landscape.graph.algorithms import network_below
from landscape.kinetics import kinetics_summary
from landscape.kinetics.synthetic import cubic_lattice_network, empty_network
from landscape.units import ANGSTROM2_PER_S_TO_CM2_PER_S, K_B
from tests.helpers.cli import run_cli
from tests.helpers.networks import NU, add_bond, chain_D_xx

TEMPS = [300.0, 500.0, 700.0]
#: Saddle energies (eV, absolute) of the bonds of :func:`tiered_lattice` along x, y, z, and of
#: its one low x bond 0 -> 9; site 0 lies at −0.1 eV, the others at 0.
SADDLE = {"x": 0.3, "y": 0.5, "z": 0.7, "dimer": 0.2}


def tiered_lattice(sample_id: str, n: int = 3, a: float = 2.0):
    """A simple-cubic n³ lattice (spacing a Å) whose bonds have a saddle energy per axis.

    Site 0 (the lowest, −0.1 eV) and its x neighbour 9 share a lower saddle (0.2 eV), so relative
    to the lowest site the saddles are: that bond 0.3, x 0.4, y 0.6, z 0.8 eV. Cut at 0.55 eV the
    network keeps exactly the x bonds (an absolute cut would keep y too); at 0.35 eV only the
    bond 0 -> 9, which wraps nothing.
    """
    import itertools

    G = empty_network(np.eye(3) * n * a, sample_id=sample_id)
    cells = list(itertools.product(range(n), repeat=3))
    index = {c: k for k, c in enumerate(cells)}
    for k, c in enumerate(cells):
        G.add_node(k, position=[ci * a for ci in c], energy=-0.1 if k == 0 else 0.0)
    for c, i in index.items():
        for axis, label in enumerate("xyz"):
            nb, shift = list(c), [0, 0, 0]
            nb[axis] += 1
            if nb[axis] == n:
                nb[axis], shift[axis] = 0, 1
            j = index[tuple(nb)]
            low = (i, j, axis) == (0, index[(1, 0, 0)], 0)
            add_bond(G, i, j, shift, SADDLE["dimer" if low else label])
    return G


def _tail(graph_data_dir) -> list[str]:
    return [] if graph_data_dir is None else ["--data-dir", str(graph_data_dir)]


def _kinetics_json(capsys, argv) -> dict:
    code, out, err = run_cli(capsys, ["kinetics", *argv, "--json"])
    assert code == 0, err
    return json.loads(out)


def _stored(graph_store, sid: str) -> dict[str, dict]:
    """The sample's stored Kinetics results by name."""
    (row,) = graph_store.query("compare_samples", sample_ids=[sid])
    return {k["name"]: k for k in row["kinetics"]}


@pytest.mark.service
def test_stored_lattice_equals_the_file_and_the_closed_form(
    capsys, tmp_path, graph_store, graph_env, new_sample_id
):
    """A 3x3x3 lattice (0.5 eV barriers, a = 2 Å): D = ν e^(−0.5/kT) a² from the database as from
    its file; the result is stored once ("default"), a file run stores nothing."""
    sid = new_sample_id("cubic")
    G = cubic_lattice_network(3, a=2.0, barrier=0.5, sample_id=sid)
    graph_store.upsert_network(G)
    path = save_network(G, tmp_path / "net.json")
    tail = _tail(graph_env)
    args = ["--method", "exact", "-T", *map(str, TEMPS)]

    before = graph_store.counts()["kinetics"]
    from_file = _kinetics_json(capsys, [path, *args])
    assert graph_store.counts()["kinetics"] == before  # a NETWORK file: nothing stored
    from_db = _kinetics_json(capsys, ["--sample", sid, *args, *tail])
    direct = kinetics_summary(G, temperatures=TEMPS, methods=("exact",))
    closed = [NU * np.exp(-0.5 / (K_B * T)) * 4.0 * ANGSTROM2_PER_S_TO_CM2_PER_S for T in TEMPS]
    for summary in (from_db, from_file):
        np.testing.assert_allclose(summary["D_cm2_s"]["exact"], direct["D_cm2_s"]["exact"], 1e-12)
        np.testing.assert_allclose(summary["D_cm2_s"]["exact"], closed, rtol=1e-9)
        assert summary["Ea_eV"]["exact"] == pytest.approx(0.5, rel=1e-9)
        assert summary["percolation_barrier_eV"]["any"] == pytest.approx(0.5, abs=1e-12)

    stored = _stored(graph_store, sid)
    assert list(stored) == ["default"]
    k = stored["default"]
    np.testing.assert_allclose(k["D_exact"], closed, rtol=1e-9)
    assert k["temperatures"] == TEMPS and k["Ea_exact"] == pytest.approx(0.5, rel=1e-9)
    assert k["percolation_barrier"] == pytest.approx(0.5, abs=1e-12)
    assert (k["n_sites"], k["n_hops"], k["n_pairs"]) == (27, 162, 81)
    assert "max_energy" not in k and "D_kmc" not in k and k["uid"] == f"{sid}/kinetics/default"

    # a second run replaces the result of that name: one node, the new temperatures
    _kinetics_json(capsys, ["--sample", sid, "--method", "exact", "-T", "600", "800", *tail])
    stored = _stored(graph_store, sid)
    assert list(stored) == ["default"] and stored["default"]["temperatures"] == [600.0, 800.0]
    assert graph_store.counts()["kinetics"] == before + 1


@pytest.mark.service
def test_max_energy_selects_exactly_the_hops_below_it(graph_store, new_sample_id):
    """Relative to the lowest site, not absolute: 0.55 eV keeps the x bonds only (54 hops)."""
    sid = new_sample_id("tiered")
    G = tiered_lattice(sid)
    graph_store.upsert_network(G)
    e_min = -0.1
    for cut, n_hops in ((0.25, 0), (0.35, 2), (0.55, 54), (0.65, 108), (0.85, 162)):
        H = network_below(graph_store.hop_network(sid), cut)
        expect = sorted(
            (u, v, tuple(d["shift"]))
            for u, v, d in G.edges(data=True)
            if G.nodes[u]["energy"] + d["barrier"] - e_min <= cut
        )
        got = sorted((u, v, tuple(d["shift"])) for u, v, d in H.edges(data=True))
        assert got == expect and len(got) == n_hops, cut
        assert sorted(H.nodes) == sorted({n for e in got for n in e[:2]})
        assert H.graph["max_energy"] == cut and H.graph["sample_id"] == sid
        for u, v, key, d in H.edges(keys=True, data=True):
            assert d == G.edges[u, v, key]  # barrier, shift, prefactor as stored
    # exactly at a saddle energy (0.1 + 0.3 = 0.4 eV above the lowest site): kept
    assert network_below(graph_store.hop_network(sid), 0.4).number_of_edges() == 54


@pytest.mark.service
def test_kinetics_of_a_cut_network_are_stored_under_its_own_name(
    capsys, tmp_path, graph_store, graph_env, new_sample_id
):
    """The x chains below 0.55 eV: D = Σ_chains (Z_c/Z) D_xx,c / 3 (Einstein relation per chain)."""
    sid = new_sample_id("tiered")
    G = tiered_lattice(sid)
    graph_store.upsert_network(G)
    tail = _tail(graph_env)
    args = ["--method", "exact", "-T", *map(str, TEMPS)]
    summary = _kinetics_json(capsys, ["--sample", sid, "--max-energy", "0.55", *args, *tail])

    cell = np.asarray(G.graph["cell"])

    def along_x(u, v, d) -> bool:
        end = np.add(G.nodes[v]["position"], np.asarray(d["shift"]) @ cell)
        return abs(end[0] - G.nodes[u]["position"][0]) > 1e-9

    x_only = G.edge_subgraph(
        [(u, v, k) for u, v, k, d in G.edges(keys=True, data=True) if along_x(u, v, d)]
    ).copy()
    assert x_only.number_of_edges() == 54
    save_network(x_only, tmp_path / "x.json")
    direct = kinetics_summary(x_only, temperatures=TEMPS, methods=("exact",))
    closed = []
    for T in TEMPS:
        kT = K_B * T
        z_low, z_flat = np.exp(0.1 / kT) + 2.0, 3.0  # the chain through site 0, the 8 others
        d_low = chain_D_xx([-0.1, 0.0, 0.0], [0.2, 0.3, 0.3], T)
        d_flat = chain_D_xx([0.0, 0.0, 0.0], [0.3, 0.3, 0.3], T)
        closed.append((z_low * d_low + 8 * z_flat * d_flat) / (z_low + 8 * z_flat) / 3.0)
    np.testing.assert_allclose(summary["D_cm2_s"]["exact"], direct["D_cm2_s"]["exact"], 1e-12)
    np.testing.assert_allclose(summary["D_cm2_s"]["exact"], closed, rtol=1e-9)
    assert summary["percolation_barrier_eV"]["any"] == pytest.approx(0.4, abs=1e-12)
    assert summary["percolation_barrier_eV"]["y"] is None

    k = _stored(graph_store, sid)["below-0.55eV"]
    assert k["max_energy"] == 0.55 and (k["n_sites"], k["n_hops"], k["n_pairs"]) == (27, 54, 27)
    np.testing.assert_allclose(k["D_exact"], closed, rtol=1e-9)

    # --name overrides the derived name; the table says what was read and where it went
    argv = ["kinetics", "--sample", sid, "--max-energy", "0.65", "--name", "xy", *args, *tail]
    code, out, err = run_cli(capsys, argv)
    assert code == 0, err
    assert "Diffusion on sample" in out and "saddles ≤ 0.65 eV" in out  # the title wraps
    assert f"stored as Kinetics result '{sid}/kinetics/xy'" in out
    stored = _stored(graph_store, sid)
    assert sorted(stored) == ["below-0.55eV", "xy"]
    assert stored["xy"]["max_energy"] == 0.65 and stored["xy"]["n_hops"] == 108


@pytest.mark.service
def test_db_compare(capsys, graph_store, graph_env, new_sample_id):
    """Network statistics, Eₐ, percolation barrier and D(300 K) per sample; blanks without a
    result; the lowest stored temperature when 300 K is not stored."""
    a, b, c = new_sample_id("a"), new_sample_id("b"), new_sample_id("c")
    for sid in (a, b, c):
        graph_store.upsert_network(cubic_lattice_network(3, a=2.0, barrier=0.5, sample_id=sid))
    tail = _tail(graph_env)
    _kinetics_json(capsys, ["--sample", a, "--method", "exact", "-T", "300", "500", *tail])
    graph_store.upsert_result(c, "kinetics", temperatures=[700.0, 500.0], D_kmc=[2e-9, 1e-9])

    code, out, err = run_cli(capsys, ["db", "compare", a, b, c, "--json", *tail])
    assert code == 0, err
    rows = {r["sample_id"]: r for r in json.loads(out)}
    assert list(rows) == sorted([a, b, c])
    d300 = NU * np.exp(-0.5 / (K_B * 300.0)) * 4.0 * ANGSTROM2_PER_S_TO_CM2_PER_S
    ra = rows[a]
    assert (ra["n_sites"], ra["n_hops"], ra["n_pairs"]) == (27, 162, 81)
    assert ra["barrier_min"] == ra["barrier_median"] == ra["barrier_max"] == 0.5
    assert ra["Ea_exact"] == pytest.approx(0.5, rel=1e-9) and ra["Ea_kmc"] is None
    assert ra["percolation_barrier"] == pytest.approx(0.5, abs=1e-12)
    assert ra["T_K"] == 300.0 and ra["D_method"] == "exact"
    assert ra["D_cm2_s"] == pytest.approx(d300, rel=1e-9)
    assert rows[b]["n_hops"] == 162 and rows[b]["result"] is None
    blank = ("Ea_exact", "Ea_kmc", "percolation_barrier", "T_K", "D_cm2_s", "D_method")
    assert all(rows[b][key] is None for key in blank)
    assert (rows[c]["T_K"], rows[c]["D_cm2_s"], rows[c]["D_method"]) == (500.0, 1e-9, "kmc")
    assert rows == {r["sample_id"]: r for r in graph_store.compare_samples([a, b, c])}

    code, out, err = run_cli(capsys, ["db", "compare", a, b, *tail])
    assert code == 0, err
    line_a = next(line for line in out.splitlines() if a in line)
    line_b = next(line for line in out.splitlines() if b in line)
    assert "0.500 / 0.500 / 0.500" in line_a and f"{d300:.3e}" in line_a and " 300 " in line_a
    assert line_b.count("—") == 6  # result, Eₐ exact, Eₐ KMC, percolation barrier, T, D

    # without --name each sample's most recently written result; --name picks one
    graph_store.upsert_result(a, "kinetics", model_id="m2", Ea_exact=0.25, temperatures=[300.0])
    latest = {r["sample_id"]: r for r in graph_store.compare_samples([a])}[a]
    assert (latest["result"], latest["Ea_exact"]) == ("default", 0.25)
    graph_store.upsert_result(a, "kinetics", name="later", Ea_exact=0.75)
    rows = {r["sample_id"]: r for r in graph_store.compare_samples([a, b])}
    assert (rows[a]["result"], rows[a]["Ea_exact"], rows[b]["result"]) == ("later", 0.75, None)
    named = graph_store.compare_samples([a], name="default")[0]
    assert (named["result"], named["Ea_exact"]) == ("default", 0.25)
    code, out, err = run_cli(capsys, ["db", "compare", a, "--name", "later", *tail])
    assert code == 0 and "0.750" in out and "'later'" in out, err
    # two samples with a result: the table ends with them as a distribution
    graph_store.upsert_result(b, "kinetics", Ea_exact=0.30, temperatures=[300.0])
    code, out, err = run_cli(capsys, ["db", "compare", a, b, *tail])
    assert code == 0, err
    assert "over 2 samples (mean ± standard deviation, range): Eₐ exact 0.525 ± 0.318 eV" in out
