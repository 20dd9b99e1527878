"""The study report: PNG figures and one HTML page that shows them with the summary table.

Figures are drawn with matplotlib's Agg backend. The HTML page is static and self-contained apart
from its PNG files (no scripts, no network), so it renders the same in any browser. Each sample's
network figure links to an interactive 3D view, ``figures/network-<sample>.html``
(:func:`landscape.graph.view.write_network_view`), which loads plotly.js from the one
``figures/plotly.min.js`` beside it: the report works offline as a folder.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np

from .._plotting import pyplot

__all__ = [
    "Figure",
    "barrier_histograms",
    "network_view",
    "sample_comparison",
    "study_report",
    "write_report",
]


@dataclass
class Figure:
    """One figure of the report: a PNG file (relative to the report folder) and its caption;
    ``link``: a page (relative to the report folder) the figure opens, such as its 3D view."""

    path: str
    caption: str
    section: str = "Figures"
    link: str | None = None


def barrier_histograms(networks: dict[str, nx.MultiDiGraph], path: str | Path) -> Path:
    """Histogram of hop barriers (eV) per sample, one panel per sample, written as PNG.

    Parameters
    ----------
    networks : dict of sample_id -> hop network
        Hop networks in the contract of docs/design.md (edge attribute ``barrier``, eV).
    path : str or Path
        Output PNG file.
    """
    plt = pyplot()
    n = max(len(networks), 1)
    fig, axes = plt.subplots(1, n, figsize=(4.0 * n, 3.2), squeeze=False, sharey=True)
    all_b = [d["barrier"] for G in networks.values() for *_, d in G.edges(data=True)]
    bins = np.linspace(0.0, max(all_b) if all_b else 1.0, 30)
    for ax, (sid, G) in zip(axes[0], networks.items(), strict=False):
        b = np.array([d["barrier"] for *_, d in G.edges(data=True)])
        ax.hist(b, bins=bins, color="#4477aa", edgecolor="white")
        if len(b):
            ax.axvline(
                np.median(b), color="#cc3311", ls="--", label=f"median {np.median(b):.2f} eV"
            )
            ax.legend(frameon=False, fontsize=8)
        ax.set_title(f"{sid}: {G.number_of_nodes()} sites, {G.number_of_edges()} hops", fontsize=9)
        ax.set_xlabel("barrier (eV)")
    axes[0][0].set_ylabel("directed hops")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def sample_comparison(rows: Sequence[dict], path: str | Path) -> Path:
    """Bar chart comparing samples: activation energies (eV, both methods) and percolation barrier.

    Parameters
    ----------
    rows : sequence of dict
        One per sample with ``sample_id``, ``Ea_eV`` ({"exact", "kmc"}, eV or None),
        ``percolation_barrier_eV`` (eV or None) and optionally ``Ea_model_std_eV`` (eV: the
        ensemble spread of Eₐ, drawn as an error bar on the exact one).
    path : str or Path
        Output PNG file.
    """
    plt = pyplot()
    ids = [r["sample_id"] for r in rows]
    x = np.arange(len(ids))
    series = [
        ("Eₐ exact", [r["Ea_eV"].get("exact") for r in rows], "#4477aa"),
        ("Eₐ KMC", [r["Ea_eV"].get("kmc") for r in rows], "#66ccee"),
        ("percolation barrier", [r.get("percolation_barrier_eV") for r in rows], "#ee6677"),
    ]
    fig, ax = plt.subplots(figsize=(max(4.5, 1.8 * len(ids) + 2), 3.4))
    width = 0.26
    spread = np.array(
        [np.nan if r.get("Ea_model_std_eV") is None else r["Ea_model_std_eV"] for r in rows],
        dtype=float,
    )
    for k, (label, values, color) in enumerate(series):
        v = np.array([np.nan if y is None else y for y in values], dtype=float)
        err = spread if k == 0 and np.isfinite(spread).any() else None
        if err is not None:
            label = f"{label} ± ensemble"
        ax.bar(x + (k - 1) * width, v, width, label=label, color=color, yerr=err, capsize=3)
    ax.set_xticks(x, ids)
    ax.set_ylabel("energy (eV)")
    ax.set_title("Sample comparison")
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;
max-width:1100px;color:#222;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em}
table{border-collapse:collapse;margin:1em 0;font-size:.92em}
th,td{border:1px solid #ccc;padding:.3em .6em;text-align:right}th{background:#f3f3f3}
td:first-child,th:first-child{text-align:left}
figure{display:inline-block;margin:.6em;vertical-align:top;max-width:100%}
figure img{max-width:100%;border:1px solid #eee}figcaption{font-size:.88em;color:#555;max-width:640px}
.note{color:#555;font-size:.9em}
"""


def _fmt(value: object, digits: int = 3) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5):
            return f"{value:.{digits}e}"
        return f"{value:.{digits}f}"
    return html.escape(str(value))


def write_report(out_dir: str | Path, summary: dict, figures: Sequence[Figure]) -> Path:
    """Write ``out_dir/index.html`` (and ``summary.json``) from a study summary and its figures.

    Parameters
    ----------
    out_dir : str or Path
        Report folder; figure paths are relative to it.
    summary : dict
        The study summary (``nnp``, ``samples`` rows, ``meta``), as written to ``summary.json``.
    figures : sequence of Figure
        Figures to show, grouped by ``section`` in the given order.

    Returns
    -------
    Path
        The HTML file.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    meta = summary.get("meta", {})
    nnp = summary.get("nnp", {})
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>landscape — {html.escape(str(meta.get('study', 'study')))}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>landscape study: {html.escape(str(meta.get('study', '')))}</h1>",
        "<p class='note'>Diffusion of the mobile atom "
        f"{html.escape(str(meta.get('species', '')))} with a simplified neural-network potential. "
        f"Reference energies: {html.escape(str(meta.get('reference', '')))}. "
        "Units: eV, Å, K; D in cm²/s.</p>",
        "<h2>Potential</h2><table><tr><th>quantity</th><th>value</th></tr>",
    ]
    for key, value in nnp.items():
        parts.append(f"<tr><td>{html.escape(key)}</td><td>{_fmt(value, 4)}</td></tr>")
    parts.append("</table><h2>Samples</h2><table><tr>")
    cols = [
        ("sample_id", "sample"),
        ("n_sites", "sites"),
        ("n_hops", "hops"),
        ("n_pairs", "pairs"),
        ("median_barrier_eV", "median barrier (eV)"),
        ("percolation_barrier_eV", "percolation barrier (eV)"),
        ("Ea_exact", "Eₐ exact (eV)"),
        ("Ea_model_std_eV", "± ensemble (eV)"),
        ("Ea_kmc", "Eₐ KMC (eV)"),
        ("D_cm2_s_300K", "D(300 K) exact (cm²/s)"),
        ("D_cm2_s_700K", "D(700 K) (cm²/s)"),
    ]
    parts.extend(f"<th>{html.escape(label)}</th>" for _, label in cols)
    parts.append("</tr>")
    for row in summary.get("samples", []):
        flat = dict(row)
        flat["Ea_exact"] = row.get("Ea_eV", {}).get("exact")
        flat["Ea_kmc"] = row.get("Ea_eV", {}).get("kmc")
        parts.append("<tr>" + "".join(f"<td>{_fmt(flat.get(k))}</td>" for k, _ in cols) + "</tr>")
    parts.append("</table>")
    if any(r.get("Ea_model_std_eV") is not None for r in summary.get("samples", [])):
        parts.append(
            "<p class='note'>± ensemble: standard deviation of the activation energies of the "
            "NNP ensemble's members, each read at the same sites and saddles (exact diffusion "
            "coefficient, Arrhenius fit): the model uncertainty of Eₐ. It is large where the "
            "reference data do not pin the surface down, such as a sample the NNP was not trained "
            "on; it does not include the reference method's own error.</p>"
        )
    section = None
    for fig in figures:
        if fig.section != section:
            section = fig.section
            parts.append(f"<h2>{html.escape(section)}</h2>")
        img = f"<img src='{html.escape(fig.path)}' alt='{html.escape(fig.caption)}'>"
        caption = html.escape(fig.caption)
        if fig.link:
            href = html.escape(fig.link)
            img = f"<a href='{href}'>{img}</a>"
            caption += f" (<a href='{href}'>interactive 3D view</a>)"
        parts.append(f"<figure>{img}<figcaption>{caption}</figcaption></figure>")
    parts.append("</body></html>")
    path = out_dir / "index.html"
    path.write_text("\n".join(parts))
    return path


def network_view(
    G: nx.MultiDiGraph, path: Path, host=None, *, sample_id: str | None = None
) -> Path:
    """The interactive 3D view of one sample's network for the report (plotly.js in a shared
    ``plotly.min.js`` beside ``path``): host atoms, sites by energy (eV), hops by barrier (eV).

    ``host`` (an :class:`ase.Atoms` in the network's cell, Å) defaults to the bundled sample named
    ``sample_id``; without one, or when its cell differs, the view has no host atoms.
    """
    from ..errors import InputError
    from ..graph.view import CELL_TOLERANCE, network_host, write_network_view

    if host is None and sample_id is not None:
        try:
            host = network_host(sample_id)
        except InputError:
            host = None
    cell = np.asarray(G.graph["cell"], dtype=float)
    if host is not None and not np.allclose(
        np.asarray(host.cell, dtype=float), cell, rtol=0.0, atol=CELL_TOLERANCE
    ):
        host = None
    return write_network_view(G, path, host, plotlyjs="directory")


def study_report(
    out: Path,
    summary: dict,
    model,
    networks,
    kinetics,
    validation=None,
    hosts: Mapping | None = None,
) -> Path:
    """The study's figures and ``index.html`` in ``out`` (:func:`write_report`); returns the page.

    Draws the NNP parity plot (for a model fitted in this run), the barrier histograms, and per
    sample the hop profiles, the validated hops, the network in its cell (linked to its
    interactive 3D view, :func:`network_view`, with the host atoms of ``hosts[sample_id]`` or of
    the bundled sample of that name) and the Arrhenius plot, then the sample comparison.
    """
    figs_dir = out / "figures"
    figs_dir.mkdir(exist_ok=True)
    figures: list[Figure] = []
    if getattr(model, "predictions_", None) is not None:  # fitted in this run (not loaded)
        from ..nnp.plots import parity_plot

        parity_plot(model, figs_dir / "parity.png")
        figures.append(
            Figure("figures/parity.png", "NNP vs reference insertion energies", "Potential")
        )
    barrier_histograms(networks, figs_dir / "barriers.png")
    figures.append(Figure("figures/barriers.png", "Hop barriers per sample (eV)", "Hop networks"))
    from ..explore import plot_network_3d, plot_profiles
    from ..kinetics import plot_arrhenius

    for sid, G in networks.items():
        plot_profiles(G, figs_dir / f"profiles-{sid}.png")
        figures.append(
            Figure(
                f"figures/profiles-{sid}.png",
                f"{sid}: energy profiles of hops (NNP)",
                "Hop networks",
            )
        )
        v = (validation or {}).get(sid)
        if v is not None:
            from ..explore import describe_validation, plot_validation

            plot_validation(v, figs_dir / f"validation-{sid}.png")
            figures.append(
                Figure(
                    f"figures/validation-{sid}.png",
                    f"{sid}: NNP vs {v.get('calculator', 'reference')} along {len(v['hops'])} "
                    f"hops (host relaxed at every image); {describe_validation(v)}",
                    "Hop networks",
                )
            )
        plot_network_3d(G, figs_dir / f"network-{sid}.png")
        network_view(G, figs_dir / f"network-{sid}.html", (hosts or {}).get(sid), sample_id=sid)
        figures.append(
            Figure(
                f"figures/network-{sid}.png",
                f"{sid}: sites and hops in the cell",
                "Hop networks",
                link=f"figures/network-{sid}.html",
            )
        )
        plot_arrhenius(kinetics[sid], figs_dir / f"arrhenius-{sid}.png", title=sid)
        figures.append(
            Figure(
                f"figures/arrhenius-{sid}.png", f"{sid}: Arrhenius plot, exact and KMC", "Kinetics"
            )
        )
    sample_comparison(summary["samples"], figs_dir / "comparison.png")
    figures.append(
        Figure(
            "figures/comparison.png",
            "Activation energy (error bar: spread of the NNP ensemble members) and percolation "
            "barrier per sample",
            "Comparison",
        )
    )
    return write_report(out, summary, figures)
