"""``landscape reference run | info | import | merge``: reference energies of a mobile atom."""

from __future__ import annotations

import json
from pathlib import Path

import typer


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
        from ..reference.run import OPTIMIZERS

        check_choice(optimizer.upper(), "--optimizer", OPTIMIZERS)
    check_writable(db, "--db")


def register(app: typer.Typer) -> None:
    ref_app = typer.Typer(
        help="Reference energies: relax the host around an inserted mobile atom, resumably.",
        no_args_is_help=True,
    )
    app.add_typer(ref_app, name="reference")

    @ref_app.command("run")
    def run(
        sample: str = typer.Argument(..., help="Bundled sample name or structure file."),
        points: int = typer.Option(None, "--points", help="Number of random insertion points."),
        network: Path = typer.Option(
            None,
            "--network",
            help="Hop network JSON (landscape explore): its sites and saddle points instead of "
            "random points (origin 'network': trained on, never tested on).",
        ),
        db: Path = typer.Option(..., "--db", help="ASE database to write (resumed if it exists)."),
        calculator: str = typer.Option(
            "chgnet", "--calculator", help="chgnet, sevennet, cp2k, or module:Class."
        ),
        calculator_kwargs: str = typer.Option(
            "",
            "--calculator-kwargs",
            help='JSON keyword arguments, e.g. \'{"use_device": "cuda"}\'.',
        ),
        species: str = typer.Option("Cu", "--species", help="Mobile species."),
        seed: int = typer.Option(0, "--seed", help="Seed of the random points."),
        workers: int = typer.Option(1, "--workers", help="Local worker processes."),
        batch: int = typer.Option(
            1, "--batch", help="Relaxations per worker sharing one batched model call (GPU)."
        ),
        fmax: float = typer.Option(0.05, "--fmax", help="Force criterion, eV/Å."),
        max_steps: int = typer.Option(300, "--max-steps", help="Step limit per relaxation."),
        relax_radius: float = typer.Option(
            None, "--relax-radius", help="Only host atoms within this distance move, Å."
        ),
        optimizer: str = typer.Option("BFGS", "--optimizer", help="BFGS, LBFGS or FIRE."),
        min_distance: float = typer.Option(
            None,
            "--min-distance",
            help="Minimum distance of a point to a host atom, Å (default 1.6 for random points, "
            "1.0 for network points).",
        ),
        scheduler: str = typer.Option(
            None, "--scheduler", help="Dask scheduler address (tcp://host:port)."
        ),
        cluster: str = typer.Option(
            None,
            "--cluster",
            help='dask-jobqueue cluster as JSON, e.g. \'{"type": "slurm", "jobs": 4, "cores": 8}\'.',
        ),
        shard: str = typer.Option(None, "--shard", help="I/N: only points with id % N == I."),
        time_limit: float = typer.Option(
            None, "--time-limit", help="Stop after this many seconds (resume later)."
        ),
        retry_failed: bool = typer.Option(
            False, "--retry-failed", help="Compute failed points again (their rows are replaced)."
        ),
        gpu_memory_fraction: float = typer.Option(
            None, "--gpu-memory-fraction", help="GPU memory cap per worker process (0-1)."
        ),
        first_id: int = typer.Option(
            0, "--first-id", help="point_id of the first point (several point sets in one db)."
        ),
    ) -> None:
        """Insert the mobile atom at random points (or at a hop network's sites and saddles) and
        store relaxed energies, one row per point."""
        import signal

        from ..calculators import parse_calculator_kwargs
        from ..errors import InputError
        from ..reference.points import DEFAULT_MIN_DISTANCE
        from ..reference.run import run_reference

        def _stop(signum, frame):  # SIGTERM: stop between two rows, like Ctrl-C
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, _stop)
        shard_t = None
        if shard:
            try:
                i, n = (int(x) for x in shard.split("/"))
            except ValueError:
                raise InputError(f"--shard {shard!r} must be I/N, e.g. 0/4") from None
            if not 0 <= i < n:
                raise InputError(f"--shard {shard!r}: expected 0 <= I < N")
            shard_t = (i, n)
        if (points is None) == (network is None):
            raise InputError("give exactly one of --points N or --network FILE")
        _check_run_options(
            db=db,
            calculator=calculator,
            species=species,
            optimizer=optimizer,
            numbers={
                "--points": (points, {"ge": 1, "optional": True}),
                "--seed": (seed, {"ge": 0}),
                "--workers": (workers, {"ge": 1}),
                "--batch": (batch, {"ge": 1}),
                "--fmax": (fmax, {"gt": 0, "unit": "eV/Å"}),
                "--max-steps": (max_steps, {"ge": 1}),
                "--relax-radius": (relax_radius, {"gt": 0, "unit": "Å", "optional": True}),
                "--min-distance": (min_distance, {"gt": 0, "unit": "Å", "optional": True}),
                "--time-limit": (time_limit, {"gt": 0, "unit": "s", "optional": True}),
                "--gpu-memory-fraction": (
                    gpu_memory_fraction,
                    {"gt": 0, "le": 1, "optional": True},
                ),
                "--first-id": (first_id, {"ge": 0}),
            },
        )
        if network is not None and not network.is_file():
            raise InputError(
                f"--network {str(network)!r} does not exist; expected a hop network JSON"
            )
        common = dict(
            species=species,
            calculator=calculator,
            calculator_kwargs=parse_calculator_kwargs(calculator_kwargs),
            seed=seed,
            fmax=fmax,
            max_steps=max_steps,
            relax_radius=relax_radius,
            optimizer=optimizer,
            workers=workers,
            batch=batch,
            scheduler=scheduler,
            cluster=parse_calculator_kwargs(cluster) if cluster else None,
            shard=shard_t,
            time_limit=time_limit,
            retry_failed=retry_failed,
            gpu_memory_fraction=gpu_memory_fraction,
            progress=True,
            first_id=first_id,
        )
        if network is not None:
            from ..reference.run import run_network_reference
            from ..samples import load_sample

            summary = run_network_reference(
                load_sample(sample), network, db, min_distance=min_distance, **common
            )
        else:
            summary = run_reference(
                sample,
                db,
                n_points=points,
                min_distance=DEFAULT_MIN_DISTANCE if min_distance is None else min_distance,
                **common,
            )
        typer.echo(
            f"{summary.sample_id}: {summary.done} done, {summary.failed} failed, "
            f"{summary.skipped} already present of {summary.requested}; e_host {summary.e_host:.4f} eV; "
            f"{summary.seconds:.1f} s"
            + (
                f" ({summary.seconds_per_point:.2f} s per point)"
                if summary.done + summary.failed
                else ""
            )
        )

    @ref_app.command("info")
    def info(
        db: Path = typer.Argument(..., help="Reference database."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
        consistency: float = typer.Option(
            0.0,
            "--consistency",
            help="Also check energies against forces over pairs closer than this, Å (e.g. 0.3).",
        ),
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
        for s in data["settings"]:
            typer.echo(f"settings: {s}")
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

    @ref_app.command("import")
    def import_(
        files: list[Path] = typer.Argument(
            ..., help="vasprun.xml, OUTCAR, extxyz or ASE db files."
        ),
        db: Path = typer.Option(..., "--db", help="Reference database to write."),
        sample_id: str = typer.Option(..., "--sample-id", help="Sample the points belong to."),
        species: str = typer.Option("Cu", "--species", help="Mobile species."),
        calculator: str = typer.Option(
            "imported", "--calculator", help="Label of the method that made the energies."
        ),
        calculator_version: str = typer.Option("unknown", "--calculator-version"),
        fmax: float = typer.Option(0.05, "--fmax", help="Converged below this host force, eV/Å."),
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

    @ref_app.command("merge")
    def merge(
        sources: list[Path] = typer.Argument(..., help="Reference databases to copy from."),
        db: Path = typer.Option(..., "--db", help="Database to merge into."),
    ) -> None:
        """Merge reference databases (e.g. shards); a point already present is never duplicated."""
        from .._paths import check_writable
        from ..reference.run import merge_databases

        check_writable(db, "--db")
        typer.echo(json.dumps(merge_databases(list(sources), db)))
