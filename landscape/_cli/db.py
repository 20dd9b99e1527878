"""``landscape db start | stop | status``: the embedded graph database (or the Neo4j server in use).

Exit status: 0 on success (``status``: a database answers); 1 from ``status`` when no embedded
server runs; 2 with a one-line message on any error (cannot start, cannot reach Neo4j, ...).
"""

from __future__ import annotations

from pathlib import Path

import typer

db_app = typer.Typer(
    name="db",
    help="Start, stop or inspect the embedded graph database (ArcadeDB, Bolt on 127.0.0.1).",
    no_args_is_help=True,
)

_DATA = typer.Option(
    None,
    "--data-dir",
    help="Data folder (default: $LANDSCAPE_DATA or ./landscape-data).",
    file_okay=False,
)


def _describe(info) -> str:
    return (
        f"embedded graph database: {info.uri} (database {info.database!r}, user {info.user!r}, "
        f"pid {info.pid}); password in {info.password_file}; data in {info.data_dir}"
    )


def _neo4j_uri() -> str | None:
    from ..config import neo4j_from_env

    env = neo4j_from_env()
    return env[0] if env else None


@db_app.command("start")
def start(
    data_dir: Path | None = _DATA,
    timeout: float = typer.Option(120.0, help="Seconds to wait until Bolt accepts connections."),
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


@db_app.command("stop")
def stop(
    data_dir: Path | None = _DATA,
    timeout: float = typer.Option(60.0, help="Seconds to wait for a clean stop before killing it."),
) -> None:
    """Stop the embedded database cleanly (its data stays in the data folder)."""
    from ..graph import embedded

    info = embedded.stop(data_dir, timeout=timeout)
    if info is None:
        typer.echo(f"no embedded graph database runs for {embedded.graphdb_dir(data_dir).parent}")
    else:
        typer.echo(f"stopped the embedded graph database (pid {info.pid}) of {info.data_dir}")


@db_app.command("status")
def status(data_dir: Path | None = _DATA) -> None:
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
    typer.echo("running: " + _describe(info))


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
