"""``landscape reference crosscheck | crosscheck-summary``: the reference (CHGNet) against an upper
method (CP2K, PBE) on the same relaxed geometries, resumably.

Mounted into the ``reference`` group by :mod:`landscape.cli` (a bare ``app`` merged into it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from .._paths import write_json_atomic

#: Commands merged into ``landscape reference``.
app = typer.Typer()

#: The trained NNP whose predictions at the same positions complete the chain (optional).
_ModelOption = Annotated[
    Path | None,
    typer.Option(
        "--model", help="Trained SimplifiedNNP (MODEL[.json]): adds the NNP's link of the chain."
    ),
]


def _stop_on_sigterm() -> None:
    """Make SIGTERM stop a run like Ctrl-C: the geometry in flight is not written."""
    import signal

    def _stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)


def _load_model(model: Path | None) -> Any:
    """The NNP of ``--model`` (None without it); a one-line InputError for a missing file."""
    if model is None:
        return None
    from ..nnp.model import SimplifiedNNP

    return SimplifiedNNP.load(model)


def _echo_summary(db: Path, sample: str | None, nnp: Any, out: Path | None) -> None:
    """Print the summary of a cross-check database (and write it as JSON to ``out``)."""
    from ..reference.crosscheck_summary import crosscheck_summary, describe_crosscheck

    summary = crosscheck_summary(db, sample_id=sample, nnp=nnp)
    for line in describe_crosscheck(summary):
        typer.echo(line)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_json_atomic(out, summary)


@app.command("crosscheck")
def crosscheck(
    sample: Annotated[str, typer.Argument(help="Sample id in the reference database.")],
    out: Annotated[
        Path, typer.Option("--out", help="Cross-check database to write (resumed if it exists).")
    ],
    reference_db: Annotated[
        Path | None,
        typer.Option("--reference-db", help="Reference database (default: the bundled one)."),
    ] = None,
    points: Annotated[
        int, typer.Option("--points", help="Reference points, spread over their e_insert.")
    ] = 20,
    hops: Annotated[
        Path | None,
        typer.Option("--hops", help="validate-hops result (JSON): every image of some hops."),
    ] = None,
    n_hops: Annotated[
        int, typer.Option("--n-hops", help="Hops of --hops: lowest to highest barrier.")
    ] = 3,
    lower: Annotated[
        str, typer.Option("--lower", help="The reference's method: chgnet or module:Class.")
    ] = "chgnet",
    lower_kwargs: Annotated[
        str, typer.Option("--lower-kwargs", help="JSON keyword arguments of --lower.")
    ] = "",
    upper: Annotated[
        str, typer.Option("--upper", help="Method checked against: cp2k, or module:Class.")
    ] = "cp2k",
    upper_kwargs: Annotated[
        str,
        typer.Option(
            "--upper-kwargs", help="JSON keyword arguments of --upper, e.g. '{\"ranks\": 2}'."
        ),
    ] = "",
    limit: Annotated[
        int | None, typer.Option("--limit", help="Compute at most N geometries, then stop.")
    ] = None,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Compute failed geometries again.")
    ] = False,
    model: _ModelOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
) -> None:
    """Relax the host around the mobile atom at reference points and hop images with the lower
    method, one upper single point on each geometry; every one stored at once (resumable)."""
    from .._checks import check_number
    from .._paths import check_writable
    from ..calculators import (
        check_calculator_available,
        check_calculator_name,
        parse_calculator_kwargs,
    )
    from ..reference import bundled_reference_db
    from ..reference.crosscheck import CrosscheckMethods, run_crosscheck
    from ..reference.crosscheck_plan import plan_crosscheck

    _stop_on_sigterm()
    check_number(points, "--points", ge=1)
    check_number(n_hops, "--n-hops", ge=1)
    check_number(limit, "--limit", ge=0, optional=True)
    check_calculator_name(lower, "--lower")
    check_calculator_name(upper, "--upper")
    methods = CrosscheckMethods(
        lower=lower,
        upper=upper,
        lower_kwargs=parse_calculator_kwargs(lower_kwargs),
        upper_kwargs=parse_calculator_kwargs(upper_kwargs),
    )
    check_calculator_available(upper, methods.upper_kwargs)  # e.g. CP2K missing: before work
    check_writable(out, "--out")
    nnp = _load_model(model)
    plan = plan_crosscheck(
        sample,
        reference_db or bundled_reference_db(),
        n_points=points,
        validation=hops,
        n_hops=n_hops,
    )
    counts = run_crosscheck(
        plan, out, methods, limit=limit, retry_failed=retry_failed, progress=not quiet
    )
    typer.echo(json.dumps(counts | {"seconds": round(counts["seconds"], 1)}))
    _echo_summary(out, sample, nnp, None)


@app.command("crosscheck-summary")
def crosscheck_summary(
    db: Annotated[Path, typer.Argument(help="Cross-check database.")],
    sample: Annotated[str | None, typer.Option("--sample", help="Only this sample.")] = None,
    model: _ModelOption = None,
    as_json: Annotated[
        Path | None, typer.Option("--json", help="Also write the whole summary to this file.")
    ] = None,
) -> None:
    """Each link of the chain NNP -> lower -> upper on the same points, barriers along the same
    paths, seconds per calculation."""
    from .._paths import check_writable

    if as_json is not None:
        check_writable(as_json, "--json")
    _echo_summary(db, sample, _load_model(model), as_json)
