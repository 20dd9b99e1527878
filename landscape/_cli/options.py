"""Arguments and options that several ``landscape`` commands share, as ``Annotated`` aliases.

A command declares ``fmax: RelaxFmaxOption = DEFAULTS.host_fmax``: the alias carries the flag and
its help text, the command the default (read from :data:`landscape.config.DEFAULTS` where the
library has a counterpart). An alias exists only where the declaration (flag and help text) is the
same in every command that uses it; an option of one command is written inline there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

#: A host sample: a bundled sample name or a structure file (``sample anneal | info``,
#: ``reference run | info``).
SampleArgument = Annotated[str, typer.Argument(help="Bundled sample name or structure file.")]

#: The host of ``explore`` and ``validate-hops``: a bundled sample name or any file ASE reads.
StructureArgument = Annotated[
    str, typer.Argument(help="Bundled sample name or ASE-readable structure file.")
]

#: The trained NNP ensemble of ``explore`` and ``validate-hops`` (required).
ModelOption = Annotated[Path, typer.Option("--model", help="Trained SimplifiedNNP (MODEL[.json]).")]

#: Output structure file of ``sample generate | anneal``.
OutputArgument = Annotated[Path, typer.Argument(help="Output structure file (extxyz recommended).")]

#: JSON keyword arguments of the reference calculator of ``sample generate | anneal``.
CalculatorKwargsOption = Annotated[
    str, typer.Option("--calculator-kwargs", help="JSON keyword arguments of the calculator.")
]

#: Force criterion of the final relaxation of ``sample generate | anneal``, eV/Å.
RelaxFmaxOption = Annotated[float, typer.Option("--fmax", help="Relaxation force criterion, eV/Å.")]

#: Step limit of the final relaxation of ``sample generate | anneal``.
RelaxMaxStepsOption = Annotated[int, typer.Option("--max-steps", help="Relaxation step limit.")]

#: ``study`` and ``demo``: run without writing to the graph store.
NoStoreOption = Annotated[bool, typer.Option("--no-store", help="Do not write to the graph store.")]

#: ``study`` and ``demo``: no progress display.
QuietDisplayOption = Annotated[bool, typer.Option("--quiet", help="No progress display.")]

#: Data folder of the embedded graph database (every ``db`` command).
DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Data folder (default: $LANDSCAPE_DATA or ./landscape-data).",
        file_okay=False,
    ),
]

__all__ = [
    "CalculatorKwargsOption",
    "DataDirOption",
    "ModelOption",
    "NoStoreOption",
    "OutputArgument",
    "QuietDisplayOption",
    "RelaxFmaxOption",
    "RelaxMaxStepsOption",
    "SampleArgument",
    "StructureArgument",
]
