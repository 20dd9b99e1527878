"""Every bad input of ``landscape db ...`` and ``landscape kinetics`` is answered with exit status 2
and one line on stderr that names the bad value, before any work, and writes nothing.

Each case runs the CLI in-process. "Writes nothing" is checked twice: every file and folder under
``tmp_path`` (names and bytes) is the same before and after, and for ``db`` commands the database
still holds exactly the samples it held before (a refused ``ingest`` stored none of its samples; an
injection-like parameter deleted nothing).

Also here: ``kinetics --model --sample`` refuses a host that is not the network's sample, and the
counts of hops agree everywhere (``hops`` = directed edges, ``pairs`` = undirected site pairs).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from landscape.kinetics.network import hop_counts
from landscape.kinetics.synthetic import cubic_lattice_network, random_network
from tests.helpers.cli import run_cli, snapshot

INJECTION = "x' }) DETACH DELETE n //"


_run = run_cli
_snapshot = snapshot


def _assert_one_line_refusal(code: int, err: str, expected: str) -> None:
    lines = err.splitlines()
    assert code == 2, err
    assert len(lines) == 1 and lines[0].strip(), err
    assert lines[0].startswith("error: "), err
    assert "Traceback" not in err
    assert expected in lines[0], f"{expected!r} not in {lines[0]!r}"


def _fill(text: str, names: dict[str, str]) -> str:
    """``text`` with each ``{name}`` replaced (not str.format: the injections hold braces)."""
    for key, value in names.items():
        text = text.replace("{" + key + "}", value)
    return text


def _write(G: nx.MultiDiGraph, path: Path) -> Path:
    path.write_text(json.dumps(nx.node_link_data(G, edges="edges")))
    return path


def _edited(sample_id: str, edit) -> nx.MultiDiGraph:
    """A valid 2x2x2 lattice network of ``sample_id`` with ``edit(G)`` applied."""
    G = cubic_lattice_network(2, sample_id=sample_id)
    edit(G)
    return G


def _first_edge(G: nx.MultiDiGraph) -> dict:
    return G.edges[next(iter(G.edges(keys=True)))]


def _one_site(G: nx.MultiDiGraph) -> None:
    G.remove_nodes_from([n for n in G.nodes if n != 0])


# --------------------------------------------------------------------------------------------
# db ...
# --------------------------------------------------------------------------------------------

#: (argv after ``db``, text the one line must contain). ``{sid}`` is a sample stored before the
#: command (the witness), ``{under}`` a path under a regular file, ``{adir}`` an existing folder.
DB_CASES: list[tuple[list[str], str]] = [
    (["query", "lowest_barrier_hops", "sample_id={sid}", "limit="], "$limit"),
    (["query", "lowest_barrier_hops", "sample_id={sid}", "limit=99999999999999999999"], "9" * 20),
    (["query", "lowest_barrier_hops", "sample_id={sid}", "limit=-99999999999999999999"], "9" * 20),
    (["query", "lowest_barrier_hops", "sample_id={sid}", "limit=9223372036854775808"], "808"),
    (["query", "lowest_barrier_hops", "sample_id={sid}", "limit=ten"], "'ten'"),
    (["query", "lowest_barrier_hops", "sample_id={sid}", "limit=-1"], "-1"),
    (["query", "lowest_barrier_hops", "sample_id={sid}"], "$limit"),
    (["query", "lowest_barrier_hops", "sample_id=", "limit=3"], "$sample_id"),
    (["query", "site_neighbourhood", "sample_id={sid}", "index=0", "k=11"], "11"),
    (["query", "hops_below", "sample_id={sid}", "max_energy=nan"], "nan"),
    (["query", "traps", "sample_id={sid}", "min_barrier=-0.1"], "-0.1"),
    (["query", "traps", "sample_id={sid}"], "$min_barrier"),
    (["query", "compare_models", "sample_id={sid}", "model_a=m"], "$model_b"),
    (["query", "minimax_path", "sample_id={sid}", "source=0", "target=99"], "target 99"),
    (["query", "minimax_path", "sample_id={sid}", "source=-1", "target=0"], "-1"),
    (["query", "minimax_path", "sample_id={sid}", "source=0", "target=x"], "'x'"),
    (["query", "minimax_path", f"sample_id={INJECTION}", "source=0", "target=1"], INJECTION),
    (["query", "bottleneck_hops", "sample_id=no-such-sample-{sid}"], "no-such-sample-"),
    (["query", "barrier_histogram", "sample_id={sid}", "bin_width=wide"], "'wide'"),
    (["query", "compare_samples", 'sample_ids={"a": 1}'], "$sample_ids"),
    (["query", "lowest_barrier_hops", "sample_id={sid}", "limit=3", "colour=red"], "'colour'"),
    (["query", "lowest_barrier_hops", "sample_id={sid}", "limit"], "'limit'"),
    (["query", "no_such_query"], "'no_such_query'"),
    (["query", INJECTION], INJECTION),
    (["query", "delete_sample", "sample_id={sid}"], "'delete_sample'"),
    (["query", "upsert_sample", f"sample_id={INJECTION}", "props={}"], "'upsert_sample'"),
    (["export", "{sid}", "-o", "{under}"], "{under}"),
    (["export", "{sid}", "-o", "{adir}"], "{adir}"),
    (["export", "{sid}", "-o", ""], "--out"),
    (["export", "no-such-sample-{sid}", "-o", "out.json"], "no-such-sample-"),
    (["export", INJECTION, "-o", "out.json"], INJECTION),
    (["delete", "no-such-sample-{sid}", "--yes"], "no-such-sample-"),
    (["show", "no-such-sample-{sid}", "-o", "v.html", "--host", "a-Ta2O5-1"], "no-such-sample-"),
    (["show", "{sid}", "-o", "v.html"], "--host FILE"),  # no host: not bundled, no source
    (["show", "{sid}", "-o", "v.html", "--host", "missing.extxyz"], "missing.extxyz"),
    (["show", "{sid}", "-o", "v.html", "--host", ""], "--host"),
    (["show", "{sid}", "-o", "v.html", "--host", "a-Ta2O5-1"], "cell"),  # another cell
    (["show", "{sid}", "-o", "{under}"], "{under}"),
    (["show", "{sid}", "-o", "{adir}"], "{adir}"),
    (["show", "{sid}", "-o", ""], "--out"),
    (["compare", "{sid}", "no-such-sample-{sid}"], "no-such-sample-"),
    (["compare", "{sid}", "--name", ""], "result name"),
]

#: Networks that ``db ingest`` refuses as ``landscape kinetics`` does: (name, edit, text).
BAD_NETWORKS = [
    ("negative", lambda G: _first_edge(G).update(barrier=-0.3), "-0.3"),
    ("nan", lambda G: _first_edge(G).update(barrier=math.nan), "nan"),
    ("inf", lambda G: _first_edge(G).update(barrier=math.inf), "inf"),
    ("empty", lambda G: G.remove_nodes_from(list(G.nodes)), "empty"),
    ("one-site", _one_site, "no hops"),
    ("no-hops", lambda G: G.remove_edges_from(list(G.edges(keys=True))), "no hops"),
    ("prefactor", lambda G: _first_edge(G).update(prefactor=0.0), "prefactor 0.0"),
    ("shift", lambda G: _first_edge(G).update(shift=[0.5, 0, 0]), "shift"),
    ("cell", lambda G: G.graph.update(cell=[[1.0, 0.0], [0.0, 1.0]]), "cell"),
    ("energy", lambda G: G.nodes[0].update(energy="low"), "'low'"),
]


@pytest.fixture
def db_env(tmp_path, graph_data_dir, graph_store, new_sample_id, monkeypatch):
    """A stored witness sample and the paths of the cases; the working folder is tmp_path."""
    monkeypatch.chdir(tmp_path)
    sid = new_sample_id("witness")
    graph_store.upsert_network(cubic_lattice_network(2, sample_id=sid))
    (tmp_path / "afile").write_text("a regular file\n")
    (tmp_path / "adir").mkdir()
    names = {
        "sid": sid,
        "under": str(tmp_path / "afile" / "x.json"),
        "adir": str(tmp_path / "adir"),
    }
    tail = [] if graph_data_dir is None else ["--data-dir", str(graph_data_dir)]
    return names, tail


def _witness_intact(graph_store, sid: str) -> None:
    (row,) = graph_store.query("sample_summary", sample_id=sid)
    assert (row["n_sites"], row["n_hops"], row["n_pairs"]) == (8, 48, 24)


@pytest.mark.service
@pytest.mark.parametrize(
    ("argv", "expected"), DB_CASES, ids=[" ".join(a)[:60] for a, _ in DB_CASES]
)
def test_db_bad_input_is_one_line_and_writes_nothing(
    capsys, tmp_path, graph_store, db_env, argv, expected
):
    names, tail = db_env
    argv = ["db", *(_fill(a, names) for a in argv), *tail]
    expected = _fill(expected, names)
    before, samples = _snapshot(tmp_path), graph_store.samples()
    code, out, err = _run(capsys, argv)
    _assert_one_line_refusal(code, err, expected)
    assert out == ""
    assert _snapshot(tmp_path) == before
    assert graph_store.samples() == samples
    _witness_intact(graph_store, names["sid"])


@pytest.mark.service
@pytest.mark.parametrize(
    ("name", "edit", "expected"), BAD_NETWORKS, ids=[c[0] for c in BAD_NETWORKS]
)
def test_ingest_validates_as_kinetics_does_and_stores_nothing(
    capsys, tmp_path, graph_store, db_env, new_sample_id, name, edit, expected
):
    names, tail = db_env
    good_sid, bad_sid = new_sample_id("good"), new_sample_id(name)
    good = _write(cubic_lattice_network(2, sample_id=good_sid), tmp_path / "good.json")
    bad = _write(_edited(bad_sid, edit), tmp_path / "bad.json")
    before, samples = _snapshot(tmp_path), graph_store.samples()
    code, _, err = _run(capsys, ["db", "ingest", good, bad, *tail])  # the good one first
    _assert_one_line_refusal(code, err, expected)
    assert str(bad) in err
    assert _snapshot(tmp_path) == before
    assert graph_store.samples() == samples  # neither network was stored
    assert not graph_store.query("sample_summary", sample_id=bad_sid)
    assert not graph_store.query("sample_summary", sample_id=good_sid)
    # the same file is refused by `landscape kinetics`, with the same reason
    code, _, err_k = _run(capsys, ["kinetics", bad, "--method", "exact"])
    _assert_one_line_refusal(code, err_k, expected)


@pytest.mark.service
def test_ingest_refuses_a_missing_file_and_a_duplicate_sample(
    capsys, tmp_path, graph_store, db_env, new_sample_id
):
    names, tail = db_env
    sid = new_sample_id("dup")
    a = _write(cubic_lattice_network(2, sample_id=sid), tmp_path / "a.json")
    b = _write(cubic_lattice_network(3, sample_id=sid), tmp_path / "b.json")
    (tmp_path / "broken.json").write_text("{nodes: ")
    before, samples = _snapshot(tmp_path), graph_store.samples()
    for argv, expected in [
        ([a, tmp_path / "missing.json"], "missing.json"),
        ([a, tmp_path / "broken.json"], "broken.json"),
        ([a, b], sid),
    ]:
        code, _, err = _run(capsys, ["db", "ingest", *argv, *tail])
        _assert_one_line_refusal(code, err, expected)
    assert _snapshot(tmp_path) == before
    assert graph_store.samples() == samples and sid not in samples


@pytest.mark.service
@pytest.mark.parametrize(
    "argv",
    [
        ["site_neighbourhood", f"sample_id={INJECTION}", "index=0", "k=2"],
        ["sample_summary", f"sample_id={INJECTION}"],
        ["lowest_barrier_hops", "sample_id={sid}' OR 1=1 //", "limit=5"],
        [
            "compare_samples",
            json.dumps([INJECTION, "') DETACH DELETE s //"]).join(["sample_ids=", ""]),
        ],
        ["hops_below", 'sample_id={sid}") MATCH (n) DETACH DELETE n //', "max_energy=9"],
        ["traps", f"sample_id={INJECTION}", "min_barrier=0"],
        ["compare_models", "sample_id={sid}", f"model_a={INJECTION}", "model_b=' OR 1=1 //"],
    ],
    ids=["neighbourhood", "summary", "or-1", "compare", "hops-below", "traps", "models"],
)
def test_injection_like_parameter_values_are_plain_values(
    capsys, tmp_path, graph_store, db_env, argv
):
    """Parameters travel as Bolt parameters, never as Cypher text: they match nothing, delete
    nothing, and the query answers "no rows"."""
    names, tail = db_env
    samples = graph_store.samples()
    code, out, err = _run(capsys, ["db", "query", *(_fill(a, names) for a in argv), *tail])
    assert code == 0, err
    assert "no rows" in out
    assert graph_store.samples() == samples
    _witness_intact(graph_store, names["sid"])


@pytest.mark.parametrize(
    "uri",
    ["http://127.0.0.1:7474", "https://db.example.org", "localhost:7687", "neo4j+x://h:7687"],
)
@pytest.mark.parametrize("command", [["query", "list_samples"], ["status"], ["start"]])
def test_a_uri_that_is_not_bolt_is_one_line(capsys, tmp_path, monkeypatch, uri, command):
    monkeypatch.setenv("LANDSCAPE_NEO4J_URI", uri)
    monkeypatch.chdir(tmp_path)
    code, _, err = _run(capsys, ["db", *command])
    _assert_one_line_refusal(code, err, repr(uri))
    assert "LANDSCAPE_NEO4J_URI" in err and "bolt://" in err and "neo4j+s://" in err
    assert _snapshot(tmp_path) == {}


@pytest.mark.parametrize(
    "command",
    [
        ["query", "list_samples"],
        ["query", "sample_summary", "sample_id=a"],
        ["export", "a", "-o", "a.json"],
        ["delete", "a", "--yes"],
        ["compare"],
    ],
)
def test_db_reading_commands_do_not_start_a_server(capsys, tmp_path, monkeypatch, command):
    """With no server running for the data folder, a reading command says so and starts none."""
    monkeypatch.delenv("LANDSCAPE_NEO4J_URI", raising=False)
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "data"
    code, _, err = _run(capsys, ["db", *command, "--data-dir", data])
    _assert_one_line_refusal(code, err, "no graph database is running")
    assert str(data.resolve()) in err and "landscape db start" in err
    assert _snapshot(tmp_path) == {}  # no data folder, no server, no file


# --------------------------------------------------------------------------------------------
# kinetics
# --------------------------------------------------------------------------------------------


@pytest.fixture
def kin_files(tmp_path, monkeypatch) -> dict[str, str]:
    """A valid network (of bundled sample a-Ta2O5-1a, with its cell) and bad paths, by name."""
    from landscape.samples import load_sample

    monkeypatch.chdir(tmp_path)
    host = load_sample("a-Ta2O5-1a")
    a = float(host.cell[0, 0]) / 2
    G = cubic_lattice_network(2, a=a, sample_id="a-Ta2O5-1a")
    np.testing.assert_allclose(G.graph["cell"], host.cell.array, atol=1e-9)
    _write(G, tmp_path / "net.json")
    _write(cubic_lattice_network(2, sample_id="a-Ta2O5-1a"), tmp_path / "othercell.json")
    (tmp_path / "afile").write_text("a regular file\n")
    (tmp_path / "adir").mkdir()
    return {
        "net": str(tmp_path / "net.json"),
        "othercell": str(tmp_path / "othercell.json"),
        "under": str(tmp_path / "afile" / "plot.png"),
        "adir": str(tmp_path / "adir"),
        "model": str(tmp_path / "no-model"),
    }


#: (argv after ``kinetics``, text the one line must contain); ``{name}`` from ``kin_files``.
KINETICS_CASES: list[tuple[list[str], str]] = [
    (["{net}", "-T", "0"], "--temperatures"),
    (["{net}", "-T", "-5"], "-5"),
    (["{net}", "-T", "nan"], "nan"),
    (["{net}", "-T", "inf"], "inf"),
    (["{net}", "--temperatures", "500", "-100"], "-100"),
    (["{net}", "--walkers", "0"], "--walkers 0"),
    (["{net}", "--walkers", "1", "--method", "kmc"], "--walkers 1"),
    (["{net}", "--steps", "0"], "--steps 0"),
    (["{net}", "--steps", "-10"], "--steps -10"),
    (["{net}", "--steps", "nan"], "--steps nan"),
    (["{net}", "--method", "bogus"], "'bogus'"),
    (["{net}", "--seed", "-1"], "--seed -1"),
    # D below double precision's range: refused, never printed (the solve was a traceback)
    (["{net}", "--method", "exact", "-T", "1", "2"], "at 1 K"),
    (["{net}", "--plot", "{under}"], "{under}"),
    (["{net}", "--plot", "{adir}"], "{adir}"),
    (["{net}", "--sample", "a-Ta2O5-2a"], "--model"),
    (["{net}", "--model", "{model}", "--sample", "a-Ta2O5-2a"], "'a-Ta2O5-2a'"),
    (["{othercell}", "--model", "{model}"], "cell"),
    (["{adir}"], "{adir}"),
    (["{under}"], "{under}"),
    # the network from the graph database (--sample without NETWORK): options checked first
    (["--method", "exact"], "--sample SAMPLE"),
    (["{net}", "--max-energy", "1"], "--max-energy"),
    (["{net}", "--name", "x"], "--name"),
    (["{net}", "--data-dir", "{adir}"], "--data-dir"),
    (["--sample", "a-Ta2O5-1a", "--max-energy", "nan"], "--max-energy nan"),
    (["--sample", "a-Ta2O5-1a", "--max-energy", "-0.1"], "--max-energy -0.1"),
    (["--sample", "a-Ta2O5-1a", "--max-energy", "inf"], "--max-energy inf"),
    (["--sample", "a-Ta2O5-1a", "--name", "a/b"], "'a/b'"),
    (["--sample", "a-Ta2O5-1a", "--name", " "], "--name"),
]


@pytest.mark.parametrize(
    ("argv", "expected"), KINETICS_CASES, ids=[" ".join(a)[:60] for a, _ in KINETICS_CASES]
)
def test_kinetics_bad_input_is_one_line_and_writes_nothing(
    capsys, tmp_path, kin_files, argv, expected
):
    argv = ["kinetics", *(_fill(a, kin_files) for a in argv)]
    expected = _fill(expected, kin_files)
    before = _snapshot(tmp_path)
    code, out, err = _run(capsys, argv)
    _assert_one_line_refusal(code, err, expected)
    assert out == ""  # refused before any work: no table, no progress
    assert _snapshot(tmp_path) == before


def test_kinetics_model_host_must_be_the_network_sample(capsys, tmp_path, kin_files):
    """Another host gave the members' Eₐ of an unrelated landscape (−4.8 eV) with exit 0."""
    code, _, err = _run(
        capsys,
        ["kinetics", kin_files["net"], "--model", kin_files["model"], "--sample", "a-Ta2O5-3"],
    )
    _assert_one_line_refusal(code, err, "'a-Ta2O5-3'")
    assert "'a-Ta2O5-1a'" in err  # both named
    assert "no-model" not in err  # refused before the model is read
    # a structure file of the same sample id but another cell: refused on the cell
    from ase.io import write

    from landscape.samples import load_sample

    host = load_sample("a-Ta2O5-1a")
    length = float(host.cell[0, 0])
    host.set_cell(host.cell.array * 1.001, scale_atoms=True)
    write(tmp_path / "a-Ta2O5-1a.extxyz", host)
    before = _snapshot(tmp_path)
    code, _, err = _run(
        capsys,
        ["kinetics", kin_files["net"], "--model", kin_files["model"]]
        + ["--sample", str(tmp_path / "a-Ta2O5-1a.extxyz")],
    )
    _assert_one_line_refusal(code, err, "differs from the cell")
    assert str(round(length * 1.001, 6)) in err and str(round(length, 6)) in err  # both cells
    assert _snapshot(tmp_path) == before


def _dimer_lattice(sample_id: str) -> nx.MultiDiGraph:
    """A 3x3x3 lattice (0.5 eV barriers) whose bond 0 -> 9 has a 0.2 eV saddle: cut at 0.3 eV
    (relative to its lowest site) it keeps two hops that wrap nothing."""
    G = cubic_lattice_network(3, sample_id=sample_id)
    for u, v, d in G.edges(data=True):
        if {u, v} == {0, 9} and not any(d["shift"]):
            d["barrier"] = 0.2
    return G


@pytest.fixture
def kin_db(tmp_path, graph_data_dir, graph_store, new_sample_id, monkeypatch):
    """Stored samples for ``kinetics --sample``: {sid} (2x2x2 lattice, 0.5 eV barriers),
    {bare} (no network), {dimer} (:func:`_dimer_lattice`); the working folder is tmp_path."""
    monkeypatch.chdir(tmp_path)
    names = {"sid": new_sample_id("lattice"), "bare": new_sample_id("bare")}
    names["dimer"] = new_sample_id("dimer")
    graph_store.upsert_network(cubic_lattice_network(2, sample_id=names["sid"]))
    graph_store.upsert_sample(names["bare"], material="TaOx")
    graph_store.upsert_network(_dimer_lattice(names["dimer"]))
    names["model"] = str(tmp_path / "no-model")
    tail = [] if graph_data_dir is None else ["--data-dir", str(graph_data_dir)]
    return names, tail


#: (argv after ``kinetics``, text the one line must contain) of a network read from the
#: database; ``{name}`` from ``kin_db``.
KINETICS_DB_CASES: list[tuple[list[str], str]] = [
    (["--sample", "no-such-sample-{sid}"], "no-such-sample-"),
    (["--sample", INJECTION], INJECTION),
    (["--sample", "{bare}"], "no hop network"),
    (["--sample", "{sid}", "--max-energy", "0.4"], "keeps no hop"),
    (["--sample", "{dimer}", "--max-energy", "0.3"], "2 hops that wrap no cell direction"),
    (["--sample", "{dimer}", "--max-energy", "0.3"], "percolation barrier, 0.5000 eV"),
    # refused after reading the network, before the kinetics: still nothing stored
    (["--sample", "{sid}", "--model", "{model}"], "{sid}"),
    (["--sample", "{sid}", "--method", "exact", "-T", "1", "2"], "at 1 K"),
]


@pytest.mark.service
@pytest.mark.parametrize(
    ("argv", "expected"), KINETICS_DB_CASES, ids=[" ".join(a)[:60] for a, _ in KINETICS_DB_CASES]
)
def test_kinetics_from_the_database_bad_input_stores_nothing(
    capsys, tmp_path, graph_store, kin_db, argv, expected
):
    names, tail = kin_db
    argv = ["kinetics", *(_fill(a, names) for a in argv), *tail]
    expected = _fill(expected, names)
    before, counts = _snapshot(tmp_path), graph_store.counts()
    code, out, err = _run(capsys, argv)
    _assert_one_line_refusal(code, err, expected)
    assert out == ""
    assert _snapshot(tmp_path) == before
    assert graph_store.counts() == counts  # no Kinetics node, nothing else touched


def test_kinetics_from_the_database_needs_a_running_one(capsys, tmp_path, monkeypatch):
    """``kinetics --sample`` with no server for the data folder: one line, no server started."""
    monkeypatch.delenv("LANDSCAPE_NEO4J_URI", raising=False)
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "data"
    code, _, err = _run(capsys, ["kinetics", "--sample", "a", "--data-dir", data])
    _assert_one_line_refusal(code, err, "no graph database is running")
    assert str(data.resolve()) in err
    assert _snapshot(tmp_path) == {}


# --------------------------------------------------------------------------------------------
# counts: hops = directed edges, pairs = undirected site pairs, the same everywhere
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("G", "hops", "pairs"),
    [
        (cubic_lattice_network(1), 6, 3),  # hops to its own images: i -> i, shift s and -s
        (cubic_lattice_network(2), 48, 24),  # i -> j and j -> i across the boundary: two pairs
        (cubic_lattice_network(3), 162, 81),
    ],
    ids=["n1", "n2", "n3"],
)
def test_hop_counts(G, hops, pairs):
    from landscape.graph.network import network_to_rows
    from landscape.kinetics.network import hop_arrays

    assert hop_counts(G) == {"hops": hops, "pairs": pairs}
    assert hop_counts(hop_arrays(G)) == {"hops": hops, "pairs": pairs}  # the vectorised count
    assert network_to_rows(G).sample["n_pairs"] == pairs  # what the store keeps
    H = G.copy()  # a hop without its reverse is a pair of its own
    u, v, k = next(iter(H.edges(keys=True)))
    H.remove_edge(u, v, k)
    assert hop_counts(H) == hop_counts(hop_arrays(H)) == {"hops": hops - 1, "pairs": pairs}
    H.add_edge(v, u, barrier=0.5, shift=[0, 0, 5])  # lands in another image: a new pair
    assert hop_counts(H) == hop_counts(hop_arrays(H)) == {"hops": hops, "pairs": pairs + 1}


@pytest.mark.service
def test_ingest_summary_export_and_compare_count_alike(
    capsys, tmp_path, graph_store, graph_data_dir, new_sample_id
):
    sid = new_sample_id("counts")
    G = random_network(60, max_distance=4.0, random_state=5, sample_id=sid)
    m = G.number_of_edges()
    assert m > 0 and m % 2 == 0
    tail = [] if graph_data_dir is None else ["--data-dir", str(graph_data_dir)]
    code, out, err = _run(capsys, ["db", "ingest", _write(G, tmp_path / "g.json"), *tail])
    assert code == 0, err
    assert f"{sid}: 60 sites, {m} hops ({m // 2} pairs) written" in out
    code, out, err = _run(
        capsys, ["db", "query", "sample_summary", f"sample_id={sid}", "--json", *tail]
    )
    assert code == 0, err
    (row,) = json.loads(out)
    assert (row["n_sites"], row["n_hops"], row["n_pairs"]) == (60, m, m // 2)
    (cmp,) = graph_store.query("compare_samples", sample_ids=[sid])
    assert (cmp["n_hops"], cmp["n_pairs"]) == (m, m // 2)
    code, out, err = _run(capsys, ["db", "export", sid, "-o", tmp_path / "e.json", *tail])
    assert code == 0, err
    assert f"{sid}: 60 sites, {m} hops ({m // 2} pairs) written to" in out
