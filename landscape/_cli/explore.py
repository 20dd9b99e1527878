"""``landscape explore``: metastable sites and hops of one sample on a trained NNP."""

from __future__ import annotations

from pathlib import Path

import typer


def _check_options(numbers: dict, *, choices: dict, device: str, outputs: dict) -> None:
    """One-line InputError for a bad option, device or output path, before anything is loaded."""
    from .._checks import check_choice, check_device, check_number
    from .._paths import check_writable

    for what, (value, bounds) in numbers.items():
        check_number(value, what, **bounds)
    for what, (value, allowed) in choices.items():
        check_choice(value, what, allowed)
    check_device(device)
    for what, (path, directory) in outputs.items():
        if path is not None:
            check_writable(path, what, directory=directory)


def register(app: typer.Typer) -> None:
    @app.command("explore")
    def explore(
        sample: str = typer.Argument(
            ..., help="Bundled sample name or ASE-readable structure file."
        ),
        model: Path = typer.Option(..., "--model", help="Trained SimplifiedNNP (MODEL[.json])."),
        out: Path = typer.Option(..., "--out", help="Hop network, node-link JSON."),
        store: bool = typer.Option(False, "--store", help="Also write it to the graph store."),
        figures: Path | None = typer.Option(None, "--figures", help="Folder for PNG/HTML figures."),
        grid_spacing: float = typer.Option(0.25, help="Largest grid spacing, Å."),
        min_host_distance: float = typer.Option(
            1.0, help="Skip grid points this close to host atoms, Å."
        ),
        max_distance: float = typer.Option(4.5, help="Longest candidate hop, Å."),
        n_images: int = typer.Option(9, help="NEB images per band, ends included."),
        fmax: float = typer.Option(0.02, help="NEB convergence, eV/Å."),
        prefactor: str = typer.Option("constant", help="'constant' (1e13 Hz) or 'vineyard'."),
        guide: bool = typer.Option(
            True,
            "--guide/--no-guide",
            help="Pre-relax sites and relax the NEB bands on a spline of the NNP tabulated on the "
            "site grid, then finish sites and saddles on the NNP itself (energies and barriers "
            "stay the NNP's own); --no-guide: every step on the NNP.",
        ),
        candidates: str = typer.Option(
            "distance", help="'distance' (all pairs within --max-distance) or 'basins'."
        ),
        device: str = typer.Option("cpu", help="Torch device of the surface."),
        data_dir: Path | None = typer.Option(None, help="Embedded database folder (with --store)."),
        uri: str | None = typer.Option(None, help="Neo4j URI (with --store); default embedded."),
        quiet: bool = typer.Option(False, "--quiet", help="No progress bars."),
    ) -> None:
        """Find every metastable site and elementary hop of SAMPLE on the NNP MODEL."""
        import hashlib
        import json
        import time

        import numpy as np

        from .._paths import check_writable
        from ..contracts import hop_counts, save_network
        from ..explore import find_hops, find_sites
        from ..nnp.model import SimplifiedNNP
        from ..samples import load_sample

        t0 = time.perf_counter()
        _check_options(
            {
                "--grid-spacing": (grid_spacing, {"gt": 0, "unit": "Å"}),
                "--min-host-distance": (min_host_distance, {"ge": 0, "unit": "Å"}),
                "--max-distance": (max_distance, {"gt": 0, "unit": "Å"}),
                "--n-images": (n_images, {"ge": 3, "unit": "(both ends included)"}),
                "--fmax": (fmax, {"gt": 0, "unit": "eV/Å"}),
            },
            choices={
                "--prefactor": (prefactor, ("constant", "vineyard")),
                "--candidates": (candidates, ("distance", "basins")),
            },
            device=device,
            outputs={"--out": (out, False), "--figures": (figures, True)},
        )
        if store and data_dir is not None and uri is None:
            check_writable(data_dir, "--data-dir", directory=True)
        host = load_sample(sample)
        nnp = SimplifiedNNP.load(model)
        json_path = model if model.suffix == ".json" else model.with_name(model.name + ".json")
        if not json_path.is_file():
            json_path = model.with_suffix(".json")
        model_id = model.stem
        if json_path.is_file():
            model_id = f"{json_path.stem}-{hashlib.sha256(json_path.read_bytes()).hexdigest()[:12]}"
        surface = nnp.surface(host, device=device)
        progress = not quiet
        sites = find_sites(
            surface,
            grid_spacing=grid_spacing,
            min_host_distance=min_host_distance,
            progress=progress,
            guide=guide,
        )
        G = find_hops(
            surface,
            sites,
            max_distance=max_distance,
            n_images=n_images,
            fmax=fmax,
            prefactor=prefactor,
            guide=guide,
            candidates=candidates,
            sample_id=str(host.info.get("sample_id", Path(sample).stem)),
            progress=progress,
        )
        if hasattr(surface, "uncertainty") and G.number_of_nodes():
            import torch

            pos = torch.as_tensor(
                np.array([G.nodes[n]["position"] for n in G.nodes]),
                dtype=surface.cell.dtype,
                device=surface.cell.device,
            )
            for n, u in zip(G.nodes, surface.uncertainty(pos).detach().cpu().numpy(), strict=True):
                G.nodes[n]["uncertainty"] = float(u)
        G.graph["model_id"] = model_id
        G.graph["sites_search"] = sites.info
        for *_, d in G.edges(data=True):
            d["model_id"] = model_id
        save_network(G, out, indent=None)

        summary = {
            "sample_id": G.graph["sample_id"],
            "model_id": model_id,
            "sites": G.number_of_nodes(),
            # hops: directed edges (one per direction, as db ingest and sample_summary count);
            # pairs: undirected site pairs, one NEB each
            **hop_counts(G),
            "candidates": G.graph["search"]["candidates"],
            "rejected": G.graph["search"]["rejected"],
            "out": str(out),
        }
        if G.number_of_edges():
            b = np.array([d["barrier"] for *_, d in G.edges(data=True)])
            summary["barrier_eV"] = {
                "min": float(b.min()),
                "median": float(np.median(b)),
                "max": float(b.max()),
            }
        if figures is not None:
            from ..explore import plot_network_3d, plot_profiles, write_network_html

            summary["figures"] = [
                str(plot_profiles(G, figures / "hop_profiles.png")),
                str(plot_network_3d(G, figures / "hop_network.png", host=host)),
                str(write_network_html(G, figures / "hop_network.html")),
            ]
        if store:
            from ..graph import open_store

            with open_store(uri=uri, data_dir=data_dir) as st:
                st.apply_schema()
                st.upsert_sample(G.graph["sample_id"], n_atoms=len(host))
                summary["stored"] = st.upsert_network(G)
        summary["seconds"] = round(time.perf_counter() - t0, 2)
        typer.echo(json.dumps(summary))

    @app.command("validate-hops")
    def validate_hops_cmd(
        sample: str = typer.Argument(
            ..., help="Bundled sample name or ASE-readable structure file."
        ),
        model: Path = typer.Option(..., "--model", help="Trained SimplifiedNNP (MODEL[.json])."),
        network: Path = typer.Option(..., "--network", help="Hop network of `landscape explore`."),
        out: Path = typer.Option(..., "--out", help="Result JSON (per-hop barriers, MAE)."),
        calculator: str = typer.Option("chgnet", help="chgnet, sevennet, cp2k or module:Class."),
        calculator_kwargs: str = typer.Option(
            "", help='JSON keyword arguments of the calculator, e.g. \'{"use_device": "cuda"}\'.'
        ),
        hops: int = typer.Option(10, "--hops", help="Hops validated."),
        fmax: float = typer.Option(0.05, help="Host relaxation criterion, eV/Å."),
        relax_radius: float | None = typer.Option(None, help="Relax host atoms within this, Å."),
        max_steps: int | None = typer.Option(None, help="Host relaxation steps at most."),
        optimizer: str = typer.Option("BFGS", help="Host relaxation optimiser: BFGS, LBFGS, FIRE."),
        figure: Path | None = typer.Option(None, "--figure", help="PNG overlaying the profiles."),
        device: str = typer.Option("cpu", help="Torch device of the NNP surface."),
        quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
    ) -> None:
        """Reference energies (host relaxed) along NNP hops of SAMPLE: the barrier MAE."""
        import json

        from ..calculators import check_calculator_name, parse_calculator_kwargs
        from ..contracts import load_network
        from ..errors import InputError
        from ..explore import validate_hops
        from ..nnp.model import SimplifiedNNP
        from ..reference import get_calculator
        from ..reference.run import OPTIMIZERS
        from ..samples import load_sample

        if optimizer.upper() not in OPTIMIZERS:
            raise InputError(f"--optimizer {optimizer!r}; expected one of {list(OPTIMIZERS)}")
        _check_options(
            {
                "--hops": (hops, {"ge": 1}),
                "--fmax": (fmax, {"gt": 0, "unit": "eV/Å"}),
                "--relax-radius": (relax_radius, {"gt": 0, "unit": "Å", "optional": True}),
                "--max-steps": (max_steps, {"ge": 1, "optional": True}),
            },
            choices={},
            device=device,
            outputs={"--out": (out, False), "--figure": (figure, False)},
        )
        check_calculator_name(calculator)
        kwargs = parse_calculator_kwargs(calculator_kwargs)
        host = load_sample(sample)
        G = load_network(network)  # one-line InputError for a missing or malformed file
        if G.graph.get("sample_id") != host.info.get("sample_id"):
            raise InputError(
                f"network is of sample {G.graph.get('sample_id')!r}, not {host.info.get('sample_id')!r}"
            )
        surface = SimplifiedNNP.load(model).surface(host, device=device)
        result = validate_hops(
            surface,
            G,
            host,
            get_calculator(calculator, **kwargs),
            n_hops=hops,
            fmax=fmax,
            relax_radius=relax_radius,
            max_steps=max_steps,
            optimizer=optimizer.upper(),
            progress=not quiet,
        )
        result["calculator"] = calculator
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result))
        if figure is not None:
            from ..explore import plot_validation

            result["figure"] = str(plot_validation(result, figure))
        typer.echo(
            json.dumps(
                {
                    k: result.get(k)
                    for k in (
                        "sample_id",
                        "mae",
                        "max_abs_error",
                        "n_converged",
                        "n_band_unconverged",
                        "mae_all",
                        "n_calculations",
                        "figure",
                    )
                }  # fmt: skip
                | {"hops": len(result["hops"]), "seconds": round(result["seconds"], 2)}
            )
        )
