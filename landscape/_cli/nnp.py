"""``landscape nnp train|eval``: fit the simplified NNP on a reference database, and score it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..config import DEFAULTS

app = typer.Typer(
    name="nnp",
    help="Train and evaluate the simplified neural-network potential.",
    no_args_is_help=True,
)

#: ``--hidden`` as the command line writes it (``32,32``).
_HIDDEN = ",".join(str(h) for h in DEFAULTS.nnp_hidden)

# Options of ``nnp train`` whose declarations take several lines.
TrainOriginOption = Annotated[
    list[str],
    typer.Option(
        "--origin",
        help="Train only on points of these origins (random, grid, given, network; repeatable).",
    ),
]
PatienceOption = Annotated[
    int,
    typer.Option(
        "--patience",
        help="Adam epochs without validation improvement before stopping "
        "(= --max-epochs: to the end).",
    ),
]
NJobsOption = Annotated[
    int,
    typer.Option(
        "--n-jobs",
        help="Processes training the members side by side (-1: every core; same weights).",
    ),
]
TogetherOption = Annotated[
    bool,
    typer.Option(
        "--together/--one-by-one",
        help="Train every member at once (stacked) or one after another (earlier versions' "
        "weights bit for bit).",
    ),
]
PrecisionOption = Annotated[
    str,
    typer.Option("--precision", help="Arithmetic of the stacked training: float32 or float64."),
]
ForceWeightOption = Annotated[
    float,
    typer.Option(
        "--force-weight",
        help="Weight of the forces on the mobile atom in the loss (0: energies only).",
    ),
]
NetworkWeightOption = Annotated[
    float,
    typer.Option(
        "--network-weight",
        help="Loss weight of the targeted points (origin network: sites, saddles) vs the others.",
    ),
]
MaxHostDisplacementOption = Annotated[
    float,
    typer.Option(
        "--max-host-displacement",
        help="Å. Train only on points whose host moved no atom farther (host rearranged). "
        "Default: every point.",
    ),
]

# The descriptor grid of ``nnp train`` (:func:`~landscape.nnp.descriptors.propose_grids`); none
# given: the model's default descriptor.
RCutOption = Annotated[
    float, typer.Option("--r-cut", help=f"Descriptor cutoff, Å (default {DEFAULTS.r_cut:g}).")
]
NRadialOption = Annotated[
    int, typer.Option("--n-radial", help="Radial G2 functions per host species (default 12).")
]
RMinOption = Annotated[
    float,
    typer.Option("--r-min", help="Centre of the first radial Gaussian, Å (default 1.2)."),
]
AngularRadiiOption = Annotated[
    str,
    typer.Option(
        "--angular-radii",
        help="Length scales of the angular G4 functions, Å, comma-separated (default 1.5,2.5,4).",
    ),
]
ZetasOption = Annotated[
    str,
    typer.Option(
        "--zetas", help="Angular resolutions ζ of G4, comma-separated (default 1,2,4,16)."
    ),
]


def _parse_list(option: str, text: str, convert, kind: str, item: str, example: str) -> tuple:
    """Comma-separated values of a CLI option; a one-line InputError naming it when bad."""
    from ..errors import InputError

    try:
        values = tuple(convert(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise InputError(
            f"{option} {text!r} must be comma-separated {kind}, e.g. {example}"
        ) from None
    if not values:
        raise InputError(f"{option} {text!r} names no {item}; expected e.g. {example}")
    return values


def _parse_hidden(text: str) -> tuple[int, ...]:
    """The hidden-layer widths of ``--hidden`` (e.g. ``32,32``)."""
    return _parse_list("--hidden", text, int, "integers", "layer", "32,32")


def _grids(r_cut, n_radial, r_min, angular_radii, zetas):
    """``(r_cut, g2, g4)`` of the descriptor grid options (:func:`propose_grids`), or None (the
    model's default descriptor) when none is set. Checked before any data is read."""
    from ..nnp.descriptors import propose_grids

    kw = {"n_radial": n_radial, "r_min": r_min}
    if angular_radii is not None:
        kw["angular_radii"] = _parse_list(
            "--angular-radii", angular_radii, float, "numbers", "value", "1,2,4"
        )
    if zetas is not None:
        kw["zetas"] = _parse_list("--zetas", zetas, float, "numbers", "value", "1,2,4")
    kw = {k: v for k, v in kw.items() if v is not None}
    if r_cut is None and not kw:
        return None
    rc = DEFAULTS.r_cut if r_cut is None else r_cut
    return (rc, *propose_grids(rc, **kw))


def _split_samples(samples: list[str] | None) -> list[str] | None:
    """The values of a repeatable option, each of which may also be comma-separated; None when
    the option is not given."""
    if not samples:
        return None
    return [s for item in samples for s in item.split(",") if s]


def _check_train_options(out: Path, figures: Path | None, numbers: dict) -> None:
    """One-line InputError for a bad option or output path of ``nnp train``, before any data is
    read: ``OUT.json`` and ``OUT.safetensors`` and the figures folder must be writable."""
    from .._checks import check_number
    from .._paths import check_writable
    from ..nnp.io import model_paths

    for what, (value, bounds) in numbers.items():
        check_number(value, what, **bounds)
    for path in model_paths(out):
        check_writable(path, "--out")
    if figures is not None:
        check_writable(figures, "--figures", directory=True)


def _check_hidden(hidden: str) -> tuple[int, ...]:
    """The hidden-layer widths of ``--hidden``, each at least 1; a one-line InputError if not."""
    from ..errors import InputError

    hidden_sizes = _parse_hidden(hidden)
    if any(h < 1 for h in hidden_sizes):
        raise InputError(f"--hidden {hidden!r} must be positive layer widths, e.g. 32,32")
    return hidden_sizes


def _descriptor(grids, ds):
    """The symmetry functions of the ``--r-cut``/grid options for the species of ``ds``, or None
    (the model's default descriptor) when no grid option is given."""
    if grids is None:
        return None
    from ..nnp.descriptors import SymmetryFunctions

    rc, g2, g4 = grids
    return SymmetryFunctions(
        species=ds.host_species, mobile=ds.species, r_cut=rc, g2_params=g2, g4_params=g4
    )


def _fit(model, ds) -> None:
    """Fit ``model`` on ``ds`` behind one progress bar over every training step."""
    from tqdm import tqdm

    with tqdm(
        total=1,
        desc=f"training {model.n_models} members on {len(ds)} points",
        unit="step",
        mininterval=0.5,
    ) as bar:

        def progress(done: int, total: int) -> None:
            if bar.total != total:
                bar.total = total
            bar.update(done - bar.n)

        model.fit(ds, progress=progress)


def _training_table(model, ds, db: Path):
    """The RMSE and MAE (meV) of a fitted model on its training and held-out test points."""
    from rich.table import Table

    table = Table(title=f"simplified NNP on {db.name} ({ds.calculator}, {ds.species})")
    table.add_column("split")
    table.add_column("points", justify="right")
    table.add_column("RMSE (meV)", justify="right")
    table.add_column("MAE (meV)", justify="right")
    table.add_row(
        "train+validation",
        str(model.n_train_ + model.n_validation_),
        f"{1000 * model.rmse_train_:.1f}",
        f"{1000 * model.mae_train_:.1f}",
    )
    table.add_row(
        "test (held out)",
        str(model.n_test_),
        f"{1000 * model.rmse_test_:.1f}",
        f"{1000 * model.mae_test_:.1f}",
    )
    if model.max_host_displacement is not None:
        kept = "—" if model.rmse_test_kept_ is None else f"{1000 * model.rmse_test_kept_:.1f}"
        kept_mae = "—" if model.mae_test_kept_ is None else f"{1000 * model.mae_test_kept_:.1f}"
        table.add_row(
            f"test, host moved <= {model.max_host_displacement:g} Å",
            str(model.n_test_kept_),
            kept,
            kept_mae,
        )
    return table


def _print_training(model, ds, db: Path, json_path: Path, figures: Path | None) -> None:
    """Print what ``nnp train`` fitted (errors in meV, time in s) and where it wrote the model;
    write the parity and learning-curve figures into ``figures`` when given."""
    from . import console as _console

    console = _console()
    console.print(_training_table(model, ds, db))
    if model.max_host_displacement is not None:
        console.print(
            f"{model.n_excluded_} of {len(ds)} points moved a host atom farther than "
            f"{model.max_host_displacement:g} Å (host rearranged): not trained on"
        )
    if model.rmse_force_test_ is not None:
        console.print(f"test force RMSE per component: {1000 * model.rmse_force_test_:.1f} meV/Å")
    members = ", ".join(f"{1000 * r:.1f}" for r in model.member_rmse_test_)
    console.print(f"member test RMSE (meV): {members}")
    console.print(
        f"samples: {', '.join(model.data_info_['sample_ids'])}; spread of e_insert "
        f"{float(ds.e_insert.std()):.3f} eV; training {model.fit_seconds_:.1f} s"
    )
    console.print(f"model: {json_path} (+ {json_path.with_suffix('.safetensors').name})")
    if figures is not None:
        from ..nnp.plots import learning_curve, parity_plot

        stem = json_path.stem
        p1 = parity_plot(model, figures / f"{stem}_parity.png")
        p2 = learning_curve(model, figures / f"{stem}_learning_curve.png")
        console.print(f"figures: {p1}, {p2}")


@app.command("train")
def train(
    db: Annotated[Path, typer.Argument(help="Reference ASE database (landscape reference ...).")],
    out: Annotated[
        Path, typer.Option("--out", help="Model path: writes OUT.json + OUT.safetensors.")
    ],
    samples: Annotated[
        list[str], typer.Option("--samples", help="Train on these sample ids only.")
    ] = None,
    origins: TrainOriginOption = None,
    figures: Annotated[
        Path, typer.Option("--figures", help="Folder for parity / learning-curve PNGs.")
    ] = None,
    n_models: Annotated[
        int, typer.Option("--n-models", help="Ensemble members.")
    ] = DEFAULTS.nnp_n_models,
    seed: Annotated[int, typer.Option("--seed", help="random_state of every draw.")] = 0,
    hidden: Annotated[str, typer.Option("--hidden", help="Hidden-layer widths.")] = _HIDDEN,
    max_epochs: Annotated[
        int, typer.Option("--max-epochs", help="Adam epochs at most.")
    ] = DEFAULTS.nnp_max_epochs,
    patience: PatienceOption = DEFAULTS.nnp_patience,
    n_jobs: NJobsOption = 1,
    lbfgs_steps: Annotated[
        int, typer.Option("--lbfgs-steps", help="L-BFGS iterations after Adam.")
    ] = 200,
    alpha: Annotated[float, typer.Option("--alpha", help="L2 penalty on the weights.")] = 1e-4,
    batch_size: Annotated[
        int, typer.Option("--batch-size", help="Adam mini-batch, points per member.")
    ] = DEFAULTS.nnp_batch_size,
    learning_rate: Annotated[
        float, typer.Option("--learning-rate", help="Initial Adam learning rate.")
    ] = DEFAULTS.nnp_learning_rate,
    together: TogetherOption = DEFAULTS.nnp_train_together,
    precision: PrecisionOption = DEFAULTS.nnp_precision,
    force_weight: ForceWeightOption = 0.0,
    network_weight: NetworkWeightOption = 1.0,
    max_host_displacement: MaxHostDisplacementOption = None,
    r_cut: RCutOption = None,
    n_radial: NRadialOption = None,
    r_min: RMinOption = None,
    angular_radii: AngularRadiiOption = None,
    zetas: ZetasOption = None,
) -> None:
    """Fit the NNP ensemble on the e_insert of DB; print metrics; write the model and figures."""
    from ..errors import InputError
    from ..nnp.model import SimplifiedNNP
    from ..reference.dataset import load_dataset

    _check_train_options(
        out,
        figures,
        {
            "--n-models": (n_models, {"ge": 1}),
            "--seed": (seed, {"ge": 0}),
            "--max-epochs": (max_epochs, {"ge": 1}),
            "--patience": (patience, {"ge": 1}),
            "--lbfgs-steps": (lbfgs_steps, {"ge": 0}),
            "--alpha": (alpha, {"ge": 0}),
            "--batch-size": (batch_size, {"ge": 1}),
            "--learning-rate": (learning_rate, {"gt": 0}),
            "--force-weight": (force_weight, {"ge": 0}),
            "--network-weight": (network_weight, {"gt": 0}),
            "--max-host-displacement": (
                max_host_displacement,
                {"gt": 0, "unit": "Å", "optional": True},
            ),
            "--r-cut": (r_cut, {"gt": 0, "unit": "Å", "optional": True}),
            "--n-radial": (n_radial, {"ge": 1, "optional": True}),
            "--r-min": (r_min, {"gt": 0, "unit": "Å", "optional": True}),
        },
    )
    if n_jobs < 1 and n_jobs != -1:
        raise InputError(f"--n-jobs must be >= 1 or -1 (every core), got {n_jobs}")
    if precision not in ("float32", "float64"):
        raise InputError(f"--precision {precision!r}; expected float32 or float64")
    grids = _grids(r_cut, n_radial, r_min, angular_radii, zetas)
    hidden_sizes = _check_hidden(hidden)
    ds = load_dataset(db, _split_samples(samples), origins=_split_samples(origins))
    model = SimplifiedNNP(
        descriptor=_descriptor(grids, ds),
        hidden=hidden_sizes,
        n_models=n_models,
        max_epochs=max_epochs,
        patience=patience,
        n_jobs=n_jobs,
        lbfgs_steps=lbfgs_steps,
        alpha=alpha,
        batch_size=batch_size,
        learning_rate=learning_rate,
        train_together=together,
        precision=precision,
        force_weight=force_weight,
        network_weight=network_weight,
        max_host_displacement=max_host_displacement,
        random_state=seed,
    )
    model._validate_params()  # bad settings: one line before the progress bar opens
    _fit(model, ds)
    json_path = model.save(out)
    _print_training(model, ds, db, json_path, figures)


def _score_row(s: dict, *, limit: bool) -> tuple[str, ...]:
    """The points, RMSE and MAE (meV), force RMSE (meV/Å) and, with a host-displacement
    ``limit``, the RMSE of the points within it, of one score of :meth:`SimplifiedNNP.score`."""
    force = "—" if s["force_rmse"] is None else f"{1000 * s['force_rmse']:.0f}"
    row = (str(s["n"]), f"{1000 * s['rmse']:.1f}", f"{1000 * s['mae']:.1f}", force)
    if not limit:
        return row
    value = "—" if s["rmse_kept"] is None else f"{1000 * s['rmse_kept']:.1f}"
    return (*row, f"{value} (n={s['n_kept']})")


def _print_held_out(model, ds, console) -> None:
    """Print the score of the held-out test points when ``ds`` holds exactly the training data of
    ``model`` (the same content hash)."""
    import numpy as np

    trained = set(model.data_info_["sample_ids"])
    if not trained <= set(ds.sample_ids.tolist()):
        return
    sub = ds.subset(np.isin(ds.sample_ids, sorted(trained)))
    if sub.content_hash() != model.data_hash_:
        return
    test = sub.subset(model.test_index_)
    t = model.score(test)["all"]
    extra = ""
    if t["rmse_kept"] is not None:
        extra = f"; host moved <= limit: n={t['n_kept']}, RMSE {1000 * t['rmse_kept']:.1f} meV"
    console.print(
        f"held-out test points of the training data: n={t['n']}, RMSE "
        f"{1000 * t['rmse']:.1f} meV, MAE {1000 * t['mae']:.1f} meV{extra}"
    )


@app.command("eval")
def evaluate(
    model_path: Annotated[Path, typer.Argument(metavar="MODEL", help="Model (.json or stem).")],
    db: Annotated[Path, typer.Argument(help="Reference ASE database.")],
    samples: Annotated[list[str], typer.Option("--samples", help="Only these sample ids.")] = None,
    origins: Annotated[
        list[str],
        typer.Option(
            "--origin",
            help="Only points of these origins (random, grid, given, network; repeatable): "
            "--origin random scores the uniform points alone.",
        ),
    ] = None,
) -> None:
    """RMSE / MAE of MODEL on every sample of DB (transfer to samples not trained on)."""
    from rich.table import Table

    from ..nnp.model import SimplifiedNNP
    from ..reference.dataset import load_dataset
    from . import console as _console

    ds = load_dataset(db, _split_samples(samples), origins=_split_samples(origins))
    model = SimplifiedNNP.load(model_path)
    scores = model.score(ds)
    trained = set(model.data_info_["sample_ids"])
    table = Table(title=f"{Path(model_path).name} on {db.name}")
    cols = ("sample", "trained on", "points", "RMSE (meV)", "MAE (meV)", "force RMSE (meV/Å)")
    limit = scores["all"]["n_kept"] is not None
    if limit:
        cols += (f"RMSE, host moved <= {model.max_host_displacement:g} Å (meV)",)
    for col in cols:
        table.add_column(col, justify="left" if col in ("sample", "trained on") else "right")
    for sid, s in scores.items():
        if sid != "all":
            table.add_row(sid, "yes" if sid in trained else "no", *_score_row(s, limit=limit))
    table.add_row("all", "", *_score_row(scores["all"], limit=limit))
    console = _console()
    console.print(table)
    _print_held_out(model, ds, console)
