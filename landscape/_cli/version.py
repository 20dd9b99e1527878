"""``landscape version``: print the package version."""

from __future__ import annotations

import typer

#: Top-level command, merged into the root by ``add_typer`` without a name.
app = typer.Typer()


@app.command("version")
def version() -> None:
    """Print the installed version of landscape."""
    from .. import __version__

    typer.echo(__version__)
