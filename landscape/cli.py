"""The ``landscape`` command line.

The CLI only parses arguments and calls the library. Each command group lives in its own module
under :mod:`landscape._cli` and defines a module-level ``app``; this module mounts them (see
:mod:`landscape._cli` for the idiom). Errors that landscape raises on purpose
(:class:`~landscape.errors.LandscapeError`) are printed as one line on stderr and exit with
status 2, without a traceback.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
import typer.main

from ._cli import crosscheck, db, explore, init, kinetics, nnp, reference, sample, study, version
from .errors import LandscapeError

# the click that typer runs on (typer >= 0.24 vendors its own copy as typer._click)
_click_exc = sys.modules[typer.BadParameter.__module__]

app = typer.Typer(
    name="landscape",
    help="Diffusion landscapes of a mobile atom in amorphous hosts (simplified NNP, NEB, KMC).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _print_version(value: bool) -> None:
    """``--version``: print ``landscape VERSION`` and stop before any command runs."""
    if value:
        from . import __version__

        typer.echo(f"landscape {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """Diffusion landscapes of a mobile atom in amorphous hosts (simplified NNP, NEB, KMC)."""


# ``landscape --help`` lists the commands in this order; a Typer mounted without a name adds its
# commands to the root, one with a name is a command group.
app.add_typer(version.app)  # version
app.add_typer(init.app)  # init
app.add_typer(study.app)  # study, demo
app.add_typer(kinetics.app)  # kinetics
app.add_typer(explore.app)  # explore, validate-hops
app.add_typer(db.app, name="db")
app.add_typer(sample.app, name="sample")
reference.app.add_typer(crosscheck.app)  # reference crosscheck, crosscheck-summary
app.add_typer(reference.app, name="reference")
app.add_typer(nnp.app, name="nnp")


def _one_line(text: str) -> str:
    """``text`` folded onto one line (click and some libraries put newlines in messages)."""
    return " ".join(text.split())


def _usage_message(exc: Exception) -> str:
    """One line for a click usage error: where it happened, what was wrong, what was expected."""
    message = _one_line(exc.format_message())
    ctx = exc.ctx
    if ctx is not None and hasattr(ctx.command, "list_commands") and "No such command" in message:
        names = ", ".join(ctx.command.list_commands(ctx))
        unknown, _, hint = message.partition(". Did you mean")
        message = f"{unknown.rstrip('.')}; expected one of: {names}"
        if hint:
            message += f" (did you mean{hint.rstrip('?')}?)"
    cause = exc.__cause__  # typer's pydantic coercion: the message lacks the value given
    if isinstance(exc, _click_exc.BadParameter) and hasattr(cause, "errors"):
        try:
            given = cause.errors()[0]["input"]
        except (IndexError, KeyError, TypeError):
            given = None
        if given is not None and repr(given) not in message:
            message = f"{message.rstrip('.')}; got {given!r}"
    if ctx is not None and ctx.command_path:
        message = f"{ctx.command_path}: {message}"
    return message


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``landscape`` script: run the app; every error on purpose is one line.

    A :class:`LandscapeError` or a usage error (unknown command or option, a value of the wrong
    type, a missing argument) prints ``error: ...`` on one line of stderr and exits with status 2,
    instead of a traceback or click's usage box. It first sets glibc's malloc to keep the memory
    it frees (:func:`landscape._runtime.tune_malloc`; ``LANDSCAPE_MALLOC=default`` opts out).
    """
    from ._runtime import tune_malloc

    command = typer.main.get_command(app)
    try:
        tune_malloc()  # glibc keeps freed memory: 16 % less CPU on a landscape (see _runtime)
        code = command.main(args=argv, prog_name="landscape", standalone_mode=False)
    except _click_exc.UsageError as exc:  # BadParameter, NoSuchOption, MissingParameter, ...
        if type(exc).__name__ == "NoArgsIsHelpError":  # a group called bare: its help
            text = exc.format_message()  # the help (typer's rich help printed itself: "")
            if text.strip():
                typer.echo(text)
            sys.exit(2)
        typer.echo(f"error: {_usage_message(exc)}", err=True)
        sys.exit(2)
    except _click_exc.ClickException as exc:
        typer.echo(f"error: {_one_line(exc.format_message())}", err=True)
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(1)
    except LandscapeError as exc:
        typer.echo(f"error: {_one_line(str(exc))}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        code = 130
    if code == 130:  # click turns Ctrl-C into Exit(130)
        typer.echo("interrupted", err=True)
    # like click's standalone mode: always leave through SystemExit (0 on success)
    sys.exit(code if isinstance(code, int) and not isinstance(code, bool) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
