"""The ``landscape sample`` and ``landscape reference`` commands alone (same code as the CLI).

Used on machines where other command groups' dependencies are missing:
``python scripts/lcli.py reference run ...`` is ``landscape reference run ...``.
"""

from __future__ import annotations

import sys

import typer

from landscape._cli import reference, sample
from landscape.errors import LandscapeError

app = typer.Typer(name="landscape", no_args_is_help=True, pretty_exceptions_enable=False)
app.add_typer(sample.app, name="sample")
app.add_typer(reference.app, name="reference")

if __name__ == "__main__":
    try:
        app(prog_name="landscape")
    except LandscapeError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
