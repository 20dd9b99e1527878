"""``landscape db show S --out FILE.html [--host FILE]``: the stored hop network of a sample in 3D.

Registered on the ``db`` group by :mod:`landscape._cli.db`. The page is one self-contained HTML
file (plotly.js inlined, ~4.8 MB) that loads nothing from the network
(:func:`landscape.graph.view.stored_network_view`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import InputError, StoreError
from .options import DataDirOption

__all__ = ["show"]


def _reading_store(data_dir: Path | None):
    """The store of a server that already runs (``db show`` only reads: it starts none)."""
    from ..config import neo4j_from_env
    from ..graph import embedded, open_store

    if neo4j_from_env() is None and embedded.status(data_dir) is None:
        folder = embedded.graphdb_dir(data_dir).parent
        hint = f" --data-dir {folder}" if data_dir is not None else ""
        raise StoreError(
            f"no graph database is running for data folder {str(folder)!r}; start it with "
            f"'landscape db start{hint}'"
        )
    return open_store(data_dir=data_dir)


def show(
    sample: Annotated[
        str, typer.Argument(help="Sample id (see `landscape db query list_samples`).")
    ],
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="HTML file to write (self-contained, works offline)."),
    ],
    host: Annotated[
        str | None,
        typer.Option(
            "--host",
            help="Host structure: a bundled sample name or a structure file (default: the bundled "
            "sample of that name, else the file the sample was stored from).",
        ),
    ] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Write an interactive 3D view of a stored hop network: host atoms, sites by energy (eV),
    hops by barrier (eV), values on hover."""
    from .._paths import check_writable
    from ..graph.view import stored_network_view
    from ..samples import load_sample

    out = check_writable(out, "--out")  # before reading anything
    atoms = None
    if host is not None:
        if not host.strip():
            raise InputError("--host is empty; expected a bundled sample name or a structure file")
        try:
            atoms = load_sample(host)
        except InputError as exc:
            raise InputError(f"--host: {exc}") from None
    with _reading_store(data_dir) as st:
        fig = stored_network_view(st, sample, out, host=atoms)
    meta = fig.layout.meta
    typer.echo(
        f"{sample}: {meta['n_sites']} sites, {meta['n_hops']} hops ({meta['n_pairs']} pairs) on "
        f"host {meta['host']} written to {out} ({out.stat().st_size / 1e6:.1f} MB)"
    )
