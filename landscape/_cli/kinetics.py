"""``landscape kinetics NETWORK.json``: D(T) exactly and by KMC, Arrhenius fits, percolation barrier."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated

import typer

from ..config import DEFAULTS

#: Top-level command, merged into the root by ``add_typer`` without a name.
app = typer.Typer()

#: ``--method``: the methods of :func:`~landscape.kinetics.kinetics_summary` it stands for.
_METHODS = {"exact": ("exact",), "kmc": ("kmc",), "both": ("exact", "kmc")}


@app.command(
    "kinetics", context_settings={"allow_extra_args": True, "ignore_unknown_options": True}
)
def kinetics(
    ctx: typer.Context,
    network: Annotated[str, typer.Argument(help="Hop network, node-link JSON (networkx).")],
    temperatures: Annotated[
        list[float],
        typer.Option(
            "--temperatures",
            "-T",
            help="Temperatures in K (default "
            + " ".join(f"{t:g}" for t in DEFAULTS.temperatures)
            + ").",
        ),
    ] = None,
    method: Annotated[str, typer.Option("--method", help="exact, kmc or both.")] = "both",
    json_out: Annotated[
        bool, typer.Option("--json", help="Print one JSON object on stdout.")
    ] = False,
    plot: Annotated[
        Path, typer.Option("--plot", help="Write an Arrhenius plot to this PNG.")
    ] = None,
    walkers: Annotated[int, typer.Option("--walkers", help="KMC walkers.")] = DEFAULTS.kmc_walkers,
    steps: Annotated[
        float, typer.Option("--steps", help="KMC mean hops per walker.")
    ] = DEFAULTS.kmc_steps,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the KMC.")] = 0,
    model: Annotated[
        Path,
        typer.Option(
            "--model",
            help="NNP ensemble (MODEL[.json]) the network was found on: also each member's Eₐ "
            "at the same sites and saddles, and their spread (model uncertainty).",
        ),
    ] = None,
    sample: Annotated[
        str,
        typer.Option(
            "--sample",
            help="Host of --model: a bundled sample name or a structure file (default: the "
            "network's sample_id).",
        ),
    ] = None,
) -> None:
    """Diffusion coefficient, activation energy and percolation barrier of a hop network.

    Extra temperatures may follow the first: --temperatures 500 600 700 800.
    """
    from .._paths import check_writable
    from ..contracts import hop_arrays, load_network
    from ..errors import InputError
    from ..kinetics import kinetics_summary, plot_arrhenius

    network, temperatures = _split_arguments(network, ctx.args, temperatures)
    methods = _METHODS.get(method)
    if methods is None:
        raise InputError(f"--method {method!r}; expected exact, kmc or both")
    # Every option is checked before any work (and before anything is written).
    temps = _check_temperatures(temperatures)
    _check_kmc_options(methods, walkers=walkers, steps=steps, seed=seed)
    if sample is not None and model is None:
        raise InputError("--sample is the host of --model; give --model too")
    if plot is not None:
        plot = check_writable(plot, "--plot")
    G = load_network(network)
    hop_arrays(G)  # the hop-network contract, before the model is loaded
    surface = None if model is None else _ensemble_surface(model, sample, G, network)
    summary = kinetics_summary(
        G,
        temperatures=temps,
        methods=methods,
        walkers=walkers,
        steps=steps,
        random_state=seed,
        progress=not json_out,
    )
    if surface is not None:
        from ..kinetics.ensemble import ensemble_activation_energy

        summary["ensemble"] = ensemble_activation_energy(G, surface, temps).as_dict()
    if plot is not None:
        plot_arrhenius(summary, plot, title=str(G.graph.get("sample_id", network.stem)))
    if json_out:
        typer.echo(json.dumps(summary))
        return
    _table(summary, network)
    if plot is not None:
        typer.echo(f"Arrhenius plot: {plot}")


def _split_arguments(
    network: str, extra: list[str], temperatures: list[float] | None
) -> tuple[Path, list[float]]:
    """The network path and every temperature (K) of the command line.

    ``--temperatures 500 600 ...`` gives click the first number only; the others land among the
    extra arguments, next to NETWORK. Numbers are temperatures, the one other word is NETWORK.
    """
    from ..errors import InputError

    tokens = [network, *extra]
    numbers, paths = [], []
    for token in tokens:
        try:
            numbers.append(float(token))
        except ValueError:
            paths.append(token)
    if len(paths) != 1 or (numbers and temperatures is None):
        raise InputError(
            f"expected one NETWORK.json and numbers after --temperatures, got {tokens}"
        )
    return Path(paths[0]), [*(temperatures or []), *numbers]


def _check_temperatures(temperatures: list[float]) -> list[float]:
    """The temperatures in K (:data:`DEFAULTS.temperatures <landscape.config.DEFAULTS>` when none
    is given), each finite and > 0 K; a one-line InputError otherwise."""
    from ..contracts import as_temperatures
    from ..errors import InputError

    temps = list(temperatures) if temperatures else list(DEFAULTS.temperatures)
    try:
        return as_temperatures(temps).tolist()
    except InputError:
        raise InputError(f"--temperatures {temps}; expected finite temperatures > 0 K") from None


def _check_kmc_options(methods: tuple[str, ...], *, walkers: int, steps: float, seed: int) -> None:
    """One-line InputError for a bad ``--walkers`` or ``--steps`` (checked when the KMC runs) or
    ``--seed``."""
    from ..errors import InputError

    if "kmc" in methods:
        if walkers < 2:
            raise InputError(f"--walkers {walkers}; expected at least 2 KMC walkers")
        if not (math.isfinite(steps) and steps > 0):
            raise InputError(f"--steps {steps:g}; expected a finite number > 0 of hops per walker")
    if seed < 0:
        raise InputError(f"--seed {seed}; expected an integer >= 0")


def _ensemble_surface(model: Path, sample: str | None, G, network: Path):
    """The NNP ensemble ``model`` on the network's host (``--sample``, or the network's
    ``sample_id``), checked against the network before the (long) KMC."""
    from ..errors import InputError
    from ..nnp.model import SimplifiedNNP
    from ..samples import load_sample

    name = sample or G.graph.get("sample_id")
    if not name:
        raise InputError("--model needs its host: give --sample (the network names none)")
    host = load_sample(str(name))
    _check_host(host, G, network)
    return SimplifiedNNP.load(model).surface(host)


def _check_host(host, G, network: Path) -> None:
    """Refuse a host of ``--model`` that is not the sample the network was found in.

    The members' Eₐ are energies of the network's sites and saddles on that host: another host
    (another sample id, or another cell) gives numbers that mean nothing (e.g. −4.8 eV).
    """
    import numpy as np

    from ..errors import InputError

    sid = host.info.get("sample_id")
    net_sid = G.graph.get("sample_id")
    if net_sid is not None and sid != net_sid:
        raise InputError(
            f"--sample {sid!r} is not the sample of network {str(network)!r}, which was found "
            f"in sample {net_sid!r}; give --sample {net_sid} (or leave --sample out)"
        )
    cell = np.asarray(host.cell.array, dtype=float)
    net_cell = np.asarray(G.graph["cell"], dtype=float)
    if cell.shape != net_cell.shape or not np.allclose(cell, net_cell, rtol=0.0, atol=1e-6):
        raise InputError(
            f"the cell of --sample {sid!r} ({np.round(cell, 6).tolist()} Å) differs from the cell "
            f"of network {str(network)!r} ({np.round(net_cell, 6).tolist()} Å) by more than "
            "1e-6 Å; expected the host the network was found in"
        )


def _fmt(x: float | None, spec: str = ".4g") -> str:
    """``x`` formatted with ``spec``, or a dash when there is no value."""
    return "—" if x is None else format(x, spec)


def _table(summary: dict, network: Path) -> None:
    """Print D(T) per method (cm²/s, with the KMC 95 % interval), Eₐ and D₀ of each Arrhenius
    fit, the ensemble members' Eₐ (eV) and the percolation barriers (eV)."""
    from rich.table import Table

    from . import console as _console

    console = _console()
    table = Table(title=f"Diffusion on {network.name}")
    table.add_column("T (K)", justify="right")
    methods = list(summary["D_cm2_s"])
    for m in methods:
        table.add_column(f"D {m} (cm²/s)", justify="right")
    if "kmc" in summary["D_ci_cm2_s"]:
        table.add_column("KMC 95 % interval (cm²/s)", justify="right")
    for k, T in enumerate(summary["temperatures_K"]):
        row = [f"{T:g}"] + [_fmt(summary["D_cm2_s"][m][k]) for m in methods]
        if "kmc" in summary["D_ci_cm2_s"]:
            lo, hi = summary["D_ci_cm2_s"]["kmc"][k]
            row.append(f"{lo:.3g} – {hi:.3g}")
        table.add_row(*row)
    console.print(table)
    for m in methods:
        console.print(
            f"Eₐ ({m}) = {_fmt(summary['Ea_eV'][m], '.4f')} ± {_fmt(summary['Ea_stderr_eV'][m], '.4f')} eV,"
            f" D₀ = {_fmt(summary['D0_cm2_s'][m])} cm²/s"
        )
    ens = summary.get("ensemble")
    if ens is not None:
        members = ", ".join(f"{e:.3f}" for e in ens["Ea_members_eV"])
        console.print(
            f"Eₐ of the {len(ens['Ea_members_eV'])} NNP members (same sites and saddles): "
            f"{members} eV; spread (std) {ens['Ea_model_std_eV']:.4f} eV"
        )
    perc = summary["percolation_barrier_eV"]
    console.print(
        "percolation barrier (eV): "
        + ", ".join(f"{k} {_fmt(v, '.4f')}" for k, v in perc.items())
        + "   (— : never wraps)"
    )
