"""``landscape init STUDY.toml --host FILE --species X --calculator NAME``: a complete study file
whose host-dependent settings scale with the host and the mobile species."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .options import CalculatorKwargsOption

#: Top-level command, merged into the root by ``add_typer`` without a name.
app = typer.Typer()


def _check_study_file(study_file: Path, force: bool) -> None:
    """Refuse a study file that exists (without ``--force``), is a folder or cannot be written."""
    from .._paths import check_writable
    from ..errors import InputError

    if study_file.is_dir():
        raise InputError(f"STUDY.toml {str(study_file)!r} is a folder; expected a file path")
    if study_file.exists() and not force:
        raise InputError(
            f"STUDY.toml {str(study_file)!r} exists; expected a new file (--force overwrites it)"
        )
    check_writable(study_file, "STUDY.toml")


def _sample_source(host: str, study_file: Path) -> str:
    """``samples.source``: a bundled sample's name, else the host's path relative to the study
    file's folder."""
    import os

    from ..samples import bundled_samples

    if host in bundled_samples():
        return host
    return os.path.relpath(Path(host).resolve(), study_file.resolve().parent)


def _write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and :func:`os.replace`: a reader never
    sees half a file."""
    import os

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


@app.command("init")
def init(
    study_file: Annotated[Path, typer.Argument(help="Study file (TOML) to write.")],
    host: Annotated[
        str, typer.Option("--host", help="Host: a periodic structure file or a bundled sample.")
    ],
    species: Annotated[str, typer.Option("--species", help="Mobile species, e.g. H or Cu.")],
    calculator: Annotated[
        str,
        typer.Option(
            "--calculator",
            help="Reference calculator: chgnet, sevennet, cp2k or module:Class (any ASE one).",
        ),
    ],
    calculator_kwargs: CalculatorKwargsOption = "",
    points: Annotated[
        int | None,
        typer.Option(
            "--points",
            help="Reference points per sample (default: 0.25 per Å³ of host, at least 200).",
        ),
    ] = None,
    name: Annotated[
        str, typer.Option("--name", help="Study name (default: '<species> in <sample>').")
    ] = "",
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an existing STUDY.toml.")
    ] = False,
) -> None:
    """Write a complete study file for your host and mobile species, with scaled defaults."""
    from .._checks import check_number, check_species
    from ..calculators import check_calculator_name, parse_calculator_kwargs
    from ..samples import load_sample
    from ..study.scaffold import scaffold_study

    check_species(species, "--species")
    check_calculator_name(calculator, "--calculator")
    kwargs = parse_calculator_kwargs(calculator_kwargs)
    check_number(points, "--points", ge=1, optional=True)
    _check_study_file(study_file, force)
    atoms = load_sample(host)  # the checks of `landscape sample info`
    scaffold = scaffold_study(
        study_file,
        atoms,
        _sample_source(host, study_file),
        species,
        calculator,
        kwargs,
        points=points,
        name=name,
    )
    _write_text(study_file, scaffold.text)
    typer.echo(f"settings derived from {host} for {species}:")
    for line in scaffold.derived:
        typer.echo(f"  {line}")
    typer.echo(f"wrote {study_file}")
    typer.echo(f"next: landscape study {study_file}")
