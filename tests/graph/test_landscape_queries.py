"""The landscape queries: minimax_path, traps, bottleneck_hops, hops_below and compare_models.

Most run on a hand-made network whose answers are worked out below (``ring``), stored under a fresh
sample id; ``minimax_path`` and ``bottleneck_hops`` (computed in Python, landscape.graph.algorithms)
are also checked against brute force on random networks, and the cubic lattice gives closed forms.
"""

from __future__ import annotations

import itertools
import json

import networkx as nx
import numpy as np
import pytest

from landscape.contracts import add_hop, add_site, hop_arrays, new_network
from landscape.errors import InputError
from landscape.graph.algorithms import (
    algorithm_names,
    all_query_names,
    bottleneck_hops,
    find_algorithm,
    minimax_path,
    named_query,
)
from landscape.graph.network import hop_uid
from landscape.graph.queries import query_names
from landscape.graph.saddles import saddle_network
from landscape.kinetics.percolation import percolation_barrier
from landscape.kinetics.synthetic import cubic_lattice_network, random_network
from tests.helpers.cli import run_cli

TOL = 1e-12  # eV: energies are sums and differences of a few stored doubles

#: Site energies, eV (site 0 is the lowest), of the hand-made network.
ENERGY = {0: -3.70, 1: -3.60, 2: -3.65, 3: -3.50, 4: -3.55, 5: -3.62, 6: -3.35, 7: -3.40}
#: Bonds (i, j, shift of j, saddle energy in eV); both directions of each are hops.
BONDS = [
    (0, 1, (0, 0, 0), -3.20),  # 0.50 eV above site 0
    (1, 2, (0, 0, 0), -3.10),  # 0.60
    (1, 4, (0, 0, 0), -3.25),  # 0.45
    (4, 2, (0, 0, 0), -3.15),  # 0.55
    (2, 3, (0, 0, 0), -3.05),  # 0.65: closes the ring, the percolation barrier
    (3, 0, (1, 0, 0), -3.30),  # 0.40: across the cell along x
    (0, 5, (0, 0, 0), -3.45),  # 0.25: a dead end
    (0, 6, (0, 0, 0), -2.80),  # 0.90: a dead end above the percolation barrier
]
POSITION = {
    0: (0.5, 4, 4),
    1: (2, 4, 4),
    2: (4, 4, 4),
    3: (6, 4, 4),
    4: (3, 5, 4),
    5: (0.5, 5.5, 4),
    6: (0.5, 2.5, 4),
    7: (4, 1, 1),  # no hop at all
}


def ring(sample_id: str) -> nx.MultiDiGraph:
    """The hand-made network: a ring 0-1-(2 | 4-2)-3-0 that wraps the 8 Å cell along x.

    Its percolation barrier is the saddle of 2-3 (0.65 eV above site 0); the bonds 0-1, 2-3 and
    3-0 lie on every wrapping path, 1-2 and 1-4-2 are two parallel ways, 0-5 and 0-6 dead ends,
    site 7 has no hop.
    """
    cell = np.eye(3) * 8.0
    G = new_network(cell, sample_id=sample_id)
    for k, e in ENERGY.items():
        add_site(G, k, POSITION[k], e)
    for i, j, shift, saddle in BONDS:
        pi = np.asarray(POSITION[i], float)
        pj = np.asarray(POSITION[j], float) + np.asarray(shift) @ cell
        add_hop(
            G, i, j, shift, saddle, saddle=(pi + pj) / 2, profile=[ENERGY[i], saddle, ENERGY[j]],
            cell=cell,
        )  # fmt: skip
    return G


@pytest.fixture(scope="module")
def stored_ring(graph_store):
    import uuid

    sid = f"q-ring-{uuid.uuid4().hex[:8]}"
    graph_store.upsert_network(ring(sid))
    yield sid
    graph_store.delete_sample(sid)


def _rel(e: float) -> float:
    return e - ENERGY[0]


# ------------------------------------------------------------------------------ declarations


def test_python_queries_are_declared_like_cypher_files():
    assert algorithm_names() == ("bottleneck_hops", "minimax_path")
    assert not set(algorithm_names()) & set(query_names())  # a .cypher file would be shadowed
    assert all_query_names() == tuple(sorted(set(query_names()) | set(algorithm_names())))
    for name in algorithm_names():
        q = named_query(name)
        assert q is find_algorithm(name).declaration and q.mode == "read"
        first = q.text.splitlines()[0]
        assert first.startswith(f"// {name} — ") and q.purpose in first
        for section in ("// Mode: read", "// Parameters:", "// Returns:"):
            assert section in q.text
        for p in q.params:
            assert f"${p.name} ({p.type}" in q.text
    assert [p.name for p in named_query("minimax_path").params] == ["sample_id", "source", "target"]
    assert named_query("traps").name == "traps"  # a .cypher file through the same door
    with pytest.raises(InputError, match="no named query 'nope'.*minimax_path"):
        named_query("nope")
    with pytest.raises(InputError, match="lower_snake_case"):
        named_query("Drop Table")


# ------------------------------------------------------------------------------ minimax_path


@pytest.mark.parametrize(
    ("source", "target", "sites", "saddle"),
    [
        (0, 3, [0, 3], -3.30),  # straight across the cell, not round the ring
        (0, 2, [0, 1, 4, 2], -3.15),  # the detour through 4 stays below 1-2 (-3.10)
        (5, 2, [5, 0, 1, 4, 2], -3.15),
        (6, 3, [6, 0, 3], -2.80),  # leaving the dead end 6 is the bottleneck
        (2, 0, [2, 4, 1, 0], -3.15),
    ],
)
def test_minimax_path_on_the_ring(source, target, sites, saddle):
    G = ring("ring")
    p = minimax_path(G, source, target)
    assert p.sites == sites and p.source == source and p.target == target
    assert p.saddle_energy == pytest.approx(saddle, abs=TOL)
    assert p.saddle_relative == pytest.approx(_rel(saddle), abs=TOL)
    assert p.barrier == pytest.approx(saddle - ENERGY[source], abs=TOL)
    shifts = {(i, j): s for i, j, s, _ in BONDS} | {
        (j, i): tuple(-x for x in s) for i, j, s, _ in BONDS
    }
    assert p.hops == [hop_uid("ring", a, b, shifts[a, b]) for a, b in itertools.pairwise(sites)]


def test_minimax_path_unreachable_same_site_unknown_site_and_direction():
    G = ring("ring")
    assert minimax_path(G, 0, 7) is None and minimax_path(G, 7, 0) is None
    same = minimax_path(G, 2, 2)
    assert same.sites == [2] and same.hops == [] and same.saddle_energy is None
    for bad in (99, -1, "0", True):
        with pytest.raises(InputError, match=f"{bad!r} is not a site of sample 'ring'.*0..7"):
            minimax_path(G, 0, bad)
    # hops are followed in their direction: make leaving 5 costly, entering it stays cheap
    H = G.copy()
    for d in H.get_edge_data(5, 0).values():
        d["barrier"] = 1.0  # saddle -2.62 eV from 5
    assert minimax_path(H, 5, 0).saddle_energy == pytest.approx(-2.62, abs=TOL)
    assert minimax_path(H, 0, 5).saddle_energy == pytest.approx(-3.45, abs=TOL)


@pytest.mark.parametrize("target", [(1, 0, 3), (2, 2, 2), (0, 0, 0), (3, 3, 3)])
def test_minimax_path_on_a_uniform_lattice_takes_the_fewest_hops(target):
    """4x4x4 periodic lattice, every saddle at 0.5 eV: the path is a shortest one."""
    G = cubic_lattice_network(4, barrier=0.5, sample_id="cubic")
    index = {tuple(int(round(c / 2.0)) for c in d["position"]): n for n, d in G.nodes(data=True)}
    p = minimax_path(G, index[0, 0, 0], index[target])
    hops = sum(min(c, 4 - c) for c in target)
    assert len(p.hops) == hops and len(p.sites) == hops + 1
    assert p.saddle_energy == (None if hops == 0 else 0.5)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_minimax_path_matches_brute_force(seed):
    """The lowest saddle energy at which target is reachable from source, and the fewest hops then."""
    G = random_network(40, max_distance=3.7, random_state=seed, sample_id="r")
    saddles = sorted({G.nodes[u]["energy"] + d["barrier"] for u, v, d in G.edges(data=True)})
    rng = np.random.default_rng(seed)
    for s, t in rng.integers(40, size=(12, 2)).tolist():
        if s == t:
            continue
        expect = None
        for e in saddles:
            H = nx.DiGraph()
            H.add_nodes_from(G)
            H.add_edges_from(
                (u, v) for u, v, d in G.edges(data=True) if G.nodes[u]["energy"] + d["barrier"] <= e
            )
            if nx.has_path(H, s, t):
                expect = (e, nx.shortest_path_length(H, s, t))
                break
        p = minimax_path(G, s, t)
        assert (None if p is None else (p.saddle_energy, len(p.hops))) == expect
        if p is not None:  # the path is made of hops of G, each at or below its energy
            for a, b in itertools.pairwise(p.sites):
                assert min(G.nodes[a]["energy"] + d["barrier"] for d in G[a][b].values()) <= (
                    p.saddle_energy
                )


@pytest.mark.service
def test_minimax_path_query(graph_store, stored_ring):
    (row,) = graph_store.query("minimax_path", sample_id=stored_ring, source=5, target=2)
    assert row["reachable"] is True and row["sites"] == [5, 0, 1, 4, 2] and row["n_hops"] == 4
    assert row["saddle_energy"] == pytest.approx(-3.15, abs=TOL)
    assert row["saddle_relative"] == pytest.approx(0.55, abs=TOL)
    assert row["barrier"] == pytest.approx(0.47, abs=TOL)
    assert row["hops"] == [
        hop_uid(stored_ring, a, b, (0, 0, 0)) for a, b in ((5, 0), (0, 1), (1, 4), (4, 2))
    ]
    (none,) = graph_store.query("minimax_path", sample_id=stored_ring, source=0, target=7)
    assert none == {
        "source": 0,
        "target": 7,
        "reachable": False,
        "saddle_energy": None,
        "saddle_relative": None,
        "barrier": None,
        "n_hops": None,
        "sites": [],
        "hops": [],
    }
    with pytest.raises(InputError, match="target 8 is not a site"):
        graph_store.query("minimax_path", sample_id=stored_ring, source=0, target=8)
    with pytest.raises(InputError, match=r"\$source must lie in 0\.\."):
        graph_store.query("minimax_path", sample_id=stored_ring, source=-2, target=0)
    with pytest.raises(InputError, match=r"missing parameter \$target"):
        graph_store.query("minimax_path", sample_id=stored_ring, source=0)
    with pytest.raises(InputError, match="unknown sample id 'no-such-sample'"):
        graph_store.query("minimax_path", sample_id="no-such-sample", source=0, target=1)


# ------------------------------------------------------------------------------ bottleneck_hops


def _brute_bottlenecks(G) -> tuple[float | None, list[str]]:
    """Each open bond taken away in turn: a bottleneck when the percolation barrier then rises."""
    perc = percolation_barrier(G).any
    e_min = min(e for _, e in G.nodes(data="energy"))
    bonds: dict = {}
    for u, v, k, d in G.edges(keys=True, data=True):
        s = tuple(d["shift"])
        neg = tuple(-x for x in s)
        key = (u, v, s) if u < v or (u == v and s >= neg) else (v, u, neg)
        bonds.setdefault(key, []).append((u, v, k))
    uids = []
    for edges in bonds.values():
        if (
            max(G.nodes[u]["energy"] + G.edges[u, v, k]["barrier"] for u, v, k in edges) - (e_min)
            > perc
        ):
            continue
        H = G.copy()
        H.remove_edges_from(edges)
        after = percolation_barrier(H).any if H.number_of_edges() else None
        if after is None or after > perc:
            uids += [
                hop_uid(G.graph["sample_id"], u, v, G.edges[u, v, k]["shift"]) for u, v, k in edges
            ]
    return perc, sorted(uids)


def test_bottleneck_hops_of_the_ring():
    perc, rows = bottleneck_hops(ring("ring"))
    assert perc == pytest.approx(0.65, abs=TOL)
    expect = [(0, 1), (0, 3), (1, 0), (2, 3), (3, 0), (3, 2)]
    assert [(r["source"], r["target"]) for r in rows] == expect
    assert [r["shift"] for r in rows] == [
        [0, 0, 0],
        [-1, 0, 0],
        [0, 0, 0],
        [0, 0, 0],
        [1, 0, 0],
        [0, 0, 0],
    ]
    saddle = {(0, 1): -3.20, (0, 3): -3.30, (2, 3): -3.05}
    for r in rows:
        e = saddle[min(r["source"], r["target"]), max(r["source"], r["target"])]
        assert r["saddle_energy"] == pytest.approx(e, abs=TOL)
        assert r["saddle_relative"] == pytest.approx(_rel(e), abs=TOL)
        assert r["barrier"] == pytest.approx(e - ENERGY[r["source"]], abs=TOL)
        assert r["uid"] == hop_uid("ring", r["source"], r["target"], r["shift"])


def test_bottleneck_hops_none_when_it_never_wraps_or_wraps_many_ways():
    G = ring("ring")
    G.remove_edges_from([(3, 0, k) for k in list(G[3][0])] + [(0, 3, k) for k in list(G[0][3])])
    assert bottleneck_hops(G) == (None, [])  # a chain: no wrapping, no percolation barrier
    # a uniform lattice wraps through every row of sites at once: no single hop is a bottleneck
    assert bottleneck_hops(cubic_lattice_network(3, barrier=0.4)) == (pytest.approx(0.4), [])


@pytest.mark.parametrize("seed", [0, 4, 5, 11])
def test_bottleneck_hops_match_brute_force(seed):
    G = random_network(40, max_distance=3.6 + 0.1 * (seed % 3), random_state=seed, sample_id="r")
    perc, rows = bottleneck_hops(G)
    expect_perc, expect = _brute_bottlenecks(G)
    assert perc == expect_perc and len(expect) >= 2
    assert sorted(r["uid"] for r in rows) == expect
    # the bond that opens at the percolation barrier (no tie in these networks) is among them
    assert max(r["saddle_relative"] for r in rows) == pytest.approx(perc, abs=TOL)


@pytest.mark.service
def test_bottleneck_hops_query(graph_store, stored_ring, new_sample_id):
    rows = graph_store.query("bottleneck_hops", sample_id=stored_ring)
    assert [r["uid"] for r in rows] == [
        hop_uid(stored_ring, *h)
        for h in ((0, 1, (0, 0, 0)), (0, 3, (-1, 0, 0)), (1, 0, (0, 0, 0)))
        + ((2, 3, (0, 0, 0)), (3, 0, (1, 0, 0)), (3, 2, (0, 0, 0)))
    ]
    assert [r["percolation_barrier"] for r in rows] == [pytest.approx(0.65, abs=TOL)] * 6
    sid = new_sample_id("random")
    G = random_network(40, max_distance=3.6, random_state=0, sample_id=sid)
    graph_store.upsert_network(G)
    perc, local = bottleneck_hops(G)
    stored = graph_store.query("bottleneck_hops", sample_id=sid)
    assert stored == [{**r, "percolation_barrier": perc} for r in local] and stored
    sid = new_sample_id("cubic")
    graph_store.upsert_network(cubic_lattice_network(3, sample_id=sid))
    assert graph_store.query("bottleneck_hops", sample_id=sid) == []
    with pytest.raises(InputError, match="unknown sample id"):
        graph_store.query("bottleneck_hops", sample_id="no-such-sample")


# ------------------------------------------------------------------------------ the lean read


def _hops(a) -> list[tuple]:
    """The hops of a HopArrays as sorted tuples of site ids, shift, barrier (eV), prefactor (Hz)
    and displacement (Å)."""
    ids = a.node_ids
    columns = (a.src, a.dst, a.shift, a.barrier, a.prefactor, a.displacement)
    return sorted(
        (ids[i], ids[j], tuple(s), b, nu, tuple(d))
        for i, j, s, b, nu, d in zip(*(c.tolist() for c in columns), strict=True)
    )


@pytest.mark.service
@pytest.mark.parametrize("seed", [0, 4])
def test_lean_read_gives_the_answers_of_the_full_network(graph_store, new_sample_id, seed):
    """network_saddles (+ network_sample) give the arrays that hop_arrays makes of hop_network(),
    site for site and hop for hop, and the Python queries the same answers from either, to the
    last bit. Half the hops store a prefactor and half do not (the default); the lowest site has
    no hop, so the energies above the lowest site are wrong if a site without hops is lost."""
    sid = new_sample_id("lean")
    G = random_network(40, max_distance=3.6 + 0.1 * (seed % 3), random_state=seed, sample_id=sid)
    rng = np.random.default_rng(seed)
    for *_, d in G.edges(data=True):
        if rng.random() < 0.5:
            del d["prefactor"]
        else:
            d["prefactor"] = float(10 ** rng.uniform(12, 14))
    lowest = max(G) + 1
    add_site(G, lowest, (0.5, 0.5, 0.5), min(e for _, e in G.nodes(data="energy")) - 0.25)
    graph_store.upsert_network(G)
    full = graph_store.hop_network(sid)
    expect, lean = hop_arrays(full), saddle_network(graph_store, sid)
    assert lean.node_ids == expect.node_ids == sorted(G)
    for name in ("energies", "positions", "cell", "indptr"):
        assert np.array_equal(getattr(lean, name), getattr(expect, name)), name
    assert _hops(lean) == _hops(expect) and len(_hops(lean)) == G.number_of_edges()
    assert 0 < int(np.sum(lean.prefactor == 1e13)) < G.number_of_edges()

    perc, rows = bottleneck_hops(full)
    assert perc is not None and len(rows) >= 2
    assert bottleneck_hops(lean, sample_id=sid) == (perc, rows)
    assert graph_store.query("bottleneck_hops", sample_id=sid) == [
        {**r, "percolation_barrier": perc} for r in rows
    ]
    reachable = 0
    for s, t in itertools.product(sorted(G), repeat=2):
        p = minimax_path(full, s, t)
        assert minimax_path(lean, s, t, sample_id=sid) == p
        reachable += p is not None and len(p.hops) > 1
    assert reachable > 100 and minimax_path(full, lowest, 0) is None
    for s, t in [(0, 39), (7, 22), (lowest, 3)]:
        (row,) = graph_store.query("minimax_path", sample_id=sid, source=s, target=t)
        p = minimax_path(full, s, t)
        got = (row["saddle_energy"], row["saddle_relative"], row["barrier"], row["hops"])
        assert got == ((p.saddle_energy, p.saddle_relative, p.barrier, p.hops) if p else (
            None, None, None, [])
        )  # fmt: skip


#: Stored networks edited behind the store's back (Cypher, $sid the sample) and the refusal's text.
EDITS = [
    (
        "MATCH (:Site {sample_id: $sid, index: 2})-[h:HOP]->(:Site {index: 3}) "
        "SET h.barrier = -0.5",
        r"hop 2 -> 3 has barrier -0\.5 eV",
    ),
    (
        "MATCH (:Site {sample_id: $sid, index: 3})-[h:HOP]->(:Site {index: 0}) "
        "SET h.shift = [0.5, 0.0, 0.0]",
        r"hop 3 -> 0 has .* shift \[0\.5, 0\.0, 0\.0\]",
    ),
    (
        "MATCH (:Site {sample_id: $sid, index: 5})-[h:HOP]->() SET h.prefactor = 0.0",
        r"hop 5 -> 0 has .* prefactor 0\.0 Hz",
    ),
    ("MATCH (x:Site {sample_id: $sid, index: 4}) REMOVE x.energy", "site 4 has energy nan eV"),
    ("MATCH (x:Site {sample_id: $sid, index: 6}) SET x.index = 5", "two sites have the index 5"),
    ("MATCH (s:Sample {sample_id: $sid}) SET s.cell = [8.0, 0.0]", "the cell must be 9 finite"),
]


@pytest.mark.service
@pytest.mark.parametrize(("edit", "message"), EDITS)
def test_lean_read_refuses_a_network_that_breaks_the_contract(
    graph_store, new_sample_id, edit, message
):
    sid = new_sample_id("edited")
    graph_store.upsert_network(ring(sid))
    kw = {"database": graph_store.database} if graph_store.database else {}
    with graph_store._driver.session(**kw) as s:
        s.run(edit, sid=sid).consume()
    for name, params in (("minimax_path", {"source": 0, "target": 1}), ("bottleneck_hops", {})):
        with pytest.raises(InputError, match=f"the stored network of sample '{sid}': {message}"):
            graph_store.query(name, sample_id=sid, **params)


@pytest.mark.service
def test_lean_read_of_a_sample_without_network(graph_store, new_sample_id):
    sid = new_sample_id("bare")
    graph_store.upsert_sample(sid, material="Ta2O5")
    for name, params in (("minimax_path", {"source": 0, "target": 1}), ("bottleneck_hops", {})):
        with pytest.raises(InputError, match=f"sample '{sid}' has no hop network stored"):
            graph_store.query(name, sample_id=sid, **params)
    with pytest.raises(InputError, match="sample_id must be a non-empty string"):
        saddle_network(graph_store, " ")


# ------------------------------------------------------------------------------ traps

#: Lowest outgoing barrier of each site of the ring (eV) and its number of outgoing hops.
ESCAPE = {0: (0.25, 4), 1: (0.35, 3), 2: (0.50, 3), 3: (0.20, 2), 4: (0.30, 2), 5: (0.17, 1)}
ESCAPE |= {6: (0.55, 1), 7: (None, 0)}


@pytest.mark.service
@pytest.mark.parametrize(
    ("min_barrier", "order"),
    [
        (0.0, [7, 6, 2, 1, 4, 0, 3, 5]),  # the site without an exit first, then the deepest
        (0.32, [7, 6, 2, 1]),
        (0.52, [7, 6]),
        (10.0, [7]),  # a site without an exit is a trap at any threshold
    ],
)
def test_traps(graph_store, stored_ring, min_barrier, order):
    rows = graph_store.query("traps", sample_id=stored_ring, min_barrier=min_barrier)
    assert [r["index"] for r in rows] == order
    for r in rows:
        escape, exits = ESCAPE[r["index"]]
        assert r["exits"] == exits
        assert r["energy"] == ENERGY[r["index"]]
        assert r["energy_relative"] == pytest.approx(_rel(ENERGY[r["index"]]), abs=TOL)
        if escape is None:
            assert r["escape_barrier"] is None
        else:
            assert r["escape_barrier"] == pytest.approx(escape, abs=TOL)


@pytest.mark.service
def test_traps_threshold_is_strict_and_matches_the_network(graph_store, nets_random):
    G, sid = nets_random
    escape = {
        n: min((d["barrier"] for *_, d in G.out_edges(n, data=True)), default=None) for n in G
    }
    finite = sorted(b for b in escape.values() if b is not None)
    cut = finite[len(finite) // 2]  # the median escape barrier, exactly: that site is left out
    rows = graph_store.query("traps", sample_id=sid, min_barrier=cut)
    expect = sorted((0, 0.0, n) if b is None else (1, -b, n) for n, b in escape.items())
    expect = [(n, escape[n]) for _, _, n in expect if escape[n] is None or escape[n] > cut]
    assert [(r["index"], r["escape_barrier"]) for r in rows] == expect
    assert len(expect) == len([b for b in finite if b > cut]) + (len(escape) - len(finite))
    # every site has an exit here and no two escape barriers are equal: those above the median
    assert len(finite) == len(set(finite)) == 80 and len(rows) == 80 - 40 - 1
    assert graph_store.query("traps", sample_id="no-such-sample", min_barrier=0.0) == []


@pytest.fixture
def nets_random(graph_store, new_sample_id):
    sid = new_sample_id("random")
    G = random_network(80, max_distance=3.8, random_state=9, sample_id=sid)
    graph_store.upsert_network(G)
    return G, sid


# ------------------------------------------------------------------------------ hops_below


@pytest.mark.service
def test_hops_below_is_relative_to_the_lowest_site(graph_store, stored_ring):
    rows = graph_store.query("hops_below", sample_id=stored_ring, max_energy=0.42)
    assert [(r["source"], r["target"]) for r in rows] == [(0, 3), (0, 5), (3, 0), (5, 0)]
    by = {(r["source"], r["target"]): r for r in rows}
    assert by[0, 5]["saddle_energy"] == pytest.approx(-3.45, abs=TOL)
    assert by[0, 5]["saddle_relative"] == pytest.approx(0.25, abs=TOL)
    assert by[3, 0]["saddle_relative"] == pytest.approx(0.40, abs=TOL)
    assert by[3, 0]["barrier"] == pytest.approx(0.20, abs=TOL) and by[3, 0]["shift"] == [1, 0, 0]
    # 0.8 eV above site 0: every hop but those of the dead end at 0.90 eV (16 hops in all)
    rows = graph_store.query("hops_below", sample_id=stored_ring, max_energy=0.8)
    assert len(rows) == 14 and not {r["target"] for r in rows} & {6}
    assert graph_store.query("hops_below", sample_id=stored_ring, max_energy=0.2) == []


# ------------------------------------------------------------------------------ compare_models


@pytest.mark.service
def test_compare_models(graph_store, new_sample_id):
    sid = new_sample_id("models")
    graph_store.upsert_network(ring(sid))
    graph_store.upsert_result(
        sid, "kinetics", name="nnp-a", model_id="model-a", temperatures=[500.0, 600.0, 700.0],
        D_exact=[1e-8, 2e-8, 4e-8], Ea_exact=0.50, D0_exact=1e-3, percolation_barrier=0.65,
    )  # fmt: skip
    graph_store.upsert_result(
        sid, "kinetics", name="nnp-b", model_id="model-b", temperatures=[600.0, 500.0, 800.0],
        D_exact=[3e-8, 1.5e-8, 9e-8], Ea_exact=0.55, D0_exact=4e-3, Ea_model_std=0.02,
    )  # fmt: skip
    rows = graph_store.query("compare_models", sample_id=sid, model_a="model-a", model_b="model-b")
    got = [(r["quantity"], r["temperature"], r["a"], r["b"]) for r in rows]
    assert got == [
        ("Ea_exact", None, 0.50, 0.55),
        ("D0_exact", None, 1e-3, 4e-3),
        ("percolation_barrier", None, 0.65, None),
        ("Ea_model_std", None, None, 0.02),
        ("D_exact", 500.0, 1e-8, 1.5e-8),  # temperatures matched by value, not by position
        ("D_exact", 600.0, 2e-8, 3e-8),
        ("D_exact", 700.0, 4e-8, None),
        ("D_exact", 800.0, None, 9e-8),
    ]
    assert {(r["result_a"], r["result_b"]) for r in rows} == {("nnp-a", "nnp-b")}
    by = {(r["quantity"], r["temperature"]): r for r in rows}
    assert by["Ea_exact", None]["difference"] == pytest.approx(0.05, abs=TOL)
    assert by["Ea_exact", None]["unit"] == "eV" and by["Ea_exact", None]["ratio"] is None
    assert by["D0_exact", None]["ratio"] == pytest.approx(4.0, rel=1e-12)
    assert by["D_exact", 500.0]["ratio"] == pytest.approx(1.5, rel=1e-12)
    assert by["D_exact", 500.0]["difference"] == pytest.approx(5e-9, rel=1e-12)
    assert by["D_exact", 500.0]["unit"] == "cm²/s"
    for key in (("percolation_barrier", None), ("D_exact", 700.0), ("D_exact", 800.0)):
        assert by[key]["difference"] is None and by[key]["ratio"] is None
    # swapped: the differences change sign
    swapped = graph_store.query(
        "compare_models", sample_id=sid, model_a="model-b", model_b="model-a"
    )
    assert swapped[0]["quantity"] == "Ea_exact"
    assert swapped[0]["difference"] == pytest.approx(-0.05, abs=TOL)
    # one model without a result: its side is null; neither, or an unknown sample: no row
    one = graph_store.query("compare_models", sample_id=sid, model_a="model-a", model_b="other")
    assert [r["quantity"] for r in one] == ["Ea_exact", "D0_exact", "percolation_barrier"] + [
        "D_exact"
    ] * 3
    assert all(r["b"] is None and r["result_b"] is None for r in one)
    assert graph_store.query("compare_models", sample_id=sid, model_a="x", model_b="y") == []
    assert (
        graph_store.query(
            "compare_models", sample_id="no-such-sample", model_a="model-a", model_b="model-b"
        )
        == []
    )


# ------------------------------------------------------------------------------ the command line


@pytest.mark.service
def test_command_line_lists_and_runs_the_python_queries(capsys, graph_data_dir, stored_ring):
    tail = [] if graph_data_dir is None else ["--data-dir", str(graph_data_dir)]
    code, out, err = run_cli(capsys, ["db", "queries"])
    assert code == 0, err
    for name in ("minimax_path", "bottleneck_hops", "traps", "compare_models", "hops_below"):
        assert name in out
    argv = ["db", "query", "minimax_path", f"sample_id={stored_ring}", "source=0", "target=2"]
    code, out, err = run_cli(capsys, [*argv, "--json", *tail])
    assert code == 0, err
    (row,) = json.loads(out)
    assert row["sites"] == [0, 1, 4, 2] and row["saddle_relative"] == pytest.approx(0.55, abs=TOL)
    argv = ["db", "query", "bottleneck_hops", f"sample_id={stored_ring}", "--json", *tail]
    code, out, err = run_cli(capsys, argv)
    assert code == 0, err
    assert sorted((r["source"], r["target"]) for r in json.loads(out)) == [
        (0, 1), (0, 3), (1, 0), (2, 3), (3, 0), (3, 2)
    ]  # fmt: skip
    code, out, err = run_cli(
        capsys,
        ["db", "query", "minimax_path", f"sample_id={stored_ring}", "source=7", "target=0", *tail],
    )
    assert code == 0, err
    assert "source" in out and "false" in out  # the table form: unreachable
