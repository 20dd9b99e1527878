"""Every named Cypher query, run on the session's database, against answers computed here with
networkx and numpy; the query files' headers; and loading them from an installed wheel."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from landscape.errors import InputError
from landscape.graph import load_query, query_names
from landscape.graph.queries import parse_query
from landscape.kinetics.network import hop_counts
from landscape.kinetics.synthetic import cubic_lattice_network, random_network

ROOT = Path(__file__).resolve().parents[2]

#: Every shipped query; a new file must be added here and tested.
EXPECTED = {
    "schema",
    "upsert_sample",
    "upsert_sites",
    "upsert_kinetics",
    "upsert_model",
    "delete_sites",
    "delete_sample",
    "network_sample",
    "network_sites",
    "network_hops",
    "network_saddles",
    "site_uids",
    "create_sites",
    "create_hops",
    "delete_network_hops",
    "sample_summary",
    "barrier_histogram",
    "lowest_barrier_hops",
    "site_neighbourhood",
    "hops_below",
    "traps",
    "compare_models",
    "compare_samples",
    "compare_kinetics",
    "graph_counts",
    "list_samples",
}


def test_every_query_file_has_a_header():
    assert set(query_names()) == EXPECTED
    for name in query_names():
        q = load_query(name)
        text = q.text
        first = text.splitlines()[0]
        assert first.startswith(f"// {name} — "), first  # purpose
        for section in ("// Mode:", "// Parameters:", "// Returns:"):
            assert section in text, (name, section)
        assert q.mode in ("read", "write", "schema")
        for p in q.params:  # every declared parameter is used, and only $parameters are used
            assert f"${p.name}" in "\n".join(q.statements), (name, p.name)
        assert load_query(name) is q  # cached


def test_header_parser_refuses_malformed_files():
    with pytest.raises(InputError, match="Mode"):
        parse_query("x", "// x — no mode\nRETURN 1")
    with pytest.raises(InputError, match="no known type"):
        parse_query("x", "// x\n// Mode: read\n// Parameters:\n//   $a (thing)  what\nRETURN $a")
    with pytest.raises(InputError, match="only a schema file"):
        parse_query("x", "// x\n// Mode: read\nRETURN 1;\nRETURN 2")
    q = parse_query("x", "// x\n// Mode: schema\n// Parameters: none\nCREATE A;\n// c\nCREATE B;\n")
    assert q.statements == ("CREATE A", "CREATE B") and q.params == ()


# ------------------------------------------------------------------------------ on the database


def barriers(G):
    return np.array([d["barrier"] for _, _, d in G.edges(data=True)])


@pytest.fixture(scope="module")
def nets(graph_store):
    """Two stored networks: a 4x4x4 cubic lattice and a 150-site random network."""
    import uuid

    tag = uuid.uuid4().hex[:8]
    cubic = cubic_lattice_network(4, sample_id=f"q-cubic-{tag}")
    rand = random_network(150, max_distance=3.8, sample_id=f"q-random-{tag}", random_state=7)
    for G in (cubic, rand):
        graph_store.upsert_network(G)
    yield {"cubic": cubic, "random": rand}
    for G in (cubic, rand):
        graph_store.delete_sample(G.graph["sample_id"])


@pytest.mark.service
def test_schema_is_idempotent_and_enforces_uniqueness(graph_store, new_sample_id):
    import neo4j.exceptions

    graph_store.apply_schema()
    graph_store.apply_schema()
    sid = new_sample_id()
    graph_store.upsert_sample(sid)
    kw = {"database": graph_store.database} if graph_store.database else {}
    with graph_store._driver.session(**kw) as s:
        with pytest.raises(neo4j.exceptions.Neo4jError):
            s.run("CREATE (:Sample {sample_id: $sid})", sid=sid).consume()
    assert len(graph_store.query("network_sample", sample_id=sid)) == 1


@pytest.mark.service
@pytest.mark.parametrize("which", ["cubic", "random"])
def test_sample_summary(graph_store, nets, which):
    G = nets[which]
    b = barriers(G)
    (row,) = graph_store.query("sample_summary", sample_id=G.graph["sample_id"])
    assert row["sample_id"] == G.graph["sample_id"]
    assert row["n_sites"] == G.number_of_nodes() and row["n_hops"] == G.number_of_edges()
    assert row["n_pairs"] == hop_counts(G)["pairs"] == G.number_of_edges() // 2
    assert row["barrier_min"] == b.min() and row["barrier_max"] == b.max()
    assert row["barrier_median"] == pytest.approx(np.median(b), rel=1e-12, abs=1e-15)


@pytest.mark.service
@pytest.mark.parametrize("width", [0.05, 0.1, 0.013])
def test_barrier_histogram(graph_store, nets, width):
    G = nets["random"]
    b = barriers(G)
    bins, counts = np.unique(np.floor(b / width).astype(int), return_counts=True)
    rows = graph_store.query("barrier_histogram", sample_id=G.graph["sample_id"], bin_width=width)
    assert [r["bin"] for r in rows] == bins.tolist()
    assert [r["count"] for r in rows] == counts.tolist()
    assert sum(r["count"] for r in rows) == G.number_of_edges()
    for r in rows:
        assert r["lower"] == pytest.approx(r["bin"] * width) and r["upper"] == pytest.approx(
            (r["bin"] + 1) * width
        )
    (one,) = graph_store.query(
        "barrier_histogram", sample_id=nets["cubic"].graph["sample_id"], bin_width=0.1
    )
    assert one["bin"] == 5 and one["count"] == nets["cubic"].number_of_edges()


@pytest.mark.service
@pytest.mark.parametrize("limit", [0, 1, 10, 100000])
def test_lowest_barrier_hops(graph_store, nets, limit):
    G = nets["random"]
    sid = G.graph["sample_id"]
    from landscape.graph.network import hop_uid

    expect = sorted(
        (
            d["barrier"],
            u,
            v,
            hop_uid(sid, u, v, d["shift"]),
            d["shift"],
            G.nodes[u]["energy"] + d["barrier"],
        )
        for u, v, d in G.edges(data=True)
    )[:limit]
    rows = graph_store.query("lowest_barrier_hops", sample_id=sid, limit=limit)
    assert len(rows) == min(limit, G.number_of_edges())
    got = [
        (r["barrier"], r["source"], r["target"], r["uid"], r["shift"], r["saddle_energy"])
        for r in rows
    ]
    assert got == expect


@pytest.mark.service
@pytest.mark.parametrize("k", [0, 1, 2, 3, 10])
def test_site_neighbourhood(graph_store, nets, k):
    for which, start in (("random", 5), ("random", 149), ("cubic", 0), ("cubic", 21)):
        G = nets[which]
        dist = nx.single_source_shortest_path_length(G, start, cutoff=k)
        expect = sorted((d, i) for i, d in dist.items())
        rows = graph_store.query(
            "site_neighbourhood", sample_id=G.graph["sample_id"], index=start, k=k
        )
        assert [(r["distance"], r["index"]) for r in rows] == expect, (which, start, k)
    # the 4x4x4 periodic lattice: per axis 1, 2, 1 sites at 0, 1, 2 hops, so the shells are the
    # coefficients of (1 + x)^6: 1, 6, 15, 20, 15, 6, 1 (all 64 sites within 6 hops)
    rows = graph_store.query(
        "site_neighbourhood", sample_id=nets["cubic"].graph["sample_id"], index=0, k=k
    )
    shells = np.bincount([r["distance"] for r in rows])
    assert shells.tolist() == [1, 6, 15, 20, 15, 6, 1][: k + 1]
    assert (
        graph_store.query(
            "site_neighbourhood", sample_id=nets["cubic"].graph["sample_id"], index=999, k=2
        )
        == []
    )


@pytest.mark.service
def test_hops_below(graph_store, nets):
    """$max_energy is relative to the sample's lowest site; both saddle energies come back."""
    G = nets["random"]
    sid = G.graph["sample_id"]
    from landscape.graph.network import hop_uid

    e_min = min(e for _, e in G.nodes(data="energy"))
    assert e_min < -0.2  # the absolute and relative scales differ by more than the tolerances
    saddle = {
        hop_uid(sid, u, v, d["shift"]): (
            u,
            v,
            d["shift"],
            d["barrier"],
            G.nodes[u]["energy"] + d["barrier"],
        )
        for u, v, d in G.edges(data=True)
    }
    relative = sorted({s[4] - e_min for s in saddle.values()})
    for e_max in (relative[0] - 1e-9, relative[0], float(np.median(relative)), relative[-1]):
        expect = sorted(
            (u, v, uid, sh, b, e, e - e_min)
            for uid, (u, v, sh, b, e) in saddle.items()
            if e - e_min <= e_max
        )
        rows = graph_store.query("hops_below", sample_id=sid, max_energy=e_max)
        got = [
            (
                r["source"],
                r["target"],
                r["uid"],
                r["shift"],
                r["barrier"],
                r["saddle_energy"],
                r["saddle_relative"],
            )
            for r in rows
        ]
        assert got == expect
    assert graph_store.query("hops_below", sample_id=sid, max_energy=relative[0] - 1e-9) == []
    assert len(graph_store.query("hops_below", sample_id=sid, max_energy=relative[-1])) == len(
        saddle
    )
    # the sub-network below the median saddle energy, rebuilt from the rows, has the expected sites
    med = float(np.median(relative))
    rows = graph_store.query("hops_below", sample_id=sid, max_energy=med)
    sub = nx.MultiDiGraph([(r["source"], r["target"]) for r in rows])
    ref = nx.MultiDiGraph(
        [
            (u, v)
            for u, v, d in G.edges(data=True)
            if G.nodes[u]["energy"] + d["barrier"] - e_min <= med
        ]
    )
    assert sorted(sub.nodes) == sorted(ref.nodes) and sub.number_of_edges() == ref.number_of_edges()
    assert graph_store.query("hops_below", sample_id="no-such-sample", max_energy=9.0) == []


@pytest.mark.service
def test_compare_samples_all_and_some(graph_store, nets, new_sample_id):
    cubic, rand = nets["cubic"], nets["random"]
    graph_store.upsert_result(cubic.graph["sample_id"], "kinetics", name="exact", Ea=0.5, D0=1e-3)
    rows = graph_store.query("compare_samples")
    by = {r["sample_id"]: r for r in rows}
    assert [r["sample_id"] for r in rows] == sorted(by)
    for G in (cubic, rand):
        r = by[G.graph["sample_id"]]
        assert r["n_sites"] == G.number_of_nodes() and r["n_hops"] == G.number_of_edges()
        assert r["barrier_min"] == barriers(G).min()
        assert r["barrier_median"] == pytest.approx(np.median(barriers(G)), rel=1e-12)
        assert r["barrier_max"] == barriers(G).max()
        (live,) = graph_store.query("sample_summary", sample_id=G.graph["sample_id"])
        assert r["n_pairs"] == G.number_of_edges() // 2
        for key in ("n_sites", "n_hops", "n_pairs", "barrier_min", "barrier_max"):
            assert r[key] == live[key]
    assert [k["name"] for k in by[cubic.graph["sample_id"]]["kinetics"]] == ["exact"]
    assert by[cubic.graph["sample_id"]]["kinetics"][0]["Ea"] == 0.5
    assert by[rand.graph["sample_id"]]["kinetics"] == []
    some = graph_store.query(
        "compare_samples", sample_ids=[rand.graph["sample_id"], "no-such-sample"]
    )
    assert [r["sample_id"] for r in some] == [rand.graph["sample_id"]]


@pytest.mark.service
def test_graph_counts_and_list_samples(graph_store, nets, new_sample_id):
    before = graph_store.counts()
    sid = new_sample_id()
    G = cubic_lattice_network(2, sample_id=sid)
    graph_store.upsert_network(G)
    graph_store.upsert_result(sid, "kinetics", Ea=0.1)
    after = graph_store.counts()
    assert after["samples"] == before["samples"] + 1
    assert after["sites"] == before["sites"] + 8 and after["hops"] == before["hops"] + 48
    assert after["kinetics"] == before["kinetics"] + 1
    assert sid in graph_store.samples()
    assert len(graph_store.query("site_uids", sample_id=sid)[0]["uids"]) == 8
    assert after["hops"] == _scan_hops(graph_store)  # the kept count is the true one
    # a network written again with fewer hops, a sample without a network, a deleted sample
    H = G.copy()
    H.remove_edges_from(list(H.edges(keys=True))[:6])
    graph_store.upsert_network(H)
    bare = new_sample_id()
    graph_store.upsert_sample(bare)
    again = graph_store.counts()
    assert again["hops"] == after["hops"] - 6 == _scan_hops(graph_store)
    assert again["samples"] == after["samples"] + 1
    graph_store.delete_sample(sid)
    graph_store.delete_sample(bare)
    assert graph_store.counts() == before
    assert before["hops"] == _scan_hops(graph_store)


def _scan_hops(store) -> int:
    """Every HOP relationship in the database, counted by a scan (graph_counts reads a kept count)."""
    kw = {"database": store.database} if store.database else {}
    with store._driver.session(**kw) as s:
        return s.run("MATCH ()-[:HOP]->() RETURN count(*) AS n").single()["n"]


# ------------------------------------------------------------------------------ installed wheel


@pytest.mark.slow
def test_queries_load_from_an_installed_wheel(tmp_path):
    """Build the wheel, install it into a folder, and load every query from there (cwd elsewhere)."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        (src / name).write_bytes((ROOT / name).read_bytes())
    import shutil

    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "landscape", src / "landscape", ignore=ignore)
    shutil.copytree(ROOT / "cypher", src / "cypher", ignore=ignore)
    wheels = tmp_path / "wheels"
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheels),
            str(src),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = wheels.glob("landscape-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {
        n.rsplit("/", 1)[1][: -len(".cypher")]
        for n in names
        if n.startswith("landscape/cypher/") and n.endswith(".cypher")
    }
    assert shipped == EXPECTED
    target = tmp_path / "site"
    inst = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert inst.returncode == 0, inst.stderr[-2000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = (
        "import landscape, landscape.graph as g\n"
        "from importlib import resources\n"
        "names = g.query_names()\n"
        "qs = [g.load_query(n) for n in names]\n"
        "print(landscape.__file__)\n"
        "print(resources.files('landscape.cypher'))\n"
        "print(','.join(names))\n"
        "print(sum(len(q.statements) for q in qs))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(target))
    run = subprocess.run(
        [sys.executable, "-c", code],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    pkg_file, cypher_dir, names_line, n_statements = run.stdout.strip().splitlines()
    assert pkg_file.startswith(str(target)) and cypher_dir.startswith(str(target))
    assert set(names_line.split(",")) == EXPECTED
    assert int(n_statements) == sum(len(load_query(n).statements) for n in EXPECTED)
