"""The graph store against the real database of the session (embedded ArcadeDB, or Neo4j 5)."""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pytest

from landscape.errors import InputError, StoreError
from landscape.graph import GraphStore, open_store
from landscape.kinetics.synthetic import cubic_lattice_network, random_network

pytestmark = pytest.mark.service


def edge_set(G):
    return sorted(
        (u, v, str(k), json.dumps(d, sort_keys=True))
        for u, v, k, d in G.edges(keys=True, data=True)
    )


def assert_same_network(G, H):
    assert H.graph == G.graph
    assert sorted(H.nodes) == sorted(G.nodes)
    for n in G.nodes:
        assert H.nodes[n] == G.nodes[n], n
    assert edge_set(H) == edge_set(G)
    assert nx.utils.graphs_equal(G, H)


def summary(store, sid):
    (row,) = store.query("sample_summary", sample_id=sid)
    return row


def test_store_is_a_context_manager_and_exported(graph_store):
    import landscape

    assert landscape.open_store is open_store and landscape.GraphStore is GraphStore
    assert isinstance(graph_store, GraphStore)
    assert graph_store.backend in ("arcadedb", "neo4j")


def test_round_trip_cubic_lattice(graph_store, new_sample_id):
    sid = new_sample_id()
    G = cubic_lattice_network(3, sample_id=sid)
    out = graph_store.upsert_network(G)
    assert out == {"sites": 27, "hops": 162, "stale_sites": 0, "stale_hops": 0}
    assert_same_network(G, graph_store.hop_network(sid))


def test_round_trip_every_attribute(graph_store, new_sample_id):
    """Optional and extra attributes, multi-edges with different shifts, self-loops, odd values."""
    sid = new_sample_id("x/y")  # a slash in the sample id is fine
    G = random_network(60, max_distance=3.6, sample_id=sid, random_state=3)
    G.graph["search"] = {"fmax": 0.02, "rejected": {"composite": 2}, "seconds": [0.1, None]}
    G.graph["note"] = "made by a test"
    rng = np.random.default_rng(0)
    for n, d in G.nodes(data=True):
        d["frequencies"] = rng.uniform(1, 10, 3).tolist()
        d["uncertainty"] = float(rng.uniform(0, 0.01))
        d["hessian"] = rng.normal(size=(3, 3)).tolist()
        d["label"] = f"site {n}"
    for _, _, d in G.edges(data=True):
        d["saddle_energy"] = float(rng.normal())
        d["converged"] = True
        d["model_id"] = "nnp-1"
    # two hops between the same pair through different images, and a self-loop through an image
    G.add_edge(0, 1, barrier=0.7, shift=[1, 0, 0], prefactor=2e12)
    G.add_edge(0, 1, barrier=0.8, shift=[0, -1, 0], prefactor=2e12, profile=[0.0, 0.8, 0.1])
    G.add_edge(2, 2, key="loop", barrier=0.9, shift=[0, 0, 1])
    G.add_edge(2, 2, barrier=0.9, shift=[0, 0, -1], length=17.25)
    # an isolated site and exact binary floats
    G.add_node(999, position=[0.1 + 0.2, 1e-300, 1.2345678901234567], energy=-0.0)
    graph_store.upsert_network(G)
    H = graph_store.hop_network(sid)
    assert_same_network(G, H)
    assert H.nodes[999]["position"][0] == 0.30000000000000004
    assert H.has_edge(2, 2, key="loop")
    assert len(H[0][1]) == len(G[0][1]) >= 2


def test_ingest_twice_gives_the_same_counts(graph_store, new_sample_id):
    sid = new_sample_id()
    G = random_network(50, max_distance=3.6, sample_id=sid, random_state=1)
    first = graph_store.upsert_network(G)
    s1, c1 = summary(graph_store, sid), graph_store.counts()
    second = graph_store.upsert_network(G)
    s2, c2 = summary(graph_store, sid), graph_store.counts()
    assert first == second
    assert s1 == s2 and c1 == c2
    assert s1["n_sites"] == 50 and s1["n_hops"] == G.number_of_edges()
    assert_same_network(G, graph_store.hop_network(sid))


def test_rewriting_a_changed_network_removes_what_is_gone(graph_store, new_sample_id):
    sid = new_sample_id()
    G = cubic_lattice_network(3, sample_id=sid)
    graph_store.upsert_network(G)
    H = G.copy()
    H.remove_node(26)
    gone = [(u, v, k) for u, v, k in H.edges(0, keys=True)]
    H.remove_edges_from(gone)
    H.nodes[1]["energy"] = 0.25
    H.graph["species"] = "Li"
    out = graph_store.upsert_network(H)
    assert out["stale_sites"] == 1 and out["stale_hops"] == len(gone) + 12
    assert_same_network(H, graph_store.hop_network(sid))
    assert summary(graph_store, sid)["n_hops"] == H.number_of_edges()
    (cmp,) = graph_store.query("compare_samples", sample_ids=[sid])  # the stored statistics follow
    assert (cmp["n_sites"], cmp["n_hops"]) == (26, H.number_of_edges())
    # a network without hops breaks the contract of `landscape kinetics`: refused, nothing changes
    n_hops = H.number_of_edges()
    H.remove_edges_from(list(H.edges(keys=True)))
    with pytest.raises(InputError, match="no hops"):
        graph_store.upsert_network(H)
    (cmp,) = graph_store.query("compare_samples", sample_ids=[sid])
    assert (cmp["n_sites"], cmp["n_hops"]) == (26, n_hops) and n_hops > 0
    assert summary(graph_store, sid)["n_hops"] == n_hops


def test_hops_and_sites_with_differing_and_unusual_property_names(graph_store, new_sample_id):
    """Rows of one batch with different property sets, and names that are not identifiers."""
    sid = new_sample_id()
    G = cubic_lattice_network(3, sample_id=sid)
    for n, d in G.nodes(data=True):
        if n % 2:
            d["odd site"] = n  # not an identifier: written with SET, not folded into CREATE
    for k, (_, _, d) in enumerate(G.edges(data=True)):
        if k % 3 == 0:
            d["profile"] = [0.0, 0.25 + k, 0.0]
        if k % 5 == 0:
            d["path-length"] = 1.5 * k
    graph_store.upsert_network(G, batch_size=7)  # several batches with several property sets
    assert_same_network(G, graph_store.hop_network(sid))
    graph_store.upsert_network(G)  # again: MERGEd sites, re-created hops
    assert_same_network(G, graph_store.hop_network(sid))


def test_fold_set_into_create():
    from landscape.errors import LandscapeError
    from landscape.graph.queries import load_query
    from landscape.graph.store import _fold_set

    hops = load_query("create_hops").statements[0]
    folded = _fold_set(hops, "h", "p", {"uid", "barrier"})
    assert "CREATE (a)-[h:HOP {`barrier`: p.`barrier`, `uid`: p.`uid`}]->(b)" in folded
    assert "SET h" not in folded
    assert _fold_set(hops, "h", "p", {"uid", "a b"}) == hops  # odd names keep the SET
    sites = load_query("create_sites").statements[0]
    folded = _fold_set(sites, "x", "r", {"uid"})
    assert "CREATE (s)-[:HAS_SITE]->(x:Site {`uid`: r.`uid`})" in folded and "SET" not in folded
    with pytest.raises(LandscapeError, match="cannot fold"):
        _fold_set("MATCH (n) RETURN n", "n", "r", {"uid"})


def test_sample_properties_and_network_share_the_sample_node(graph_store, new_sample_id):
    sid = new_sample_id()
    graph_store.upsert_sample(
        sid, material="a-Ta2O5", n_atoms=99, cell=np.eye(3) * 9.0, density=None
    )
    G = cubic_lattice_network(2, sample_id=sid, a=4.5)
    graph_store.upsert_network(G)
    graph_store.upsert_sample(sid, formula="Ta36O90", meta={"seed": 3})
    (row,) = graph_store.query("compare_samples", sample_ids=[sid])
    assert row["material"] == "a-Ta2O5" and row["n_sites"] == 8 and row["kinetics"] == []
    assert_same_network(G, graph_store.hop_network(sid))  # sample properties stay out of G.graph
    props = graph_store.query("network_sample", sample_id=sid)[0]["props"]
    assert props["cell"] == [9.0, 0, 0, 0, 9.0, 0, 0, 0, 9.0] and props["meta"] == {"seed": 3}
    assert "density" not in props
    graph_store.upsert_sample(sid, material=None)
    assert "material" not in graph_store.query("network_sample", sample_id=sid)[0]["props"]


def test_results_models_and_compare_samples(graph_store, new_sample_id):
    a, b, c = new_sample_id("a"), new_sample_id("b"), new_sample_id("c")
    for sid, n in ((a, 2), (b, 3)):
        graph_store.upsert_network(cubic_lattice_network(n, sample_id=sid))
    graph_store.upsert_sample(c, material="empty")
    uid = graph_store.upsert_result(a, "kinetics", temperatures=[500.0, 600.0], Ea=0.5, D_kmc=None)
    assert uid == f"{a}/kinetics/default"
    graph_store.upsert_result(a, "kinetics", name="kmc", temperatures=[500.0], Ea=0.52, D=[[1e-9]])
    graph_store.upsert_result(a, "kinetics", temperatures=[500.0, 600.0], Ea=0.49)  # replaces
    graph_store.upsert_model("test-model-1", rmse=0.01, n_train=1800, layers=[20, 20])
    graph_store.upsert_model("test-model-1", rmse=0.009)
    m = graph_store.query("list_samples")
    assert {a, b, c} <= {r["sample_id"] for r in m}
    rows = graph_store.query("compare_samples", sample_ids=[c, b, a])
    assert [r["sample_id"] for r in rows] == sorted([a, b, c])
    by = {r["sample_id"]: r for r in rows}
    assert by[a]["n_sites"] == 8 and by[a]["n_hops"] == 48 and by[b]["n_hops"] == 162
    assert by[c]["n_sites"] == 0 and by[c]["n_hops"] == 0 and by[c]["barrier_min"] is None
    assert by[b]["kinetics"] == [] and by[c]["kinetics"] == []
    kin = by[a]["kinetics"]
    assert [k["name"] for k in kin] == ["default", "kmc"]
    assert (
        kin[0]["Ea"] == 0.49 and kin[0]["temperatures"] == [500.0, 600.0] and "D_kmc" not in kin[0]
    )
    assert kin[1]["D"] == [[1e-9]]  # nested list stored as JSON, decoded by query()
    assert by[a]["barrier_min"] == by[a]["barrier_median"] == 0.5
    with pytest.raises(InputError, match="unknown sample id"):
        graph_store.upsert_result(new_sample_id("never"), "kinetics", Ea=0.5)
    with pytest.raises(InputError, match="unknown result kind"):
        graph_store.upsert_result(a, "percolation", Ea=0.5)
    with pytest.raises(InputError, match="reserved"):
        graph_store.upsert_result(a, "kinetics", uid="x")
    deleted = graph_store.delete_sample(a)
    assert deleted == {"sites": 8, "hops": 48, "results": 2}
    assert graph_store.query("compare_samples", sample_ids=[a]) == []


def test_bad_network_writes_nothing(graph_store, new_sample_id):
    sid = new_sample_id()
    G = cubic_lattice_network(3, sample_id=sid)
    del G.nodes[13]["energy"]
    before = graph_store.counts()
    with pytest.raises(InputError, match="site 13 has no attribute 'energy'"):
        graph_store.upsert_network(G)
    assert graph_store.counts() == before
    assert graph_store.query("network_sample", sample_id=sid) == []


def test_unknown_sample_and_query_errors(graph_store, new_sample_id):
    sid = new_sample_id("missing")
    for call in (
        lambda: graph_store.hop_network(sid),
        lambda: graph_store.delete_sample(sid),
    ):
        with pytest.raises(InputError, match="unknown sample id") as err:
            call()
        assert "\n" not in str(err.value)
    graph_store.upsert_sample(sid, material="no network yet")
    with pytest.raises(InputError, match="no hop network"):
        graph_store.hop_network(sid)
    assert graph_store.query("sample_summary", sample_id=new_sample_id("nope")) == []
    with pytest.raises(InputError, match="no named query 'no_such_query'"):
        graph_store.query("no_such_query")
    with pytest.raises(InputError, match="lower_snake_case"):
        graph_store.query("../schema")
    with pytest.raises(InputError, match=r"missing parameter \$sample_id"):
        graph_store.query("sample_summary")
    with pytest.raises(InputError, match="unknown parameter"):
        graph_store.query("sample_summary", sample_id=sid, sampleid=sid)
    with pytest.raises(InputError, match=r"\$k must lie in 0..10"):
        graph_store.query("site_neighbourhood", sample_id=sid, index=0, k=11)
    with pytest.raises(InputError, match=r"\$bin_width must be a float"):
        graph_store.query("barrier_histogram", sample_id=sid, bin_width="wide")
    with pytest.raises(InputError, match="sample_id must be a non-empty string"):
        graph_store.upsert_sample("")


def test_unreachable_uri_and_wrong_credentials(graph_store, graph_data_dir):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(StoreError, match="cannot reach the graph database") as err:
        open_store(uri=f"bolt://127.0.0.1:{port}", user="neo4j", password="x")
    assert "\n" not in str(err.value)
    with pytest.raises(StoreError, match="invalid database URI"):
        open_store(uri="127.0.0.1:7687")
    with pytest.raises(StoreError, match="invalid database URI"):
        open_store(uri="ftp://127.0.0.1:7687")
    with pytest.raises(StoreError, match="authentication failed") as err:
        open_store(
            uri=graph_store.uri,
            user=graph_store.user,
            password="wrong-password",
            database=graph_store.database,
        )
    assert "\n" not in str(err.value)


def test_closed_store_refuses_work(graph_store, graph_data_dir):
    st = open_store(
        uri=graph_store.uri,
        user=graph_store.user,
        database=graph_store.database,
        password=graph_store.server.password() if graph_store.server else None,
    )
    with st:
        assert st.counts()["samples"] >= 0
    with pytest.raises(StoreError, match="closed"):
        st.counts()


def test_rows_repr_is_short_and_packs_as_a_list():
    """The driver formats repr() of every RUN's parameters; _Rows keeps it short, same bytes sent."""
    import io

    from neo4j._codec.packstream.v1 import Packer

    from landscape.graph.store import _Rows

    rows = [{"a": k, "b": k + 1, "p": {"uid": f"s/{k}", "shift": [0, 0, 1]}} for k in range(1000)]
    assert repr(_Rows(rows)) == "<1000 rows>"

    def packed(value, python: bool) -> bytes:
        buf = io.BytesIO()
        packer = Packer(buf)
        if python:
            packer._py_pack(value, Packer._inject_hooks())
        else:
            packer.pack(value)
        return buf.getvalue()

    for python in (False, True):
        assert packed({"rows": _Rows(rows)}, python) == packed({"rows": rows}, python)
