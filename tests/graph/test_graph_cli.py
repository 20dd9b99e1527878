"""``landscape db queries | query | ingest | export | delete`` against the session's database."""

from __future__ import annotations

import io
import json

import networkx as nx

from landscape.cli import main
from landscape.graph.queries import query_names
from landscape.kinetics import load_network
from landscape.kinetics.synthetic import cubic_lattice_network, random_network


def _run(capsys, graph_data_dir, *args):
    """Run ``landscape db ARGS`` in-process on the session's database: (status, stdout, stderr)."""
    argv = ["db", *map(str, args)]
    if graph_data_dir is not None:  # embedded; on Neo4j the environment names the server
        argv += ["--data-dir", str(graph_data_dir)]
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code or 0
    out, err = capsys.readouterr()
    return code, out, err


def _write(G, path):
    path.write_text(json.dumps(nx.node_link_data(G, edges="edges")))
    return path


def _edges(G):
    return sorted((u, v, json.dumps(d, sort_keys=True)) for u, v, d in G.edges(data=True))


def test_queries_lists_every_named_query(capsys):
    try:
        main(["db", "queries"])
    except SystemExit as exc:
        assert not exc.code
    out = capsys.readouterr().out
    for name in query_names():
        assert name in out
    assert "sample_id (string)" in out and "limit (integer)" in out


def test_ingest_query_export_round_trip(capsys, tmp_path, graph_data_dir, new_sample_id):
    a, b = new_sample_id("a"), new_sample_id("b")
    Ga = cubic_lattice_network(3, sample_id=a)
    Gb = random_network(40, max_distance=4.5, random_state=3, sample_id=b)
    fa, fb = _write(Ga, tmp_path / "a.json"), _write(Gb, tmp_path / "b.json")

    code, out, err = _run(capsys, graph_data_dir, "ingest", fa, fb)
    assert code == 0, err
    # hops: directed edges; pairs: undirected site pairs (each hop has its reverse here)
    assert f"{a}: 27 sites, 162 hops (81 pairs) written" in out
    assert f"{b}: 40 sites, {Gb.number_of_edges()} hops ({Gb.number_of_edges() // 2} pairs)" in out

    code, out, err = _run(
        capsys, graph_data_dir, "query", "sample_summary", f"sample_id={b}", "--json"
    )
    assert code == 0, err
    (row,) = json.loads(out)
    assert row["n_sites"] == 40 and row["n_hops"] == Gb.number_of_edges()
    assert row["n_pairs"] * 2 == Gb.number_of_edges()

    code, out, err = _run(
        capsys,
        graph_data_dir,
        "query",
        "lowest_barrier_hops",
        f"sample_id={b}",
        "limit=3",
        "--json",
    )
    assert code == 0, err
    lowest = sorted(d["barrier"] for *_, d in Gb.edges(data=True))[:3]
    assert [r["barrier"] for r in json.loads(out)] == lowest

    # a string list as a,b and as JSON; the table form names the columns
    for ids in (f"{a},{b}", json.dumps([a, b])):
        code, out, err = _run(
            capsys, graph_data_dir, "query", "compare_samples", f"sample_ids={ids}", "--json"
        )
        assert code == 0, err
        assert sorted(r["sample_id"] for r in json.loads(out)) == sorted([a, b])
    code, out, err = _run(
        capsys, graph_data_dir, "query", "hops_below", f"sample_id={a}", "max_energy=1", "--json"
    )
    assert code == 0, err
    rows = json.loads(out)
    assert rows and {"source", "saddle_energy", "saddle_relative"} <= set(rows[0])
    assert all(r["saddle_relative"] <= 1 + 1e-9 for r in rows)

    code, out, err = _run(capsys, graph_data_dir, "export", b, "--out", tmp_path / "out" / "b.json")
    assert code == 0, err
    H = load_network(tmp_path / "out" / "b.json")
    assert H.graph == Gb.graph
    assert dict(H.nodes(data=True)) == dict(Gb.nodes(data=True))
    assert _edges(H) == _edges(Gb)
    assert [f.name for f in (tmp_path / "out").iterdir()] == ["b.json"]  # no temporary file left

    # the exported file ingests again to the same network: nothing stale
    code, out, err = _run(capsys, graph_data_dir, "ingest", tmp_path / "out" / "b.json")
    assert code == 0 and "(0 stale sites and 0 stale hops removed)" in out


def test_bad_input_exits_2_with_one_line_and_writes_nothing(
    capsys, tmp_path, graph_data_dir, graph_store, new_sample_id
):
    good, bad = new_sample_id("good"), new_sample_id("bad")
    fg = _write(cubic_lattice_network(2, sample_id=good), tmp_path / "good.json")
    Gb = cubic_lattice_network(2, sample_id=bad)
    del next(iter(Gb.edges(data=True)))[2]["barrier"]
    fb = _write(Gb, tmp_path / "bad.json")
    fdup = _write(cubic_lattice_network(2, sample_id=good), tmp_path / "dup.json")

    cases = [
        (("ingest", fg, fb), "bad.json: hop"),  # the good file before it is not written either
        (("ingest", fg, fdup), "both hold sample"),
        (("ingest", tmp_path / "missing.json"), "cannot read hop network"),
        (("query", "nosuch"), "no named query 'nosuch'"),
        (("query", "upsert_sample", "sample_id=x"), "read queries only"),
        (("query", "lowest_barrier_hops", f"sample_id={good}", "limit=abc"), "must be an integer"),
        (("query", "lowest_barrier_hops", f"sample_id={good}"), "missing parameter $limit"),
        (("query", "lowest_barrier_hops", f"sample_id={good}", "limit=-1"), "must lie in 0.."),
        (("query", "lowest_barrier_hops", "limit"), "NAME=VALUE"),
        (("query", "list_samples", "x=1"), "unknown parameter 'x'"),
        (("query", "hops_below", f"sample_id={good}", "max_energy=low"), "must be a float"),
        (("export", "no-such-sample"), "unknown sample id"),
        (("export", good, "--out", tmp_path), "is a folder"),
        (("delete", "no-such-sample", "--yes"), "unknown sample id"),
    ]
    for args, message in cases:
        code, out, err = _run(capsys, graph_data_dir, *args)
        assert code == 2, (args, out, err)
        assert err.startswith("error: ") and message in err, (args, err)
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    stored = graph_store.samples()
    assert good not in stored and bad not in stored


def test_delete_asks_first(
    capsys, monkeypatch, tmp_path, graph_data_dir, graph_store, new_sample_id
):
    sid = new_sample_id()
    f = _write(cubic_lattice_network(2, sample_id=sid), tmp_path / "n.json")
    assert _run(capsys, graph_data_dir, "ingest", f)[0] == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    code, *_ = _run(capsys, graph_data_dir, "delete", sid)
    assert code == 1 and sid in graph_store.samples()  # declined: nothing deleted
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    code, out, err = _run(capsys, graph_data_dir, "delete", sid)
    assert code == 0, err
    assert f"deleted {sid}: 8 sites" in out and sid not in graph_store.samples()


def test_wrong_credentials_and_unreachable_server_exit_2(capsys, monkeypatch, graph_store):
    import socket

    monkeypatch.setenv("LANDSCAPE_NEO4J_URI", graph_store.uri)
    monkeypatch.setenv("LANDSCAPE_NEO4J_USER", graph_store.user)
    monkeypatch.setenv("LANDSCAPE_NEO4J_PASSWORD", "wrong-password")
    code, out, err = _run(capsys, None, "query", "list_samples")
    assert code == 2 and "authentication failed" in err and len(err.strip().splitlines()) == 1
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("LANDSCAPE_NEO4J_URI", f"bolt://127.0.0.1:{port}")
    code, out, err = _run(capsys, None, "export", "any-sample")
    assert code == 2 and "cannot reach the graph database" in err and "Traceback" not in err
