"""Command groups of the ``landscape`` CLI, one module per group, all in one idiom.

Every module here defines a module-level ``app = typer.Typer(...)`` and its commands as
module-level functions decorated with ``@app.command("name")``; :mod:`landscape.cli` mounts them:

* a command group (``db``, ``sample``, ``reference``, ``nnp``) creates
  ``app = typer.Typer(help="...", no_args_is_help=True)`` and is mounted with
  ``root.add_typer(module.app, name="<group>")``;
* top-level commands (``version``, ``init``, ``study``/``demo``, ``kinetics``,
  ``explore``/``validate-hops``)
  live on a bare ``app = typer.Typer()`` (no name, no help, no callback) mounted with
  ``root.add_typer(module.app)``, which merges its commands into the root.

Parameters use ``Annotated``: ``fmax: RelaxFmaxOption = DEFAULTS.host_fmax``. An option that
several commands share is a module-level ``Annotated[...]`` alias in :mod:`landscape._cli.options`;
one used by a single command is written inline, or as an alias at the top of its own module when
its declaration takes several lines and would push the command past 120 lines. A default with a
library or study-file counterpart comes from :data:`landscape.config.DEFAULTS`, and a help text
that states a default formats it from there. A command parses and checks its options, then calls
named helpers (module-level functions with docstrings) or the library; heavy imports stay inside
the functions so that ``landscape --help`` starts fast. No function exceeds 120 lines.
"""


def console():
    """A rich console for result tables: the terminal's width, or 160 columns when the output is a
    pipe or a file (rich would otherwise cut tables, sample names included, to 80 columns)."""
    from rich.console import Console

    out = Console()
    return out if out.is_terminal else Console(width=160)
