"""``landscape reference run | info | import | merge``: reference energies of a mobile atom."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from ..config import DEFAULTS
from .options import SampleArgument

app = typer.Typer(
    help="Reference energies: relax the host around an inserted mobile atom, resumably.",
    no_args_is_help=True,
)


def _check_run_options(
    *,
    db: Path,
    species: str,
    numbers: dict,
    calculator: str | None = None,
    optimizer: str | None = None,
) -> None:
    """One-line InputError for a bad option of ``reference run | import``, before any work."""
    from .._checks import check_choice, check_number, check_species
    from .._paths import check_writable

    check_species(species)
    for what, (value, bounds) in numbers.items():
        check_number(value, what, **bounds)
    if calculator is not None:
        from ..calculators import check_calculator_name

        check_calculator_name(calculator)
    if optimizer is not None:
        from ..reference.relax import OPTIMIZERS

        check_choice(optimizer.upper(), "--optimizer", OPTIMIZERS)
    check_writable(db, "--db")


def _parse_shard(shard: str | None) -> tuple[int, int] | None:
    """``(I, N)`` of ``--shard I/N`` (None when not given); a one-line InputError when malformed."""
    from ..errors import InputError

    if not shard:
        return None
    try:
        i, n = (int(x) for x in shard.split("/"))
    except ValueError:
        raise InputError(f"--shard {shard!r} must be I/N, e.g. 0/4") from None
    if not 0 <= i < n:
        raise InputError(f"--shard {shard!r}: expected 0 <= I < N")
    return i, n


def _stop_on_sigterm() -> None:
    """Make SIGTERM stop a run between two rows, like Ctrl-C (a KeyboardInterrupt)."""
    import signal

    def _stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)


def _summary_line(summary) -> str:
    """One line of what ``reference run`` did (a :class:`landscape.reference.RunSummary`)."""
    return (
        f"{summary.sample_id}: {summary.done} done, {summary.failed} failed, "
        f"{summary.skipped} already present of {summary.requested}; e_host {summary.e_host:.4f} eV; "
        f"{summary.seconds:.1f} s"
        + (
            f" ({summary.seconds_per_point:.2f} s per point)"
            if summary.done + summary.failed
            else ""
        )
    )


def _run_bounds(params: dict[str, Any]) -> dict[str, tuple[Any, dict[str, Any]]]:
    """The number options of ``reference run`` with their bounds, in the order they are checked
    (``params``: the command's parameters by name)."""
    return {
        "--points": (params["points"], {"ge": 1, "optional": True}),
        "--seed": (params["seed"], {"ge": 0}),
        "--workers": (params["workers"], {"ge": 1}),
        "--batch": (params["batch"], {"ge": 1}),
        "--fmax": (params["fmax"], {"gt": 0, "unit": "eV/Å"}),
        "--max-steps": (params["max_steps"], {"ge": 1}),
        "--relax-radius": (params["relax_radius"], {"gt": 0, "unit": "Å", "optional": True}),
        "--min-distance": (params["min_distance"], {"gt": 0, "unit": "Å", "optional": True}),
        "--time-limit": (params["time_limit"], {"gt": 0, "unit": "s", "optional": True}),
        "--gpu-memory-fraction": (
            params["gpu_memory_fraction"],
            {"gt": 0, "le": 1, "optional": True},
        ),
        "--first-id": (params["first_id"], {"ge": 0}),
    }


def _run_points(params: dict[str, Any], shard: tuple[int, int] | None):
    """Run the reference calculations of ``reference run`` (``params``: its checked parameters
    by name; ``shard``: the parsed ``--shard``) at ``--points`` random points or at the sites and
    saddles of ``--network``; returns the :class:`landscape.reference.RunSummary`."""
    from ..calculators import parse_calculator_kwargs
    from ..reference import (
        Execution,
        InsertionPoints,
        Relaxation,
        run_network_reference,
        run_reference,
    )

    p = params
    options = dict(
        species=p["species"],
        calculator=p["calculator"],
        calculator_kwargs=parse_calculator_kwargs(p["calculator_kwargs"]),
        relaxation=Relaxation(
            fmax=p["fmax"],
            max_steps=p["max_steps"],
            optimizer=p["optimizer"],
            relax_radius=p["relax_radius"],
        ),
        execution=Execution(
            workers=p["workers"],
            batch=p["batch"],
            scheduler=p["scheduler"],
            cluster=parse_calculator_kwargs(p["cluster"]) if p["cluster"] else None,
            gpu_memory_fraction=p["gpu_memory_fraction"],
            shard=shard,
            time_limit=p["time_limit"],
        ),
        retry_failed=p["retry_failed"],
        progress=True,
    )
    if p["network"] is not None:
        from ..samples import load_sample

        return run_network_reference(
            load_sample(p["sample"]),
            p["network"],
            p["db"],
            first_id=p["first_id"],
            seed=p["seed"],
            min_distance=p["min_distance"],
            **options,
        )
    min_distance = p["min_distance"]
    chosen = InsertionPoints(
        n_points=p["points"],
        seed=p["seed"],
        min_distance=DEFAULTS.min_insert_distance if min_distance is None else min_distance,
        first_id=p["first_id"],
    )
    return run_reference(p["sample"], p["db"], chosen, **options)


@app.command("run")
def run(
    ctx: typer.Context,  # ctx.params: every option below by its parameter name
    sample: SampleArgument,
    *,
    points: Annotated[
        int | None, typer.Option("--points", help="Number of random insertion points.")
    ] = None,
    network: Annotated[
        Path | None,
        typer.Option(
            "--network",
            help="Hop network JSON (landscape explore): its sites and saddle points instead of "
            "random points (origin 'network': trained on, never tested on).",
        ),
    ] = None,
    db: Annotated[Path, typer.Option("--db", help="ASE database to write (resumed if it exists).")],
    calculator: Annotated[
        str, typer.Option("--calculator", help="chgnet, sevennet, cp2k, or module:Class.")
    ] = "chgnet",
    calculator_kwargs: Annotated[
        str,
        typer.Option(
            "--calculator-kwargs", help='JSON keyword arguments, e.g. \'{"use_device": "cuda"}\'.'
        ),
    ] = "",
    species: Annotated[str, typer.Option("--species", help="Mobile species.")] = "Cu",
    seed: Annotated[int, typer.Option("--seed", help="Seed of the random points.")] = 0,
    workers: Annotated[int, typer.Option("--workers", help="Local worker processes.")] = 1,
    batch: Annotated[
        int,
        typer.Option(
            "--batch", help="Relaxations per worker sharing one batched model call (GPU)."
        ),
    ] = 1,
    fmax: Annotated[float, typer.Option("--fmax", help="Force criterion, eV/Å.")] = (
        DEFAULTS.host_fmax
    ),
    max_steps: Annotated[
        int, typer.Option("--max-steps", help="Step limit per relaxation.")
    ] = DEFAULTS.host_max_steps,
    relax_radius: Annotated[
        float | None,
        typer.Option("--relax-radius", help="Only host atoms within this distance move, Å."),
    ] = None,
    optimizer: Annotated[
        str, typer.Option("--optimizer", help="BFGS, LBFGS or FIRE.")
    ] = DEFAULTS.host_optimizer,
    min_distance: Annotated[
        float | None,
        typer.Option(
            "--min-distance",
            help="Minimum distance of a point to a host atom, Å (default "
            f"{DEFAULTS.min_insert_distance} for random points, {DEFAULTS.min_host_distance} "
            "for network points).",
        ),
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="Dask scheduler address (tcp://host:port).")
    ] = None,
    cluster: Annotated[
        str | None,
        typer.Option(
            "--cluster",
            help='dask-jobqueue cluster as JSON, e.g. \'{"type": "slurm", "jobs": 4, "cores": 8}\'.',
        ),
    ] = None,
    shard: Annotated[
        str | None, typer.Option("--shard", help="I/N: only points with id % N == I.")
    ] = None,
    time_limit: Annotated[
        float | None,
        typer.Option("--time-limit", help="Stop after this many seconds (resume later)."),
    ] = None,
    retry_failed: Annotated[
        bool,
        typer.Option(
            "--retry-failed", help="Compute failed points again (their rows are replaced)."
        ),
    ] = False,
    gpu_memory_fraction: Annotated[
        float | None,
        typer.Option("--gpu-memory-fraction", help="GPU memory cap per worker process (0-1)."),
    ] = None,
    first_id: Annotated[
        int,
        typer.Option(
            "--first-id", help="point_id of the first point (several point sets in one db)."
        ),
    ] = 0,
) -> None:
    """Insert the mobile atom at random points (or at a hop network's sites and saddles) and
    store relaxed energies, one row per point."""
    from ..errors import InputError

    _stop_on_sigterm()
    shard_t = _parse_shard(shard)
    if (points is None) == (network is None):
        raise InputError("give exactly one of --points N or --network FILE")
    _check_run_options(
        db=db,
        calculator=calculator,
        species=species,
        optimizer=optimizer,
        numbers=_run_bounds(ctx.params),
    )
    if network is not None and not network.is_file():
        raise InputError(f"--network {str(network)!r} does not exist; expected a hop network JSON")
    typer.echo(_summary_line(_run_points(ctx.params, shard_t)))


def _echo_samples(data: dict[str, Any]) -> None:
    """Print the per-sample lines of ``reference info`` (counts, energies, timing, host
    displacements, settings)."""
    from ..reference.importer import REARRANGED_A

    for sid, d in sorted(data["samples"].items()):
        typer.echo(
            f"{sid}: {d.get('points', 0)} points ({d.get('ok', 0)} ok, "
            f"{d.get('failed', 0)} failed, {d.get('converged', 0)} converged)"
            + (
                "; by origin: " + ", ".join(f"{k} {v}" for k, v in d["origins"].items())
                if d.get("origins")
                else ""
            )
        )
        if "e_host" in d:
            typer.echo(f"  e_host {d['e_host']:.4f} eV  calculator: {d.get('calculator')}")
        if d.get("ok"):
            typer.echo(
                f"  e_insert min/mean/max {d['e_insert_min']:.3f} / {d['e_insert_mean']:.3f} / "
                f"{d['e_insert_max']:.3f} eV"
            )
        if d.get("seconds_per_point") is not None:
            steps = d.get("mean_steps")
            typer.echo(
                f"  {d['seconds_per_point']:.2f} s per point"
                + (f", {steps:.1f} optimiser steps on average" if steps else "")
            )
        if d.get("host_displacement_median") is not None:
            typer.echo(
                f"  largest host displacement per point: median "
                f"{d['host_displacement_median']:.2f} Å, 90th percentile "
                f"{d['host_displacement_p90']:.2f} Å; {100 * d['rearranged_fraction']:.0f} % of "
                f"points moved a host atom more than {REARRANGED_A:g} Å"
            )
    for s in data["settings"]:
        typer.echo(f"settings: {s}")


def _echo_consistency(data: dict[str, Any], consistency: float) -> None:
    """Print the energy-force consistency lines of ``reference info --consistency`` (Å)."""
    for sid, c in data.get("consistency", {}).items():
        if not c["pairs"]:
            typer.echo(f"consistency {sid}: no pairs closer than {consistency} Å")
            continue
        typer.echo(
            f"consistency {sid}: {c['pairs']} pairs closer than {consistency} Å; energy "
            f"difference vs trapezoid rule on the forces: RMS residual "
            f"{c['rms_residual_eV']:.3f} eV (median {c['median_abs_residual_eV']:.3f}) = "
            f"{c['relative_residual']:.2f} of the RMS difference "
            f"{c['rms_difference_eV']:.3f} eV; {100 * c['jump_fraction']:.0f} % of pairs off "
            f"by > 0.1 eV"
        )


@app.command("info")
def info(
    db: Annotated[Path, typer.Argument(help="Reference database.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    consistency: Annotated[
        float,
        typer.Option(
            "--consistency",
            help="Also check energies against forces over pairs closer than this, Å (e.g. 0.3).",
        ),
    ] = 0.0,
) -> None:
    """Counts per sample, failures, convergence, insertion-energy range, settings."""
    from .._checks import check_number
    from ..reference.importer import dataset_info

    check_number(consistency, "--consistency", ge=0, unit="Å")
    data = dataset_info(db)
    if consistency:
        from ..reference.dataset import load_dataset
        from ..reference.quality import pair_consistency

        data["consistency"] = pair_consistency(load_dataset(db), max_distance=consistency)
    if as_json:
        typer.echo(json.dumps(data, indent=1, default=str))
        return
    _echo_samples(data)
    _echo_consistency(data, consistency)


@app.command("import")
def import_(
    files: Annotated[
        list[Path], typer.Argument(help="vasprun.xml, OUTCAR, extxyz or ASE db files.")
    ],
    db: Annotated[Path, typer.Option("--db", help="Reference database to write.")],
    sample_id: Annotated[str, typer.Option("--sample-id", help="Sample the points belong to.")],
    species: Annotated[str, typer.Option("--species", help="Mobile species.")] = "Cu",
    calculator: Annotated[
        str, typer.Option("--calculator", help="Label of the method that made the energies.")
    ] = "imported",
    calculator_version: Annotated[str, typer.Option("--calculator-version")] = "unknown",
    fmax: Annotated[
        float, typer.Option("--fmax", help="Converged below this host force, eV/Å.")
    ] = DEFAULTS.host_fmax,
) -> None:
    """Import host and host+mobile energies computed elsewhere into the reference format."""
    from ..errors import InputError
    from ..reference.importer import import_results

    _check_run_options(
        db=db, species=species, numbers={"--fmax": (fmax, {"gt": 0, "unit": "eV/Å"})}
    )
    for f in files:
        if not f.is_file():
            raise InputError(f"file {str(f)!r} does not exist; expected a file to import")
    counts = import_results(
        list(files),
        db,
        sample_id=sample_id,
        species=species,
        calculator=calculator,
        calculator_version=calculator_version,
        fmax=fmax,
    )
    typer.echo(json.dumps(counts))


@app.command("merge")
def merge(
    sources: Annotated[list[Path], typer.Argument(help="Reference databases to copy from.")],
    db: Annotated[Path, typer.Option("--db", help="Database to merge into.")],
) -> None:
    """Merge reference databases (e.g. shards); a point already present is never duplicated."""
    from .._paths import check_writable
    from ..reference import merge_databases

    check_writable(db, "--db")
    typer.echo(json.dumps(merge_databases(list(sources), db)))
