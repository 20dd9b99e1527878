"""The ``landscape`` command line.

The CLI only parses arguments and calls the library. Each command group lives in its own module
under :mod:`landscape._cli` and exposes ``register(app)``; this module collects them. Errors that
landscape raises on purpose (:class:`~landscape.errors.LandscapeError`) are printed as one line on
stderr and exit with status 2, without a traceback.
"""

from __future__ import annotations

import importlib
import sys

import typer

from .errors import LandscapeError

app = typer.Typer(
    name="landscape",
    help="Diffusion landscapes of a mobile atom in amorphous hosts (simplified NNP, NEB, KMC).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """Diffusion landscapes of a mobile atom in amorphous hosts (simplified NNP, NEB, KMC)."""


#: Modules under landscape._cli that add commands; each defines ``register(app: typer.Typer)``.
_COMMAND_MODULES: list[str] = [
    "version",
    "db",
    "study",
    "sample",
    "reference",
    "kinetics",
    "nnp",
    "explore",
]


def _register_all() -> None:
    for name in _COMMAND_MODULES:
        module = importlib.import_module(f"landscape._cli.{name}")
        module.register(app)


_register_all()


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``landscape`` script: run the app, turn LandscapeError into exit 2."""
    try:
        app(args=argv, prog_name="landscape")
    except LandscapeError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
