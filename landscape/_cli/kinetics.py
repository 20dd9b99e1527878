"""``landscape kinetics NETWORK.json``: D(T) exactly and by KMC, Arrhenius fits, percolation barrier."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated

import typer

from ..config import DEFAULTS
from .options import DataDirOption

#: Top-level command, merged into the root by ``add_typer`` without a name.
app = typer.Typer()

#: ``--method``: the methods of :func:`~landscape.kinetics.kinetics_summary` it stands for.
_METHODS = {"exact": ("exact",), "kmc": ("kmc",), "both": ("exact", "kmc")}

#: ``--sample``: one name for the sample id in the graph database and the bundled sample.
_SampleOption = Annotated[
    str | None,
    typer.Option(
        "--sample",
        help="The sample. Without NETWORK: its id in the graph database, whose stored hop "
        "network is read and on whose Kinetics node the result is stored. With NETWORK: the host "
        "of --model, a bundled sample name or a structure file (default: the network's "
        "sample_id). A study's sample id is its bundled name, so one name serves both.",
    ),
]

#: ``--max-energy``: the sub-network of a stored sample below a saddle energy.
_MaxEnergyOption = Annotated[
    float | None,
    typer.Option(
        "--max-energy",
        help="With --sample and no NETWORK: keep only the hops whose saddle energy is at most "
        "this many eV above the sample's lowest site (the convention of the percolation "
        "barrier), and the sites they touch.",
    ),
]

#: ``--name``: the name of the stored Kinetics result.
_NameOption = Annotated[
    str | None,
    typer.Option(
        "--name",
        help="With --sample and no NETWORK: name of the stored Kinetics result, replaced if it "
        "exists (default 'default', or 'below-<E>eV' with --max-energy E, e.g. below-0.8eV).",
    ),
]


@app.command(
    "kinetics", context_settings={"allow_extra_args": True, "ignore_unknown_options": True}
)
def kinetics(
    ctx: typer.Context,
    network: Annotated[
        str | None,
        typer.Argument(
            help="Hop network, node-link JSON (networkx); leave it out and give --sample to "
            "read the sample's network from the graph database."
        ),
    ] = None,
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
    sample: _SampleOption = None,
    max_energy: _MaxEnergyOption = None,
    name: _NameOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Diffusion coefficient, activation energy and percolation barrier of a hop network.

    The network is a file (NETWORK; nothing is stored) or, with --sample and no NETWORK, the
    sample's network in the graph database (the embedded server of --data-dir, or the Neo4j
    server of LANDSCAPE_NEO4J_URI; it must run), optionally cut at --max-energy; the result is
    then stored on the sample's Kinetics node named --name. Extra temperatures may follow the
    first: --temperatures 500 600 700 800.
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
    name = _check_source(network, sample, model, max_energy, name, data_dir)
    if plot is not None:
        plot = check_writable(plot, "--plot")
    if network is None:
        G = _stored_network(sample, max_energy, data_dir)
        where = f"the stored network of sample {sample!r}"
        title = f"sample {sample}" + (
            "" if max_energy is None else f", saddles ≤ {max_energy:g} eV"
        )
    else:
        G = load_network(network)
        where, title = f"network {str(network)!r}", network.name
    hop_arrays(G)  # the hop-network contract, before the model is loaded
    surface = None if model is None else _ensemble_surface(model, sample, G, where)
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
    uid = None
    if network is None:
        uid = _store_result(sample, name, data_dir, _result_properties(summary, G, model))
    if plot is not None:
        label = G.graph.get("sample_id", network.stem if network else sample)
        plot_arrhenius(summary, plot, title=str(label))
    if json_out:
        typer.echo(json.dumps(summary))
        return
    _table(summary, title)
    if plot is not None:
        typer.echo(f"Arrhenius plot: {plot}")
    if uid is not None:
        typer.echo(f"stored as Kinetics result {uid!r}")


def _split_arguments(
    network: str | None, extra: list[str], temperatures: list[float] | None
) -> tuple[Path | None, list[float]]:
    """The network path (None when there is none) and every temperature (K) of the command line.

    ``--temperatures 500 600 ...`` gives click the first number only; the others land among the
    extra arguments, next to NETWORK. Numbers are temperatures, the one other word is NETWORK.
    """
    from ..errors import InputError

    tokens = [t for t in (network, *extra) if t is not None]
    numbers, paths = [], []
    for token in tokens:
        try:
            numbers.append(float(token))
        except ValueError:
            paths.append(token)
    if len(paths) > 1 or (numbers and temperatures is None):
        raise InputError(
            f"expected at most one NETWORK.json and numbers after --temperatures, got {tokens}"
        )
    return (Path(paths[0]) if paths else None), [*(temperatures or []), *numbers]


def _check_source(
    network: Path | None,
    sample: str | None,
    model: Path | None,
    max_energy: float | None,
    name: str | None,
    data_dir: Path | None,
) -> str | None:
    """Check where the network comes from; the name of the Kinetics result to store (None when
    the network is a file: nothing is stored). One-line InputError for options that do not fit.
    """
    from ..errors import InputError

    if network is not None:
        for flag, value in (
            ("--max-energy", max_energy),
            ("--name", name),
            ("--data-dir", data_dir),
        ):
            if value is not None:
                raise InputError(
                    f"{flag} applies to a network stored in the graph database; give --sample "
                    f"SAMPLE without NETWORK, or leave {flag} out"
                )
        if sample is not None and model is None:
            raise InputError(
                "with NETWORK, --sample is the host of --model; give --model too, or leave "
                f"NETWORK out to read sample {sample!r} from the graph database"
            )
        return None
    if sample is None or not sample.strip():
        raise InputError(
            "expected a hop network NETWORK.json, or --sample SAMPLE (without NETWORK) to read "
            "a sample's network from the graph database"
        )
    if max_energy is not None and not (math.isfinite(max_energy) and max_energy >= 0):
        raise InputError(
            f"--max-energy {max_energy:g}; expected a finite energy >= 0 eV above the sample's "
            "lowest site"
        )
    if name is None:
        return "default" if max_energy is None else f"below-{max_energy:g}eV"
    if not name.strip() or "/" in name:
        raise InputError(f"--name {name!r}; expected a non-empty result name without '/'")
    return name


def _stored_network(sample: str, max_energy: float | None, data_dir: Path | None):
    """The stored hop network of ``sample``, cut at ``max_energy`` (eV above its lowest site);
    one-line errors when no database runs, the sample or its network is unknown, or the cut
    keeps no hop or no network that wraps the cell."""
    from ..errors import InputError
    from ..graph.algorithms import network_below
    from ..kinetics import percolation_barrier
    from .db import running_store

    with running_store(data_dir) as st:
        whole = st.hop_network(sample)
    if max_energy is None:
        return whole
    G = network_below(whole, max_energy)
    if G.number_of_edges() and percolation_barrier(G).as_dict()["any"] is not None:
        return G
    full = percolation_barrier(whole).as_dict()["any"]
    what = (
        "no hop"
        if not G.number_of_edges()
        else f"{G.number_of_edges()} hops that wrap no cell direction"
    )
    least = (
        "its whole network wraps no cell direction either"
        if full is None
        else f"expected at least its percolation barrier, {full:.4f} eV"
    )
    raise InputError(
        f"--max-energy {max_energy:g} eV keeps {what} of sample {sample!r} (saddle energies "
        f"relative to its lowest site); {least}"
    )


def _result_properties(summary: dict, G, model: Path | None) -> dict:
    """The properties of the stored Kinetics node, named as a study names them: temperatures
    (K), D_exact / D_kmc (cm²/s per temperature), Ea_*, Ea_stderr_* and percolation_barrier
    (eV), D0_* (cm²/s), the ensemble's Ea_model_std and Ea_members (eV), and of the network used
    max_energy (eV above the sample's lowest site; absent for the whole network), n_sites,
    n_hops (directed), n_pairs."""
    from ..contracts import hop_counts

    ens = summary.get("ensemble") or {}
    props = {"temperatures": summary["temperatures_K"]}
    for m in ("exact", "kmc"):
        props[f"D_{m}"] = summary["D_cm2_s"].get(m)
        props[f"Ea_{m}"] = summary["Ea_eV"].get(m)
        props[f"Ea_stderr_{m}"] = summary["Ea_stderr_eV"].get(m)
        props[f"D0_{m}"] = summary["D0_cm2_s"].get(m)
    counts = hop_counts(G)
    props.update(
        percolation_barrier=summary["percolation_barrier_eV"]["any"],
        Ea_model_std=ens.get("Ea_model_std_eV"),
        Ea_members=ens.get("Ea_members_eV"),
        model=None if model is None else str(model),
        max_energy=G.graph.get("max_energy"),
        n_sites=G.number_of_nodes(),
        n_hops=counts["hops"],
        n_pairs=counts["pairs"],
    )
    return props


def _store_result(sample: str, name: str, data_dir: Path | None, props: dict) -> str:
    """Store ``props`` as the Kinetics result ``name`` of ``sample`` (replacing one of that
    name); its uid."""
    from .db import running_store

    with running_store(data_dir) as st:
        return st.upsert_result(sample, "kinetics", name=name, **props)


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


def _ensemble_surface(model: Path, sample: str | None, G, where: str):
    """The NNP ensemble ``model`` on the network's host (``--sample``, or the network's
    ``sample_id``), checked against the network before the (long) KMC."""
    from ..errors import InputError
    from ..nnp.model import SimplifiedNNP
    from ..samples import load_sample

    name = sample or G.graph.get("sample_id")
    if not name:
        raise InputError("--model needs its host: give --sample (the network names none)")
    host = load_sample(str(name))
    _check_host(host, G, where)
    return SimplifiedNNP.load(model).surface(host)


def _check_host(host, G, where: str) -> None:
    """Refuse a host of ``--model`` that is not the sample the network (``where``: which one, in
    words) was found in.

    The members' Eₐ are energies of the network's sites and saddles on that host: another host
    (another sample id, or another cell) gives numbers that mean nothing (e.g. −4.8 eV).
    """
    import numpy as np

    from ..errors import InputError

    sid = host.info.get("sample_id")
    net_sid = G.graph.get("sample_id")
    if net_sid is not None and sid != net_sid:
        raise InputError(
            f"--sample {sid!r} is not the sample of {where}, which was found "
            f"in sample {net_sid!r}; give --sample {net_sid} (or leave --sample out)"
        )
    cell = np.asarray(host.cell.array, dtype=float)
    net_cell = np.asarray(G.graph["cell"], dtype=float)
    if cell.shape != net_cell.shape or not np.allclose(cell, net_cell, rtol=0.0, atol=1e-6):
        raise InputError(
            f"the cell of --sample {sid!r} ({np.round(cell, 6).tolist()} Å) differs from the cell "
            f"of {where} ({np.round(net_cell, 6).tolist()} Å) by more than "
            "1e-6 Å; expected the host the network was found in"
        )


def _fmt(x: float | None, spec: str = ".4g") -> str:
    """``x`` formatted with ``spec``, or a dash when there is no value."""
    return "—" if x is None else format(x, spec)


def _table(summary: dict, title: str) -> None:
    """Print D(T) per method (cm²/s, with the KMC 95 % interval), Eₐ and D₀ of each Arrhenius
    fit, the ensemble members' Eₐ (eV) and the percolation barriers (eV)."""
    from rich.table import Table

    from . import console as _console

    console = _console()
    table = Table(title=f"Diffusion on {title}")
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
