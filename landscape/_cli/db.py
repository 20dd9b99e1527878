"""``landscape db ...``: the embedded graph database (or the Neo4j server in use) and what it holds.

``start | stop | status`` run the server; ``queries`` lists the named Cypher queries, ``query`` runs a
read query, ``compare`` prints one row per sample (its network and its stored kinetics), ``show``
writes an interactive 3D view of a sample's network (self-contained HTML), ``ingest`` writes hop
networks (node-link JSON), ``export`` reads one back, ``delete`` removes a sample. With
``LANDSCAPE_NEO4J_URI`` set they use that Neo4j server instead.

Exit status: 0 on success (``status``: a database answers); 1 from ``status`` when no embedded
server runs; 2 with a one-line message on any error (cannot start, cannot reach Neo4j, an unknown
query or sample, a malformed parameter or network, ...).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import InputError, LandscapeError, StoreError
from .options import DataDirOption

app = typer.Typer(
    name="db",
    help="The graph database (embedded ArcadeDB on 127.0.0.1, or LANDSCAPE_NEO4J_URI): run it, "
    "query it, write and read hop networks.",
    no_args_is_help=True,
)


def _describe(info) -> str:
    """One line on a running embedded server: URI, database, user, pid, password file, data."""
    return (
        f"embedded graph database: {info.uri} (database {info.database!r}, user {info.user!r}, "
        f"pid {info.pid}); password in {info.password_file}; data in {info.data_dir}"
    )


def _neo4j_uri() -> str | None:
    """The URI of ``LANDSCAPE_NEO4J_URI``, or None when the embedded database is in use."""
    from ..config import neo4j_from_env

    env = neo4j_from_env()
    return env[0] if env else None


@app.command("start")
def start(
    data_dir: DataDirOption = None,
    timeout: Annotated[
        float, typer.Option(help="Seconds to wait until Bolt accepts connections.")
    ] = 120.0,
) -> None:
    """Start the embedded database (or report the one already running), then return."""
    uri = _neo4j_uri()
    if uri:
        from ..graph import open_store

        with open_store() as st:
            typer.echo(
                f"LANDSCAPE_NEO4J_URI is set: using {st.server_agent} at {uri}; nothing to start"
            )
        return
    from ..graph import embedded

    info = embedded.start(data_dir, timeout=timeout)
    typer.echo(("already running: " if info.reused else "started: ") + _describe(info))


@app.command("stop")
def stop(
    data_dir: DataDirOption = None,
    timeout: Annotated[
        float, typer.Option(help="Seconds to wait for a clean stop before killing it.")
    ] = 60.0,
) -> None:
    """Stop the embedded database cleanly (its data stays in the data folder)."""
    from ..graph import embedded

    info = embedded.stop(data_dir, timeout=timeout)
    if info is None:
        typer.echo(f"no embedded graph database runs for {embedded.graphdb_dir(data_dir).parent}")
    else:
        typer.echo(f"stopped the embedded graph database (pid {info.pid}) of {info.data_dir}")


@app.command("status")
def status(data_dir: DataDirOption = None) -> None:
    """Tell whether the database runs and where (exit 1 if no embedded server runs)."""
    uri = _neo4j_uri()
    if uri:
        from ..graph import open_store

        with open_store(schema=False) as st:
            c = st.counts()
            typer.echo(
                f"Neo4j server (LANDSCAPE_NEO4J_URI) {uri}: {st.server_agent}; "
                f"{c['samples']} samples, {c['sites']} sites, {c['hops']} hops"
            )
        return
    from ..graph import embedded

    info = embedded.status(data_dir)
    if info is None:
        typer.echo(f"not running (data folder {embedded.graphdb_dir(data_dir).parent})")
        raise typer.Exit(1)
    line = "running: " + _describe(info)
    try:
        from ..graph import open_store

        with open_store(data_dir=info.data_dir, schema=False) as st:
            c = st.counts()
        line += f"; {c['samples']} samples, {c['sites']} sites, {c['hops']} hops"
    except LandscapeError:  # the server runs; its contents are a bonus
        pass
    typer.echo(line)


def _store(data_dir: Path | None):
    """The graph store of ``data_dir`` (or of ``LANDSCAPE_NEO4J_URI``), started if need be."""
    from ..graph import open_store

    return open_store(data_dir=data_dir)


def _running_store(data_dir: Path | None):
    """The store of a server that already runs: reading commands do not start one silently.

    ``query``, ``export`` and ``delete`` read or remove what was stored, so with no embedded
    server running for the data folder they say so in one line (``db start`` starts it;
    ``db ingest`` starts one as it writes). A Neo4j server of ``LANDSCAPE_NEO4J_URI`` is
    simply connected to.
    """
    if _neo4j_uri() is None:
        from ..graph import embedded

        if embedded.status(data_dir) is None:
            folder = embedded.graphdb_dir(data_dir).parent
            hint = f" --data-dir {folder}" if data_dir is not None else ""
            raise StoreError(
                f"no graph database is running for data folder {str(folder)!r}; start it with "
                f"'landscape db start{hint}' (or write networks with 'landscape db ingest', "
                "which starts it)"
            )
    return _store(data_dir)


def running_store(data_dir: Path | None):
    """The store of the database that already runs for ``data_dir`` (or of
    ``LANDSCAPE_NEO4J_URI``), for commands outside ``db`` that read stored samples
    (``landscape kinetics --sample``): one line, and no server started, when none runs."""
    return _running_store(data_dir)


def _parse_value(query: str, param, text: str) -> Any:
    """A command-line value as the type the query's header declares for ``param``."""
    from ..graph.queries import with_article

    t = param.type
    bad = InputError(
        f"query {query!r}: parameter ${param.name} must be {with_article(t)}, got {text!r}"
        + (" (JSON)" if t in ("list", "map") else "")
    )
    if not text.strip():
        raise InputError(
            f"query {query!r}: parameter ${param.name} has an empty value ({param.name}=); "
            f"expected {with_article(t)}"
        )
    if t == "string":
        return text
    if t == "integer":
        try:
            return int(text)
        except ValueError:
            raise bad from None
    if t in ("float", "number"):
        try:
            return float(text)
        except ValueError:
            raise bad from None
    if t == "boolean":
        low = text.strip().lower()
        if low in ("true", "1", "yes"):
            return True
        if low in ("false", "0", "no"):
            return False
        raise bad
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        if t == "string list":  # a,b,c
            return [x.strip() for x in text.split(",") if x.strip()]
        if t == "any":
            return text
        raise bad from None


def _cell(value: Any) -> str:
    """A query result value as a table cell: 6 significant digits, JSON, at most 60 characters."""
    if isinstance(value, float):
        return f"{value:.6g}"
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


@app.command("queries")
def queries() -> None:
    """List the named queries (cypher/*.cypher and those computed in Python): name, mode,
    parameters and purpose."""
    from rich.console import Console
    from rich.table import Table

    from ..graph.algorithms import all_query_names, named_query

    table = Table("query", "mode", "parameters", "purpose")
    for name in all_query_names():
        q = named_query(name)
        params = ", ".join(
            f"{p.name} ({p.type}{', optional' if p.optional else ''})" for p in q.params
        )
        table.add_row(name, q.mode, params or "-", q.purpose)
    Console().print(table)


@app.command("query")
def query(
    name: Annotated[str, typer.Argument(help="Named query (see `landscape db queries`).")],
    params: Annotated[
        list[str],
        typer.Argument(
            help="Parameters as NAME=VALUE, typed as the query's header says "
            "(lists and maps as JSON; a string list also as a,b,c).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the rows as a JSON list.")] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Run a read-only named query and print its rows (a table, or JSON with --json)."""
    from ..graph.algorithms import named_query

    q = named_query(name)
    if q.mode != "read":
        raise InputError(
            f"query {name!r} is a {q.mode} query; the command line runs read queries only "
            "(writes go through `landscape db ingest` or the Python API)"
        )
    declared = {p.name: p for p in q.params}
    bound: dict[str, Any] = {}
    for item in params or []:
        key, sep, text = item.partition("=")
        key = key.strip().lstrip("$")
        if not sep or not key:
            raise InputError(f"query {name!r}: parameters are NAME=VALUE, got {item!r}")
        if key not in declared:
            raise InputError(
                f"query {name!r}: unknown parameter {key!r}; it takes {sorted(declared) or 'none'}"
            )
        bound[key] = _parse_value(name, declared[key], text)
    q.bind(bound)  # missing or out-of-range parameters: one line, before connecting
    with _running_store(data_dir) as st:
        rows = st.query(name, **bound)
    if as_json:
        typer.echo(json.dumps(rows))
        return
    from rich.console import Console
    from rich.table import Table

    if not rows:
        typer.echo(f"{name}: no rows")
        return
    table = Table(*rows[0].keys())
    for row in rows:
        table.add_row(*(_cell(v) for v in row.values()))
    Console().print(table)


@app.command("compare")
def compare(
    samples: Annotated[
        list[str] | None,
        typer.Argument(help="Sample ids to compare (default: every stored sample)."),
    ] = None,
    name: Annotated[
        str,
        typer.Option(
            "--name",
            help="The Kinetics result shown for each sample: a study's model id (e.g. "
            "nnp-232765694bb3e645), 'default' (`landscape kinetics --sample`) or e.g. "
            "'below-0.8eV' (default: each sample's most recently written result).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the rows as a JSON list.")] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Compare the stored samples, one row each, from the database alone.

    Sites, directed hops, site pairs, the barriers' min / median / max (eV), and from the sample's
    Kinetics result --name (default: its most recently written one): Eₐ exact and KMC (eV), the percolation barrier (eV, relative to the
    lowest site) and D (cm²/s; exact where stored, else KMC) at 300 K if stored, else at the
    lowest stored temperature (K). A sample without that result shows blanks (null in --json).
    """
    with _running_store(data_dir) as st:
        rows = st.compare_samples(samples or None, name=name)
    if as_json:
        typer.echo(json.dumps(rows))
        return
    if not rows:
        typer.echo("compare: no samples stored")
        return
    _compare_table(rows, name)


def _compare_table(rows: list[dict], name: str | None) -> None:
    """Print the rows of :meth:`~landscape.graph.GraphStore.compare_samples` as a table (energies
    in eV, T in K, D in cm²/s; a dash where there is no value)."""
    from rich.table import Table

    from . import console as _console

    def f(v, spec=".3f"):
        return "—" if v is None else format(v, spec)

    def barriers(r):
        keys = ("barrier_min", "barrier_median", "barrier_max")
        return "—" if r["barrier_min"] is None else " / ".join(f(r[k]) for k in keys)

    cols = [
        ("sites", lambda r: f(r["n_sites"], "d")),
        ("hops", lambda r: f(r["n_hops"], "d")),
        ("pairs", lambda r: f(r["n_pairs"], "d")),
        ("barrier (eV)\nmin / median / max", barriers),
        ("Eₐ exact\n(eV)", lambda r: f(r["Ea_exact"])),
        ("Eₐ KMC\n(eV)", lambda r: f(r["Ea_kmc"])),
        ("percolation\nbarrier (eV)", lambda r: f(r["percolation_barrier"])),
        ("T (K)", lambda r: f(r["T_K"], "g")),
        ("D\n(cm²/s)", lambda r: f(r["D_cm2_s"], ".3e")),
    ]
    if any(r["max_energy"] is not None for r in rows):
        cols.insert(4, ("max energy\n(eV)", lambda r: f(r["max_energy"], "g")))
    if name is None:  # each sample's latest result: say which
        cols.insert(3, ("result", lambda r: r["result"] or "—"))
    what = "the latest of each sample" if name is None else repr(name)
    table = Table(title=f"Samples, Kinetics result {what}", title_justify="left")
    widest = max(len(r["sample_id"]) for r in rows)
    table.add_column("sample", min_width=min(widest, 32), overflow="fold")  # never cut
    for label, _ in cols:
        table.add_column(label, justify="right")
    for r in rows:
        table.add_row(r["sample_id"], *(cell(r) for _, cell in cols))
    console = _console()
    console.print(table)
    console.print(
        "D: exact where stored, else KMC, at 300 K if stored, else at the lowest stored "
        "temperature; — : no value (no such result, or no hops)"
    )
    from ..kinetics.distribution import describe_distribution, sample_distribution

    fields = {"Ea_exact": "Ea_exact", "Ea_kmc": "Ea_kmc", "percolation": "percolation_barrier"}
    labels = {"Ea_exact": "Eₐ exact", "Ea_kmc": "Eₐ KMC", "percolation": "percolation barrier"}
    spread = describe_distribution(sample_distribution(rows, fields), labels)
    if spread:  # two samples or more with a result: the material as a distribution
        console.print(spread, markup=False, highlight=False)


@app.command("ingest")
def ingest(
    networks: Annotated[
        list[Path],
        typer.Argument(
            help="Hop networks as node-link JSON (`landscape explore --out`, `db export`)."
        ),
    ],
    data_dir: DataDirOption = None,
) -> None:
    """Write hop networks into the graph, each sample's network replacing what it had stored.

    Every file is read and validated first, by the same contract as ``landscape kinetics``
    (:func:`~landscape.contracts.hop_arrays`: at least one hop, finite barriers >= 0 eV,
    ...); if one is malformed, none is written. Each network is then written in one transaction
    (all of it or nothing), idempotently. ``hops`` counts directed hops (one per direction),
    ``pairs`` the undirected site pairs.
    """
    from ..contracts import load_network
    from ..graph.network import network_to_rows

    checked = []  # (path, validated rows), written only once every file passed
    seen: dict[str, Path] = {}
    for path in networks:
        try:
            rows = network_to_rows(load_network(path))
        except InputError as exc:
            raise InputError(f"{path}: {exc}") from None
        if rows.sample_id in seen:
            raise InputError(
                f"{path} and {seen[rows.sample_id]} both hold sample {rows.sample_id!r}; "
                "give one of them"
            )
        seen[rows.sample_id] = path
        checked.append((path, rows))
    with _store(data_dir) as st:
        for path, rows in checked:
            out = st.upsert_network(rows)
            typer.echo(
                f"{rows.sample_id}: {out['sites']} sites, {out['hops']} hops "
                f"({rows.sample['n_pairs']} pairs) written from {path} "
                f"({out['stale_sites']} stale sites and {out['stale_hops']} stale hops removed)"
            )


@app.command("export")
def export(
    sample: Annotated[
        str, typer.Argument(help="Sample id (see `landscape db query list_samples`).")
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="JSON file to write (default: standard output)."),
    ] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Read a stored hop network back as node-link JSON (the input of `landscape kinetics`)."""
    from .._paths import check_writable
    from ..contracts import hop_counts, network_data, save_network

    if out is not None:
        out = check_writable(out, "db export --out")  # before reading the network
    with _running_store(data_dir) as st:
        G = st.hop_network(sample)
    if out is None:
        typer.echo(json.dumps(network_data(G)))
        return
    c = hop_counts(G)
    out = save_network(G, out)  # atomic: a reader never sees half a file
    typer.echo(
        f"{sample}: {G.number_of_nodes()} sites, {c['hops']} hops ({c['pairs']} pairs) "
        f"written to {out}"
    )


@app.command("delete")
def delete(
    sample: Annotated[
        str, typer.Argument(help="Sample id to delete with its sites, hops and results.")
    ],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Delete a sample with its sites, hops and results."""
    if not yes:
        typer.confirm(f"delete sample {sample!r} with its sites, hops and results?", abort=True)
    with _running_store(data_dir) as st:
        n = st.delete_sample(sample)
    typer.echo(f"deleted {sample}: " + ", ".join(f"{v} {k}" for k, v in n.items()))


from .db_show import show  # noqa: E402  (its own module; registered here)

app.command("show")(show)
