"""Model uncertainty of the activation energy: the hop network re-read on each ensemble member."""

from __future__ import annotations

import doctest
import json

import networkx as nx
import numpy as np
import pytest
import torch

import landscape.kinetics.ensemble
from landscape.errors import InputError
from landscape.kinetics import exact_diffusion
from landscape.kinetics.ensemble import ensemble_activation_energy, member_networks
from landscape.kinetics.synthetic import cubic_lattice_network, empty_network
from landscape.units import K_B

A = 2.0  # Å, lattice spacing
BARRIER = 0.5  # eV


class OffsetEnsemble:
    """Member k: ``site[k]`` eV at the lattice sites, ``site[k] + saddle[k]`` eV at bond midpoints."""

    def __init__(self, site: list[float], saddle: list[float]):
        self.site = torch.tensor(site, dtype=torch.float64)
        self.saddle = torch.tensor(saddle, dtype=torch.float64)

    def member_energies(self, p: torch.Tensor) -> torch.Tensor:
        frac = p / A - torch.round(p / A)  # (n, 3)
        mid = (frac.abs().amax(1) > 0.25).double()  # (n,): 1 at a bond midpoint
        return self.site[:, None] + self.saddle[:, None] * mid[None, :]  # (M, n)


def test_doctests() -> None:
    assert doctest.testmod(landscape.kinetics.ensemble, raise_on_error=True).attempted > 0


def test_cubic_lattice_members_exact() -> None:
    # member k: every saddle BARRIER + delta_k above sites that all sit at c_k. On a simple cubic
    # lattice D = k a² with k = 1e13 Hz exp(-(BARRIER + delta_k) / k_B T), so Ea_k = BARRIER + delta_k
    G = cubic_lattice_network(3, a=A, barrier=BARRIER)
    delta = np.array([-0.05, 0.0, 0.08])
    c = [0.3, -1.0, 2.0]
    T = np.array([400.0, 550.0, 700.0])
    r = ensemble_activation_energy(G, OffsetEnsemble(c, (BARRIER + delta).tolist()), T)
    np.testing.assert_allclose(r.Ea_members, BARRIER + delta, rtol=0, atol=1e-9)
    assert r.Ea_std == pytest.approx(np.std(BARRIER + delta, ddof=1), abs=1e-9)
    assert r.Ea_mean == pytest.approx(BARRIER + delta.mean(), abs=1e-9)
    assert r.n_raised == 0
    rate = 1e13 * np.exp(-(BARRIER + delta[:, None]) / (K_B * T[None, :]))  # (M, n_T), Hz
    np.testing.assert_allclose(r.D_members, rate * A**2 * 1e-16, rtol=1e-9)
    out = r.as_dict()
    assert out["Ea_model_std_eV"] == pytest.approx(r.Ea_std)
    assert len(out["Ea_members_eV"]) == 3


def test_member_networks_energies_and_clipping() -> None:
    G = cubic_lattice_network(2, a=A, barrier=BARRIER)
    nets, n_raised = member_networks(G, OffsetEnsemble([0.0, 1.0], [0.2, -0.1]))
    assert len(nets) == 2
    assert {d["energy"] for _, d in nets[1].nodes(data=True)} == {1.0}
    b0 = np.array([d["barrier"] for *_, d in nets[0].edges(data=True)])
    np.testing.assert_allclose(b0, 0.2, rtol=0, atol=1e-12)
    # member 1 puts every saddle 0.1 eV below its sites: raised to the sites' energy, all counted
    assert {d["barrier"] for *_, d in nets[1].edges(data=True)} == {0.0}
    assert n_raised == G.number_of_edges()
    # everything else is G's, and G itself is untouched
    assert all(d["barrier"] == BARRIER for *_, d in G.edges(data=True))
    e0, e1 = next(iter(G.edges(data=True)))[2], next(iter(nets[0].edges(data=True)))[2]
    assert e1["shift"] == e0["shift"] and e1["saddle"] == e0["saddle"]


def test_member_networks_match_the_nnp_members(fitted) -> None:
    model, ds = fitted
    host = ds.hosts["random-1"]
    surf = model.surface(host)
    rng = np.random.default_rng(3)
    G = empty_network(np.asarray(host.cell), sample_id="random-1")
    pos = rng.uniform(0, 1, (6, 3)) @ np.asarray(host.cell)
    for i, p in enumerate(pos):
        G.add_node(i, position=p.tolist(), energy=0.0)
    saddles = {}
    for i in range(6):
        j = (i + 1) % 6
        s = 0.5 * (pos[i] + pos[j])
        saddles[(i, j)] = s
        G.add_edge(i, j, barrier=0.1, shift=[0, 0, 0], prefactor=1e13, saddle=s.tolist())
        G.add_edge(j, i, barrier=0.1, shift=[0, 0, 0], prefactor=1e13, saddle=s.tolist())
    nets, _ = member_networks(G, surf, chunk_size=4)  # chunks of 4 positions: 2 of 3 calls
    with torch.no_grad():
        e_sites = surf.member_energies(torch.tensor(pos)).numpy()  # (M, 6)
        e_mean = surf.energy(torch.tensor(pos)).numpy()  # (6,)
    assert len(nets) == model.n_models
    for m, H in enumerate(nets):
        np.testing.assert_allclose([H.nodes[i]["energy"] for i in range(6)], e_sites[m], atol=1e-10)
        for (i, j), s in saddles.items():
            with torch.no_grad():
                es = surf.member_energies(torch.tensor(s[None, :])).numpy()[m, 0]
            top = max(es, e_sites[m, i], e_sites[m, j])  # no saddle below either site
            assert H.edges[i, j, 0]["barrier"] == pytest.approx(top - e_sites[m, i], abs=1e-10)
            # detailed balance: both directions see one saddle energy
            assert H.nodes[i]["energy"] + H.edges[i, j, 0]["barrier"] == pytest.approx(
                H.nodes[j]["energy"] + H.edges[j, i, 0]["barrier"], abs=1e-10
            )
    mean = np.mean([[H.nodes[i]["energy"] for i in range(6)] for H in nets], axis=0)
    np.testing.assert_allclose(mean, e_mean, atol=1e-10)


def test_bad_input() -> None:
    G = cubic_lattice_network(2, a=A, barrier=BARRIER)
    with pytest.raises(InputError, match="ensemble surface is needed"):
        member_networks(G, object())
    with pytest.raises(InputError, match="at least 2"):
        member_networks(G, OffsetEnsemble([0.0], [0.5]))
    H = G.copy()
    u, v, k = next(iter(H.edges(keys=True)))
    del H.edges[u, v, k]["saddle"]
    with pytest.raises(InputError, match=rf"edge {u} -> {v} .* no saddle"):
        member_networks(H, OffsetEnsemble([0.0, 0.0], [0.5, 0.6]))
    with pytest.raises(InputError, match="at least one site"):
        member_networks(nx.MultiDiGraph(), OffsetEnsemble([0.0, 0.0], [0.5, 0.6]))
    # two sites and one hop between them inside the cell: D = 0, no activation energy
    closed = empty_network(np.eye(3) * 10.0, sample_id="closed")
    closed.add_node(0, position=[0.0, 0.0, 0.0], energy=0.0)
    closed.add_node(1, position=[2.0, 0.0, 0.0], energy=0.0)
    for i, j in ((0, 1), (1, 0)):
        closed.add_edge(i, j, barrier=0.5, shift=[0, 0, 0], prefactor=1e13, saddle=[1.0, 0, 0])
    assert np.all(exact_diffusion(closed, 500.0).D == 0)
    with pytest.raises(InputError, match="does not wrap the cell"):
        ensemble_activation_energy(closed, OffsetEnsemble([0.0, 0.0], [0.5, 0.6]))


def test_cli_kinetics_with_model(fitted, tmp_path, capsys) -> None:
    import ase.io

    from landscape.cli import main

    model, ds = fitted
    host = ds.hosts["random-1"]
    # the file's stem is the sample id of the host (its info holds none): the network's sample
    ase.io.write(tmp_path / "random-1.extxyz", host)
    model.save(tmp_path / "nnp")
    # a 2x2x2 lattice spanning the host's (cubic) cell: it wraps, saddles at the bond midpoints
    length = float(host.cell[0, 0])
    assert np.allclose(np.asarray(host.cell), np.eye(3) * length)
    G = cubic_lattice_network(2, a=length / 2, barrier=0.3, sample_id="random-1")
    path = tmp_path / "net.json"
    path.write_text(json.dumps(nx.node_link_data(G, edges="edges")))

    def run(*extra: str) -> int:
        try:
            main(["kinetics", str(path), "--method", "exact", *extra])
        except SystemExit as exc:
            return int(exc.code or 0)
        return 0

    args = ["--model", str(tmp_path / "nnp"), "--sample", str(tmp_path / "random-1.extxyz")]
    assert run(*args, "--json") == 0
    out = json.loads(capsys.readouterr().out)
    direct = ensemble_activation_energy(G, model.surface(host))
    # rtol 1e-6: the host went through an extxyz file (positions rounded to ~1e-8 Å)
    np.testing.assert_allclose(out["ensemble"]["Ea_members_eV"], direct.Ea_members, rtol=1e-6)
    assert out["ensemble"]["Ea_model_std_eV"] == pytest.approx(direct.Ea_std, rel=1e-4)
    assert run(*args) == 0
    assert f"spread (std) {out['ensemble']['Ea_model_std_eV']:.4f} eV" in capsys.readouterr().out
    # bad input: one line, exit 2
    assert run("--sample", str(tmp_path / "random-1.extxyz")) == 2
    assert "give --model too" in capsys.readouterr().err
    assert run("--model", str(tmp_path / "nope")) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ")
    # the same host under another sample id is not the network's sample: refused, both named
    ase.io.write(tmp_path / "host.extxyz", host)
    assert run("--model", str(tmp_path / "nnp"), "--sample", str(tmp_path / "host.extxyz")) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "'host'" in err[0] and "'random-1'" in err[0]
