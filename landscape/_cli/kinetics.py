"""``landscape kinetics NETWORK.json``: D(T) exactly and by KMC, Arrhenius fits, percolation barrier."""

from __future__ import annotations

import json
import math
from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command(
        "kinetics", context_settings={"allow_extra_args": True, "ignore_unknown_options": True}
    )
    def kinetics(
        ctx: typer.Context,
        network: str = typer.Argument(..., help="Hop network, node-link JSON (networkx)."),
        temperatures: list[float] = typer.Option(
            None, "--temperatures", "-T", help="Temperatures in K (default 500 600 700 800)."
        ),
        method: str = typer.Option("both", "--method", help="exact, kmc or both."),
        json_out: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
        plot: Path = typer.Option(None, "--plot", help="Write an Arrhenius plot to this PNG."),
        walkers: int = typer.Option(1000, "--walkers", help="KMC walkers."),
        steps: float = typer.Option(10_000, "--steps", help="KMC mean hops per walker."),
        seed: int = typer.Option(0, "--seed", help="Seed of the KMC."),
        model: Path = typer.Option(
            None,
            "--model",
            help="NNP ensemble (MODEL[.json]) the network was found on: also each member's Eₐ "
            "at the same sites and saddles, and their spread (model uncertainty).",
        ),
        sample: str = typer.Option(
            None,
            "--sample",
            help="Host of --model: a bundled sample name or a structure file (default: the "
            "network's sample_id).",
        ),
    ) -> None:
        """Diffusion coefficient, activation energy and percolation barrier of a hop network.

        Extra temperatures may follow the first: --temperatures 500 600 700 800.
        """
        from .._paths import check_writable
        from ..config import DEFAULTS
        from ..contracts import as_temperatures, hop_arrays, load_network
        from ..errors import InputError
        from ..kinetics import kinetics_summary, plot_arrhenius

        tokens = [network, *ctx.args]  # --temperatures 500 600 ...: the extra numbers land here
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
        network = Path(paths[0])
        temperatures = [*(temperatures or []), *numbers]
        methods = {"exact": ("exact",), "kmc": ("kmc",), "both": ("exact", "kmc")}.get(method)
        if methods is None:
            raise InputError(f"--method {method!r}; expected exact, kmc or both")
        temps = list(temperatures) if temperatures else list(DEFAULTS.temperatures)
        # Every option is checked before any work (and before anything is written).
        try:
            temps = as_temperatures(temps).tolist()
        except InputError:
            raise InputError(
                f"--temperatures {temps}; expected finite temperatures > 0 K"
            ) from None
        if "kmc" in methods:
            if walkers < 2:
                raise InputError(f"--walkers {walkers}; expected at least 2 KMC walkers")
            if not (math.isfinite(steps) and steps > 0):
                raise InputError(
                    f"--steps {steps:g}; expected a finite number > 0 of hops per walker"
                )
        if seed < 0:
            raise InputError(f"--seed {seed}; expected an integer >= 0")
        if sample is not None and model is None:
            raise InputError("--sample is the host of --model; give --model too")
        if plot is not None:
            plot = check_writable(plot, "--plot")
        G = load_network(network)
        hop_arrays(G)  # the hop-network contract, before the model is loaded
        surface = None
        if model is not None:  # checked before the (long) KMC
            from ..nnp.model import SimplifiedNNP
            from ..samples import load_sample

            name = sample or G.graph.get("sample_id")
            if not name:
                raise InputError("--model needs its host: give --sample (the network names none)")
            host = load_sample(str(name))
            _check_host(host, G, network)
            surface = SimplifiedNNP.load(model).surface(host)
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
            from ..nnp.ensemble import ensemble_activation_energy

            summary["ensemble"] = ensemble_activation_energy(G, surface, temps).as_dict()
        if plot is not None:
            plot_arrhenius(summary, plot, title=str(G.graph.get("sample_id", network.stem)))
        if json_out:
            typer.echo(json.dumps(summary))
            return
        _table(summary, network)
        if plot is not None:
            typer.echo(f"Arrhenius plot: {plot}")


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
    return "—" if x is None else format(x, spec)


def _table(summary: dict, network: Path) -> None:
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
