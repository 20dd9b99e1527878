"""``landscape sample generate | anneal | info | list``: make and describe host samples."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Annotated

import typer

from ..config import DEFAULTS
from .options import (
    CalculatorKwargsOption,
    OutputArgument,
    RelaxFmaxOption,
    RelaxMaxStepsOption,
    SampleArgument,
)

app = typer.Typer(
    help="Host samples: generate amorphous structures, describe them.", no_args_is_help=True
)

#: Step limit of the final relaxation of a generated or annealed sample (the whole cell relaxes,
#: so it gets more steps than the local relaxations of ``DEFAULTS.host_max_steps``).
_SAMPLE_MAX_STEPS = 1000


def _command_line(ctx: typer.Context) -> str:
    """The ``landscape sample COMMAND ...`` line of the running command, for provenance: its
    arguments, then every option (given or default) in the order the command declares them."""
    words: list[object] = ["landscape", "sample", ctx.info_name]
    for param in ctx.command.params:
        value = ctx.params[param.name]
        words += [value] if param.param_type_name == "argument" else [param.opts[0], value]
    return " ".join(shlex.quote(str(w)) for w in words)


def _check_options(output: Path, calculator: str, numbers: dict) -> None:
    """One-line InputError for a bad option of ``sample generate | anneal``, before any MD."""
    from .._checks import check_number
    from .._paths import check_writable
    from ..calculators import check_calculator_name

    for what, (value, bounds) in numbers.items():
        check_number(value, what, **bounds)
    if calculator.lower() != "none":
        check_calculator_name(calculator)
    check_writable(output, "OUTPUT")


def _composition(composition: str) -> dict[str, int]:
    """Atoms per element of the formula ``composition``; a one-line InputError when it is not a
    formula of known elements with at least one atom."""
    from ase.formula import Formula

    from .._checks import check_species
    from ..errors import InputError

    try:
        comp = dict(Formula(composition).count())
    except ValueError:
        raise InputError(f"composition {composition!r} is not a chemical formula") from None
    for symbol in comp:
        check_species(symbol, f"--composition {composition!r}: element")
    if not sum(comp.values()):
        raise InputError(f"--composition {composition!r} has no atoms; expected e.g. Ta28O70")
    return comp


def _write_sample(atoms, output: Path) -> None:
    """Write ``atoms`` to ``output`` (extxyz) and print the sample's summary as JSON."""
    import ase.io

    from ..samples import sample_info

    output.parent.mkdir(parents=True, exist_ok=True)
    ase.io.write(str(output), atoms, format="extxyz")
    typer.echo(json.dumps(sample_info(atoms).summary(), indent=1))


@app.command("generate")
def generate(
    ctx: typer.Context,
    output: OutputArgument,
    composition: Annotated[
        str, typer.Option("--composition", help="Formula of the cell, e.g. Ta28O70 (98 atoms).")
    ] = "Ta28O70",
    density: Annotated[float, typer.Option("--density", help="Density, g/cm³.")] = 7.75,
    seed: Annotated[int, typer.Option("--seed", help="Seed of every random draw.")] = 0,
    t_melt: Annotated[float, typer.Option("--t-melt", help="Melt temperature, K.")] = 5000.0,
    t_final: Annotated[float, typer.Option("--t-final", help="End of the quench, K.")] = 300.0,
    melt_steps: Annotated[int, typer.Option("--melt-steps", help="MD steps at T_melt.")] = 2000,
    quench_steps: Annotated[
        int, typer.Option("--quench-steps", help="MD steps of the quench.")
    ] = 4000,
    timestep: Annotated[float, typer.Option("--timestep", help="MD time step, fs.")] = 1.0,
    md_calculator: Annotated[
        str,
        typer.Option(
            "--md-calculator",
            help="Calculator of the melt-quench MD: 'pair' (the Ta-O pair potential) or a "
            "calculator name, e.g. ase.calculators.emt:EMT for Pd-Ni.",
        ),
    ] = "pair",
    md_calculator_kwargs: Annotated[
        str,
        typer.Option("--md-calculator-kwargs", help="JSON keyword arguments of the MD calculator."),
    ] = "",
    calculator: Annotated[
        str,
        typer.Option("--calculator", help="Reference calculator for the relaxation, or 'none'."),
    ] = "chgnet",
    calculator_kwargs: CalculatorKwargsOption = "",
    fmax: RelaxFmaxOption = DEFAULTS.host_fmax,
    max_steps: RelaxMaxStepsOption = _SAMPLE_MAX_STEPS,
    sample_id: Annotated[
        str, typer.Option("--sample-id", help="Sample id (default: file stem).")
    ] = "",
) -> None:
    """Melt-quench an amorphous sample and relax it with the reference calculator."""
    from ..calculators import parse_calculator_kwargs
    from ..samples import check_md_calculator, generate_amorphous

    comp = _composition(composition)
    md_kwargs = parse_calculator_kwargs(md_calculator_kwargs)
    check_md_calculator(md_calculator, comp, "--md-calculator", md_kwargs)
    _check_options(
        output,
        calculator,
        {
            "--density": (density, {"gt": 0, "unit": "g/cm³"}),
            "--seed": (seed, {"ge": 0}),
            "--t-melt": (t_melt, {"gt": 0, "unit": "K"}),
            "--t-final": (t_final, {"gt": 0, "unit": "K"}),
            "--melt-steps": (melt_steps, {"ge": 0}),
            "--quench-steps": (quench_steps, {"ge": 0}),
            "--timestep": (timestep, {"gt": 0, "unit": "fs"}),
            "--fmax": (fmax, {"gt": 0, "unit": "eV/Å"}),
            "--max-steps": (max_steps, {"ge": 0}),
        },
    )
    kwargs = parse_calculator_kwargs(calculator_kwargs)
    atoms = generate_amorphous(
        comp,
        density=density,
        seed=seed,
        t_melt=t_melt,
        t_final=t_final,
        melt_steps=melt_steps,
        quench_steps=quench_steps,
        timestep=timestep,
        md_calculator=md_calculator,
        md_calculator_kwargs=md_kwargs,
        calculator=None if calculator.lower() == "none" else calculator,
        calculator_kwargs=kwargs,
        fmax=fmax,
        max_steps=max_steps,
        sample_id=sample_id or output.stem,
        command=_command_line(ctx),
        progress=True,
    )
    _write_sample(atoms, output)


@app.command("anneal")
def anneal(
    ctx: typer.Context,
    source: SampleArgument,
    output: OutputArgument,
    t_anneal: Annotated[
        float, typer.Option("--t-anneal", help="Annealing temperature, K.")
    ] = 1500.0,
    t_final: Annotated[
        float, typer.Option("--t-final", help="End of the cooling ramp, K.")
    ] = 300.0,
    anneal_steps: Annotated[
        int, typer.Option("--anneal-steps", help="MD steps at T_anneal.")
    ] = 2000,
    cool_steps: Annotated[
        int, typer.Option("--cool-steps", help="MD steps of the cooling.")
    ] = 2000,
    timestep: Annotated[float, typer.Option("--timestep", help="MD time step, fs.")] = 2.0,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the velocities and thermostat.")] = 0,
    calculator: Annotated[
        str, typer.Option("--calculator", help="Reference calculator.")
    ] = "chgnet",
    calculator_kwargs: CalculatorKwargsOption = "",
    fmax: RelaxFmaxOption = DEFAULTS.host_fmax,
    max_steps: RelaxMaxStepsOption = _SAMPLE_MAX_STEPS,
    sample_id: Annotated[
        str, typer.Option("--sample-id", help="New sample id (default: keep).")
    ] = "",
) -> None:
    """Anneal a sample by MD with the reference calculator, cool it and relax it."""
    from ..calculators import parse_calculator_kwargs
    from ..samples import anneal_sample, load_sample

    _check_options(
        output,
        calculator,
        {
            "--t-anneal": (t_anneal, {"gt": 0, "unit": "K"}),
            "--t-final": (t_final, {"gt": 0, "unit": "K"}),
            "--anneal-steps": (anneal_steps, {"ge": 0}),
            "--cool-steps": (cool_steps, {"ge": 0}),
            "--timestep": (timestep, {"gt": 0, "unit": "fs"}),
            "--seed": (seed, {"ge": 0}),
            "--fmax": (fmax, {"gt": 0, "unit": "eV/Å"}),
            "--max-steps": (max_steps, {"ge": 0}),
        },
    )
    kwargs = parse_calculator_kwargs(calculator_kwargs)
    atoms = anneal_sample(
        load_sample(source),
        calculator=calculator,
        calculator_kwargs=kwargs,
        t_anneal=t_anneal,
        t_final=t_final,
        anneal_steps=anneal_steps,
        cool_steps=cool_steps,
        timestep=timestep,
        seed=seed,
        fmax=fmax,
        max_steps=max_steps,
        sample_id=sample_id or None,
        command=_command_line(ctx),
        progress=True,
    )
    _write_sample(atoms, output)


@app.command("info")
def info(
    sample: SampleArgument,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Density, first RDF peaks, coordination numbers, generation and anneal parameters."""
    from ..samples import load_sample, sample_info

    s = sample_info(load_sample(sample))
    summary = s.summary()
    summary["generation"] = {
        k: _plain(v) for k, v in s.metadata.items() if k.startswith("gen_") or k == "energy_eV"
    }
    # an annealed sample's provenance (landscape sample anneal): steps, temperatures, calculator
    anneal = {k: _plain(v) for k, v in s.metadata.items() if k.startswith("anneal_")}
    if anneal:
        summary["anneal"] = anneal
    if as_json:
        typer.echo(json.dumps(summary, indent=1, default=str))
        return
    typer.echo(f"sample {s.sample_id}: {s.formula}, {s.n_atoms} atoms")
    typer.echo(f"  volume {s.volume:.2f} Å^3, density {s.density:.3f} g/cm^3")
    for key in s.rdf_peak:
        typer.echo(
            f"  {key}: first RDF peak {s.rdf_peak[key]:.3f} Å, coordination "
            f"{s.coordination[key]:.2f} (cutoff {s.cutoffs[key]:.2f} Å), "
            f"shortest {s.min_distance[key]:.3f} Å"
        )
    for k, v in summary["generation"].items():
        typer.echo(f"  {k}: {v}")
    for k, v in summary.get("anneal", {}).items():
        typer.echo(f"  {k}: {v}")


def _plain(value):
    """A numpy scalar (as ASE reads metadata) as the Python number JSON writes, not a string."""
    import numpy as np

    return value.item() if isinstance(value, np.generic) else value


@app.command("list")
def list_() -> None:
    """Names of the bundled samples."""
    from ..samples import bundled_samples

    for name in bundled_samples():
        typer.echo(name)
