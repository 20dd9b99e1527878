"""``landscape kinetics NETWORK.json``: D(T) exactly and by KMC, Arrhenius fits, percolation barrier."""

from __future__ import annotations

import json
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
    ) -> None:
        """Diffusion coefficient, activation energy and percolation barrier of a hop network.

        Extra temperatures may follow the first: --temperatures 500 600 700 800.
        """
        from ..config import DEFAULTS
        from ..errors import InputError
        from ..kinetics import kinetics_summary, load_network, plot_arrhenius

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
        G = load_network(network)
        summary = kinetics_summary(
            G,
            temperatures=temps,
            methods=methods,
            walkers=walkers,
            steps=steps,
            random_state=seed,
            progress=not json_out,
        )
        if plot is not None:
            plot_arrhenius(summary, plot, title=str(G.graph.get("sample_id", network.stem)))
        if json_out:
            typer.echo(json.dumps(summary))
            return
        _table(summary, network)
        if plot is not None:
            typer.echo(f"Arrhenius plot: {plot}")


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
    perc = summary["percolation_barrier_eV"]
    console.print(
        "percolation barrier (eV): "
        + ", ".join(f"{k} {_fmt(v, '.4f')}" for k, v in perc.items())
        + "   (— : never wraps)"
    )
