"""``landscape study STUDY.toml`` and ``landscape demo``: the whole study in one command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .options import NoStoreOption, QuietDisplayOption

#: Top-level commands, merged into the root by ``add_typer`` without a name.
app = typer.Typer()


def _print_table(result) -> None:
    """Print a study's per-sample table (barriers in eV, D in cm²/s), the NNP test RMSE and the
    hop validations, then where the summary and the report are."""
    from rich.table import Table

    from ..explore import describe_validation
    from ..study.summary import d_tmax_label
    from . import console as _console

    def f(v, spec=".3f"):
        return "—" if v is None else format(v, spec)

    table = Table(title="landscape study", title_justify="left")
    for col in (
        "sample",
        "sites",
        "hops",
        "median barrier (eV)",
        "percolation barrier (eV)",
        "Eₐ exact (eV)",
        "± ensemble (eV)",
        "Eₐ KMC (eV)",
        "D(300 K) exact (cm²/s)",
        f"{d_tmax_label(result.summary['samples'])} (cm²/s)",
    ):
        table.add_column(col, justify="right")
    for row in result.summary["samples"]:
        table.add_row(
            row["sample_id"],
            str(row["n_sites"]),
            str(row["n_hops"]),
            f(row["median_barrier_eV"]),
            f(row["percolation_barrier_eV"]),
            f(row["Ea_eV"].get("exact")),
            f(row.get("Ea_model_std_eV")),
            f(row["Ea_eV"].get("kmc")),
            f(row.get("D_cm2_s_300K"), ".3e"),
            f(row.get("D_cm2_s_Tmax"), ".3e"),
        )
    console = _console()
    console.print(table)
    from ..kinetics.distribution import describe_distribution
    from ..study.summary import DISTRIBUTION_LABELS

    spread = describe_distribution(result.summary.get("distribution") or {}, DISTRIBUTION_LABELS)
    if spread:  # two samples or more: the material as a distribution
        console.print(spread, markup=False, highlight=False)
    nnp = result.summary["nnp"]
    rmse = nnp.get("rmse_test_eV")
    if rmse is not None:
        line = f"NNP test RMSE: {rmse:.4f} eV"
        kept, dmax = nnp.get("rmse_test_kept_eV"), nnp.get("max_host_displacement_A")
        if kept is not None and dmax:
            line += (
                f" ({kept:.4f} eV on the {nnp['n_test_kept']} test points whose host moved "
                f"≤ {dmax:g} Å; the others rearranged and are not trained on)"
            )
        console.print(line)
    if any(row.get("Ea_model_std_eV") is not None for row in result.summary["samples"]):
        console.print(
            "± ensemble: standard deviation of the NNP members' Eₐ on the same sites and saddles "
            "(model uncertainty; large where the reference data do not pin the surface down)"
        )
    auto = [r for r in result.summary["samples"] if r.get("hop_max_distance_auto")]
    if auto:
        distances = ", ".join(
            f"{r['sample_id']} {r['hop_max_distance_A']:.2f} Å"
            + (f" (N_sites {n})" if (n := r.get("hop_max_distance_n_sites")) else "")
            for r in auto
        )
        console.print(
            f'hops.max_distance = "auto": {distances}; 1.6 × (V / N_sites)^(1/3), clipped to '
            "[2, 6] Å, N_sites from the site search",
            markup=False,
            highlight=False,
        )
    _print_comparison(console, result.summary.get("compare"))
    for row in result.summary["samples"]:
        if row.get("validated_hops"):
            stats = {
                "n_hops": row["validated_hops"],
                "n_converged": row.get("validated_hops_converged", row["validated_hops"]),
                "n_band_unconverged": row.get("validated_hops_band_unconverged", 0),
                "mae": row["barrier_mae_eV"],
                "max_abs_error": row["barrier_max_abs_error_eV"],
                "mae_all": row.get("barrier_mae_all_eV"),
            }
            console.print(f"{row['sample_id']}: NNP vs reference, {describe_validation(stats)}")
    seconds = result.summary.get("stage_seconds") or {}
    if seconds:
        console.print(
            "wall time per stage (cached stages take about 0 s): "
            + ", ".join(f"{name} {s:.0f} s" for name, s in seconds.items()),
            markup=False,
            highlight=False,
        )
    console.print(f"summary: {result.out_dir / 'summary.json'}   report: {result.report}")


def _print_comparison(console, compare: dict | None) -> None:
    """The measurement of ``[compare]`` and, per sample, computed − measured Eₐ (eV)."""
    if not compare:
        return
    from ..study.summary import describe_difference, describe_measurement

    console.print(describe_measurement(compare["measured"]), markup=False, highlight=False)
    for row in compare["samples"]:
        line = describe_difference(row, compare["measured"].get("temperatures_K"))
        console.print("  " + line, markup=False, highlight=False)
    mean = compare["mean"]
    if mean["n_samples"] > 1:
        console.print(
            f"  mean of {mean['n_samples']} samples: Eₐ = {mean['Ea_eV']:.3f} eV (spread "
            f"{mean['Ea_spread_eV']:.3f} eV), computed − measured = {mean['difference_eV']:+.3f} eV",
            markup=False,
            highlight=False,
        )


@app.command("study")
def study(
    study_file: Annotated[
        Path, typer.Argument(help="Study file (TOML), see landscape.study.studyfile.")
    ],
    no_store: NoStoreOption = False,
    quiet: QuietDisplayOption = False,
) -> None:
    """Run a whole study: samples → reference → NNP → sites/hops → graph → kinetics → report."""
    from ..study import check_study_paths, load_study, run_study

    cfg = load_study(study_file)
    check_study_paths(cfg)  # before run_study creates the results folder
    result = run_study(cfg, progress=not quiet, store=not no_store)
    _print_table(result)


@app.command("demo")
def demo(
    out: Annotated[Path, typer.Option("--out", help="Results folder.")] = Path("results"),
    no_store: NoStoreOption = False,
    quiet: QuietDisplayOption = False,
    validate_hops: Annotated[
        int,
        typer.Option(
            "--validate-hops",
            help="Also check this many NNP hops of a-Ta2O5-1a against CHGNet (about 100 s per "
            "hop on 2 cores; the report overlays both profiles).",
        ),
    ] = 0,
) -> None:
    """The demo study on the three annealed bundled a-Ta₂O₅ samples with the embedded database."""
    from .._paths import check_writable
    from ..errors import InputError
    from ..study import demo_config, run_study

    if validate_hops < 0:
        raise InputError(f"--validate-hops must be >= 0, got {validate_hops}")
    check_writable(out, "--out", directory=True)
    cfg = demo_config(out, validate_hops=validate_hops)
    result = run_study(cfg, progress=not quiet, store=not no_store)
    _print_table(result)
