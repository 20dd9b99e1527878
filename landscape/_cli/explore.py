"""``landscape explore``, ``landscape validate-hops`` and ``landscape rescore-hops``: metastable
sites and hops of one sample on a trained NNP, reference energies along some of those hops, and
another model's barriers along the same bands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..config import DEFAULTS
from .options import ModelOption, StructureArgument

#: Top-level commands, merged into the root by ``add_typer`` without a name.
app = typer.Typer()

#: The constant attempt frequency as ``--prefactor``'s help writes it (``1e13``).
_PREFACTOR_HZ = f"{DEFAULTS.prefactor_hz:.0e}".replace("e+", "e")

#: Keys of the ``validate-hops`` result echoed on stdout (the full result goes to ``--out``).
_VALIDATION_KEYS = (
    "sample_id",
    "mae",
    "max_abs_error",
    "n_converged",
    "n_band_unconverged",
    "mae_all",
    "n_calculations",
    "figure",
)


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


@app.command("explore")
def explore(
    sample: StructureArgument,
    model: ModelOption,
    out: Annotated[Path, typer.Option("--out", help="Hop network, node-link JSON.")],
    store: Annotated[
        bool, typer.Option("--store", help="Also write it to the graph store.")
    ] = False,
    figures: Annotated[
        Path | None, typer.Option("--figures", help="Folder for PNG/HTML figures.")
    ] = None,
    grid_spacing: Annotated[
        float, typer.Option(help="Largest grid spacing, Å.")
    ] = DEFAULTS.grid_spacing,
    min_host_distance: Annotated[
        float, typer.Option(help="Skip grid points this close to host atoms, Å.")
    ] = DEFAULTS.min_host_distance,
    max_distance: Annotated[
        float, typer.Option(help="Longest candidate hop, Å.")
    ] = DEFAULTS.hop_max_distance,
    n_images: Annotated[
        int, typer.Option(help="NEB images per band, ends included.")
    ] = DEFAULTS.neb_images,
    fmax: Annotated[float, typer.Option(help="NEB convergence, eV/Å.")] = DEFAULTS.neb_fmax,
    prefactor: Annotated[
        str, typer.Option(help=f"'constant' ({_PREFACTOR_HZ} Hz) or 'vineyard'.")
    ] = "constant",
    guide: Annotated[
        bool,
        typer.Option(
            "--guide/--no-guide",
            help="Pre-relax sites and relax the NEB bands on a spline of the NNP tabulated on the "
            "site grid, then finish sites and saddles on the NNP itself (energies and barriers "
            "stay the NNP's own); --no-guide: every step on the NNP.",
        ),
    ] = True,
    candidates: Annotated[
        str, typer.Option(help="'distance' (all pairs within --max-distance) or 'basins'.")
    ] = "distance",
    device: Annotated[str, typer.Option(help="Torch device of the surface.")] = "cpu",
    data_dir: Annotated[
        Path | None, typer.Option(help="Embedded database folder (with --store).")
    ] = None,
    uri: Annotated[
        str | None, typer.Option(help="Neo4j URI (with --store); default embedded.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bars.")] = False,
) -> None:
    """Find every metastable site and elementary hop of SAMPLE on the NNP MODEL."""
    import json
    import time

    from .._paths import check_writable
    from ..contracts import save_network
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
    model_id = _model_id(model)
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
    _add_uncertainty(G, surface)
    G.graph["model_id"] = model_id
    G.graph["sites_search"] = sites.info
    for *_, d in G.edges(data=True):
        d["model_id"] = model_id
    save_network(G, out, indent=None)

    summary = _network_summary(G, model_id, out)
    if figures is not None:
        summary["figures"] = _write_figures(G, host, figures)
    if store:
        summary["stored"] = _store_network(G, host, uri=uri, data_dir=data_dir)
    summary["seconds"] = round(time.perf_counter() - t0, 2)
    typer.echo(json.dumps(summary))


def _model_id(model: Path) -> str:
    """The id of the NNP ``model`` stored with each hop: the stem of its JSON file and the first
    12 hex digits of the file's SHA-256 (the bare stem when the JSON file is not found)."""
    import hashlib

    json_path = model if model.suffix == ".json" else model.with_name(model.name + ".json")
    if not json_path.is_file():
        json_path = model.with_suffix(".json")
    model_id = model.stem
    if json_path.is_file():
        model_id = f"{json_path.stem}-{hashlib.sha256(json_path.read_bytes()).hexdigest()[:12]}"
    return model_id


def _add_uncertainty(G, surface) -> None:
    """Set each site's ``uncertainty`` (eV, the spread of the ensemble at the site) when the
    surface reports one."""
    if not (hasattr(surface, "uncertainty") and G.number_of_nodes()):
        return
    import numpy as np
    import torch

    pos = torch.as_tensor(
        np.array([G.nodes[n]["position"] for n in G.nodes]),
        dtype=surface.cell.dtype,
        device=surface.cell.device,
    )
    for n, u in zip(G.nodes, surface.uncertainty(pos).detach().cpu().numpy(), strict=True):
        G.nodes[n]["uncertainty"] = float(u)


def _network_summary(G, model_id: str, out: Path) -> dict:
    """The JSON line ``explore`` prints: counts of sites, hops and pairs, candidates and rejected
    pairs, and the smallest, median and largest barrier (eV)."""
    import numpy as np

    from ..contracts import hop_counts

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
    return summary


def _write_figures(G, host, figures: Path) -> list[str]:
    """Write the hop profiles, the 3-D network (PNG) and the interactive network (HTML) into the
    folder ``figures``; their paths."""
    from ..explore import plot_network_3d, plot_profiles, write_network_html

    return [
        str(plot_profiles(G, figures / "hop_profiles.png")),
        str(plot_network_3d(G, figures / "hop_network.png", host=host)),
        str(write_network_html(G, figures / "hop_network.html")),
    ]


def _store_network(G, host, *, uri: str | None, data_dir: Path | None) -> dict:
    """Write the sample and its hop network into the graph store; the counts written."""
    from ..graph import open_store

    with open_store(uri=uri, data_dir=data_dir) as st:
        st.apply_schema()
        st.upsert_sample(G.graph["sample_id"], n_atoms=len(host))
        return st.upsert_network(G)


@app.command("validate-hops")
def validate_hops_cmd(
    sample: StructureArgument,
    model: ModelOption,
    network: Annotated[Path, typer.Option("--network", help="Hop network of `landscape explore`.")],
    out: Annotated[Path, typer.Option("--out", help="Result JSON (per-hop barriers, MAE).")],
    calculator: Annotated[
        str, typer.Option(help="chgnet, sevennet, cp2k or module:Class.")
    ] = "chgnet",
    calculator_kwargs: Annotated[
        str,
        typer.Option(
            help='JSON keyword arguments of the calculator, e.g. \'{"use_device": "cuda"}\'.'
        ),
    ] = "",
    hops: Annotated[int, typer.Option("--hops", help="Hops validated.")] = 10,
    fmax: Annotated[
        float, typer.Option(help="Host relaxation criterion, eV/Å.")
    ] = DEFAULTS.host_fmax,
    relax_radius: Annotated[
        float | None, typer.Option(help="Relax host atoms within this, Å.")
    ] = None,
    max_steps: Annotated[int | None, typer.Option(help="Host relaxation steps at most.")] = None,
    optimizer: Annotated[
        str, typer.Option(help="Host relaxation optimiser: BFGS, LBFGS, FIRE.")
    ] = DEFAULTS.host_optimizer,
    figure: Annotated[
        Path | None, typer.Option("--figure", help="PNG overlaying the profiles.")
    ] = None,
    device: Annotated[str, typer.Option(help="Torch device of the NNP surface.")] = "cpu",
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
) -> None:
    """Reference energies (host relaxed) along NNP hops of SAMPLE: the barrier MAE."""

    from ..calculators import check_calculator_name, parse_calculator_kwargs
    from ..contracts import load_network
    from ..errors import InputError
    from ..explore import validate_hops
    from ..nnp.model import SimplifiedNNP
    from ..reference import get_calculator
    from ..reference.relax import OPTIMIZERS
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
    result["model_id"] = _model_id(model)  # provenance: which model made the bands, and how
    result["settings"] = {"hops": hops, "fmax": fmax, "relax_radius": relax_radius}
    result["settings"] |= {"max_steps": max_steps, "optimizer": optimizer.upper()}
    _write_validation(result, out, figure, {"seconds": round(result["seconds"], 2)})


def _write_validation(result: dict, out: Path, figure: Path | None, echoed: dict) -> None:
    """Write a validate-hops or rescore-hops ``result`` to ``out`` (JSON) and its figure to
    ``figure``, and echo its summary (:data:`_VALIDATION_KEYS`, the hop count and ``echoed``)."""
    import json

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result))
    if figure is not None:
        from ..explore import plot_validation

        result["figure"] = str(plot_validation(result, figure))
    summary = {k: result.get(k) for k in _VALIDATION_KEYS} | {"hops": len(result["hops"])}
    typer.echo(json.dumps(summary | echoed))


@app.command("rescore-hops")
def rescore_hops_cmd(
    sample: StructureArgument,
    model: ModelOption,
    validation: Annotated[
        Path, typer.Option("--validation", help="A `landscape validate-hops` result (JSON).")
    ],
    out: Annotated[Path, typer.Option("--out", help="Result JSON (per-hop barriers, MAE).")],
    figure: Annotated[
        Path | None, typer.Option("--figure", help="PNG overlaying the profiles.")
    ] = None,
    device: Annotated[str, typer.Option(help="Torch device of the NNP surface.")] = "cpu",
) -> None:
    """MODEL's barriers along the bands of an earlier validation of SAMPLE: no reference
    calculation, seconds instead of an hour; two models compared on the same paths."""

    from ..explore import rescore_validation
    from ..nnp.model import SimplifiedNNP
    from ..reference.crosscheck_plan import load_validation
    from ..samples import load_sample

    _check_options(
        {}, choices={}, device=device, outputs={"--out": (out, False), "--figure": (figure, False)}
    )
    host = load_sample(sample)
    sid = host.info.get("sample_id")
    hops = load_validation(validation, sid, option="--validation")
    surface = SimplifiedNNP.load(model).surface(host, device=device)
    result = rescore_validation(surface, {"sample_id": sid, "hops": hops})
    result["validation"] = str(validation)
    result["model_id"] = _model_id(model)
    _write_validation(result, out, figure, {"before": result["rescored"]})
