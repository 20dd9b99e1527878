"""``landscape sample generate | anneal | info | list``: make and describe host samples."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import typer


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


def register(app: typer.Typer) -> None:
    sample_app = typer.Typer(
        help="Host samples: generate amorphous structures, describe them.", no_args_is_help=True
    )
    app.add_typer(sample_app, name="sample")

    @sample_app.command("generate")
    def generate(
        ctx: typer.Context,
        output: Path = typer.Argument(..., help="Output structure file (extxyz recommended)."),
        composition: str = typer.Option(
            "Ta28O70", "--composition", help="Formula of the cell, e.g. Ta28O70 (98 atoms)."
        ),
        density: float = typer.Option(7.75, "--density", help="Density, g/cm³."),
        seed: int = typer.Option(0, "--seed", help="Seed of every random draw."),
        t_melt: float = typer.Option(5000.0, "--t-melt", help="Melt temperature, K."),
        t_final: float = typer.Option(300.0, "--t-final", help="End of the quench, K."),
        melt_steps: int = typer.Option(2000, "--melt-steps", help="MD steps at T_melt."),
        quench_steps: int = typer.Option(4000, "--quench-steps", help="MD steps of the quench."),
        timestep: float = typer.Option(1.0, "--timestep", help="MD time step, fs."),
        calculator: str = typer.Option(
            "chgnet", "--calculator", help="Reference calculator for the relaxation, or 'none'."
        ),
        calculator_kwargs: str = typer.Option(
            "", "--calculator-kwargs", help="JSON keyword arguments of the calculator."
        ),
        fmax: float = typer.Option(0.05, "--fmax", help="Relaxation force criterion, eV/Å."),
        max_steps: int = typer.Option(1000, "--max-steps", help="Relaxation step limit."),
        sample_id: str = typer.Option("", "--sample-id", help="Sample id (default: file stem)."),
    ) -> None:
        """Melt-quench an amorphous sample and relax it with the reference calculator."""
        import ase.io
        from ase.formula import Formula

        from .._checks import check_species
        from ..calculators import parse_calculator_kwargs
        from ..errors import InputError
        from ..samples import generate_amorphous, sample_info

        try:
            comp = dict(Formula(composition).count())
        except ValueError:
            raise InputError(f"composition {composition!r} is not a chemical formula") from None
        for symbol in comp:
            check_species(symbol, f"--composition {composition!r}: element")
        if not sum(comp.values()):
            raise InputError(f"--composition {composition!r} has no atoms; expected e.g. Ta28O70")
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
            calculator=None if calculator.lower() == "none" else calculator,
            calculator_kwargs=kwargs,
            fmax=fmax,
            max_steps=max_steps,
            sample_id=sample_id or output.stem,
            command=_command_line(ctx),
            progress=True,
        )
        output.parent.mkdir(parents=True, exist_ok=True)
        ase.io.write(str(output), atoms, format="extxyz")
        typer.echo(json.dumps(sample_info(atoms).summary(), indent=1))

    @sample_app.command("anneal")
    def anneal(
        ctx: typer.Context,
        source: str = typer.Argument(..., help="Bundled sample name or structure file."),
        output: Path = typer.Argument(..., help="Output structure file (extxyz recommended)."),
        t_anneal: float = typer.Option(1500.0, "--t-anneal", help="Annealing temperature, K."),
        t_final: float = typer.Option(300.0, "--t-final", help="End of the cooling ramp, K."),
        anneal_steps: int = typer.Option(2000, "--anneal-steps", help="MD steps at T_anneal."),
        cool_steps: int = typer.Option(2000, "--cool-steps", help="MD steps of the cooling."),
        timestep: float = typer.Option(2.0, "--timestep", help="MD time step, fs."),
        seed: int = typer.Option(0, "--seed", help="Seed of the velocities and thermostat."),
        calculator: str = typer.Option("chgnet", "--calculator", help="Reference calculator."),
        calculator_kwargs: str = typer.Option(
            "", "--calculator-kwargs", help="JSON keyword arguments of the calculator."
        ),
        fmax: float = typer.Option(0.05, "--fmax", help="Relaxation force criterion, eV/Å."),
        max_steps: int = typer.Option(1000, "--max-steps", help="Relaxation step limit."),
        sample_id: str = typer.Option("", "--sample-id", help="New sample id (default: keep)."),
    ) -> None:
        """Anneal a sample by MD with the reference calculator, cool it and relax it."""
        import ase.io

        from ..calculators import parse_calculator_kwargs
        from ..samples import anneal_sample, load_sample, sample_info

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
        output.parent.mkdir(parents=True, exist_ok=True)
        ase.io.write(str(output), atoms, format="extxyz")
        typer.echo(json.dumps(sample_info(atoms).summary(), indent=1))

    @sample_app.command("info")
    def info(
        sample: str = typer.Argument(..., help="Bundled sample name or structure file."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Density, first RDF peaks, coordination numbers, generation and anneal parameters."""
        import numpy as np

        from ..samples import load_sample, sample_info

        atoms = load_sample(sample)
        s = sample_info(atoms)
        summary = s.summary()

        def plain(v):  # numpy scalars (as ASE reads them) as JSON numbers, not strings
            return v.item() if isinstance(v, np.generic) else v

        summary["generation"] = {
            k: plain(v) for k, v in s.metadata.items() if k.startswith("gen_") or k == "energy_eV"
        }
        # an annealed sample's provenance (landscape sample anneal): steps, temperatures, calculator
        anneal = {k: plain(v) for k, v in s.metadata.items() if k.startswith("anneal_")}
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

    @sample_app.command("list")
    def list_() -> None:
        """Names of the bundled samples."""
        from ..samples import bundled_samples

        for name in bundled_samples():
            typer.echo(name)
