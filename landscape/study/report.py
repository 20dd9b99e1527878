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
from ..kinetics.distribution import describe_distribution
from .summary import DISTRIBUTION_LABELS, d_tmax_label, describe_measurement

__all__ = [
    "Figure",
    "barrier_histograms",
    "experiment_arrhenius",
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


def experiment_arrhenius(kinetics: Mapping[str, dict], compare: dict, path: str | Path) -> Path:
    """Arrhenius plot of every sample's computed D(T) beside the measurement, written as PNG.

    Parameters
    ----------
    kinetics : mapping of sample_id -> kinetics summary
        :func:`~landscape.kinetics.kinetics_summary` dicts: ``temperatures_K`` (K), ``D_cm2_s``,
        ``Ea_eV`` (eV) and ``D0_cm2_s`` (cm²/s) per method; the exact method is drawn where
        present, else KMC.
    compare : dict
        The summary's ``compare`` block (:func:`~landscape.study.summary.experiment_comparison`);
        its ``measured`` ``D0_cm2_s`` (cm²/s), ``Ea_eV`` (eV) and ``temperatures_K`` ([T_min,
        T_max], K) give the measured line.
    path : str or Path
        Output PNG file.

    Notes
    -----
    log D against 1000/T with a top axis in K: each sample's D points and its Arrhenius fit (solid
    over the study's temperatures, dotted where extrapolated to the measured range), and the
    measured ``D0 · exp(−Eₐ / k_B T)`` dashed over its temperature range, where D0 and the range
    are given.
    """
    from ..units import K_B

    plt = pyplot()
    measured = compare["measured"]
    m_T = measured.get("temperatures_K")
    m_D0 = measured.get("D0_cm2_s")
    fig, ax = plt.subplots(figsize=(6.0, 4.5), dpi=120)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for n, (sid, k) in enumerate(kinetics.items()):
        color = colors[n % len(colors)]
        method = "exact" if "exact" in k["D_cm2_s"] else "kmc"
        inv = 1000.0 / np.asarray(k["temperatures_K"], dtype=float)
        D = np.asarray(k["D_cm2_s"][method], dtype=float)
        ok = np.isfinite(D) & (D > 0)
        ax.plot(inv[ok], D[ok], "o", color=color, mfc="none", mew=1.5, ms=6)
        Ea, D0 = k.get("Ea_eV", {}).get(method), k.get("D0_cm2_s", {}).get(method)
        if Ea is None or D0 is None:
            continue
        grid = np.linspace(inv.min(), inv.max(), 50)
        ax.plot(grid, D0 * np.exp(-Ea * grid / (1000.0 * K_B)), "-", color=color, lw=1.2,
                label=f"{sid} ({method}): Eₐ = {Ea:.3f} eV")  # fmt: skip
        if m_T is not None:  # the fit carried to the measured range
            lo, hi = min(inv.min(), 1000.0 / m_T[1]), max(inv.max(), 1000.0 / m_T[0])
            wide = np.linspace(lo, hi, 100)
            ax.plot(wide, D0 * np.exp(-Ea * wide / (1000.0 * K_B)), ":", color=color, lw=1)
    err = measured.get("Ea_err_eV")
    label = f"measured: Eₐ = {measured['Ea_eV']:g}" + (f" ± {err:g}" if err else "") + " eV"
    if m_D0 is not None and m_T is not None:
        inv_m = np.linspace(1000.0 / m_T[1], 1000.0 / m_T[0], 50)
        ax.plot(inv_m, m_D0 * np.exp(-measured["Ea_eV"] * inv_m / (1000.0 * K_B)), "--",
                color="k", lw=2, label=label)  # fmt: skip
    else:
        ax.text(0.02, 0.03, f"{label} (no D0 or range given)", transform=ax.transAxes, fontsize=8)
    ax.set_yscale("log")
    ax.set_xlabel("1000 / T (1/K)")
    ax.set_ylabel("D (cm²/s)")
    top = ax.secondary_xaxis("top", functions=(lambda x: 1000.0 / np.maximum(x, 1e-9),) * 2)
    top.set_xlabel("T (K)")
    ax.set_title(measured.get("label") or "computed and measured D", fontsize=10, pad=28)
    ax.legend(fontsize=8, frameon=False)
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    fig.savefig(path)
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
        ("hop_max_distance_A", "hop distance (Å)"),
        ("median_barrier_eV", "median barrier (eV)"),
        ("percolation_barrier_eV", "percolation barrier (eV)"),
        ("Ea_exact", "Eₐ exact (eV)"),
        ("Ea_model_std_eV", "± ensemble (eV)"),
        ("Ea_kmc", "Eₐ KMC (eV)"),
        ("D_cm2_s_300K", "D(300 K) exact (cm²/s)"),
        ("D_cm2_s_Tmax", f"{d_tmax_label(summary.get('samples', []))} (cm²/s)"),
    ]
    parts.extend(f"<th>{html.escape(label)}</th>" for _, label in cols)
    parts.append("</tr>")
    for row in summary.get("samples", []):
        flat = dict(row)
        flat["Ea_exact"] = row.get("Ea_eV", {}).get("exact")
        flat["Ea_kmc"] = row.get("Ea_eV", {}).get("kmc")
        parts.append("<tr>" + "".join(f"<td>{_fmt(flat.get(k))}</td>" for k, _ in cols) + "</tr>")
    parts.append("</table>")
    spread = describe_distribution(summary.get("distribution") or {}, DISTRIBUTION_LABELS)
    if spread:  # two samples or more: the material as a distribution
        parts.append(f"<p><b>Samples as a distribution</b>, {html.escape(spread)}.</p>")
    if any(r.get("hop_max_distance_auto") for r in summary.get("samples", [])):
        parts.append(
            "<p class='note'>hop distance: the largest site–site distance of a candidate hop. "
            'With <code>hops.max_distance = "auto"</code> it is 1.6 × (V / N_sites)^(1/3) '
            "clipped to [2, 6] Å (V the cell volume, N_sites the sites of the site search, before the "
            "hop search adds the minima it finds inside bands), per sample.</p>"
        )
    if any(r.get("Ea_model_std_eV") is not None for r in summary.get("samples", [])):
        parts.append(
            "<p class='note'>± ensemble: standard deviation of the activation energies of the "
            "NNP ensemble's members, each read at the same sites and saddles (exact diffusion "
            "coefficient, Arrhenius fit): the model uncertainty of Eₐ. It is large where the "
            "reference data do not pin the surface down, such as a sample the NNP was not trained "
            "on; it does not include the reference method's own error.</p>"
        )
    compare = summary.get("compare")
    if compare:
        parts.extend(_experiment_html(compare, [f for f in figures if f.section == "Experiment"]))
        figures = [f for f in figures if f.section != "Experiment"]
    section = None
    for fig in figures:
        if fig.section != section:
            section = fig.section
            parts.append(f"<h2>{html.escape(section)}</h2>")
        parts.append(_figure_html(fig))
    parts.append("</body></html>")
    path = out_dir / "index.html"
    path.write_text("\n".join(parts))
    return path


def _figure_html(fig: Figure) -> str:
    img = f"<img src='{html.escape(fig.path)}' alt='{html.escape(fig.caption)}'>"
    caption = html.escape(fig.caption)
    if fig.link:
        href = html.escape(fig.link)
        img = f"<a href='{href}'>{img}</a>"
        caption += f" (<a href='{href}'>interactive 3D view</a>)"
    return f"<figure>{img}<figcaption>{caption}</figcaption></figure>"


_TERMS = {"Ea_stderr_eV": "fit", "Ea_model_std_eV": "ensemble"}


def _signed(value: float | None, spec: str) -> str | None:
    return None if value is None else format(value, "+" + spec)


def _experiment_html(compare: dict, figures: Sequence[Figure]) -> list[str]:
    """The report's "Experiment" section: the measurement with its source, per sample the
    computed Eₐ, computed − measured and its uncertainty (eV), the D ratios, then ``figures``."""
    measured = compare["measured"]
    parts = [
        "<h2>Experiment</h2>",
        f"<p>{html.escape(describe_measurement(measured))}</p>",
        "<table><tr><th>sample</th><th>method</th><th>Eₐ (eV)</th><th>u<sub>c</sub> (eV)</th>"
        "<th>u<sub>c</sub> from</th><th>computed − measured (eV)</th><th>± combined (eV)</th>"
        "<th>σ</th>",
    ]
    ratios = measured.get("D0_cm2_s") is not None and measured.get("temperatures_K")
    if ratios:
        lo, hi = measured["temperatures_K"]
        parts.append(
            f"<th>D computed / measured at {lo:g} K</th><th>… at {hi:g} K</th><th>extrapolated</th>"
        )
    parts.append("</tr>")
    for r in compare["samples"]:
        terms = [_TERMS[t] for t in r["uncertainty_terms"]]
        cells = [r["sample_id"], r["method"], r["Ea_eV"], r["Ea_uncertainty_eV"]]
        cells += [", ".join(terms) or "none", _signed(r["difference_eV"], ".3f")]
        cells += [r["combined_uncertainty_eV"], _signed(r["difference_sigma"], ".2f")]
        if ratios and r["D_ratio_T_min"] is not None:
            extrapolated = "yes" if r["D_extrapolated"] else "no"
            cells += [f"{r['D_ratio_T_min']:.3g}", f"{r['D_ratio_T_max']:.3g}", extrapolated]
        elif ratios:
            cells += [None, None, None]
        parts.append("<tr>" + "".join(f"<td>{_fmt(c)}</td>" for c in cells) + "</tr>")
    parts.append("</table>")
    mean = compare["mean"]
    if mean["n_samples"]:
        spread = mean["Ea_spread_eV"]
        parts.append(
            f"<p>Mean over {mean['n_samples']} samples: Eₐ = {mean['Ea_eV']:.3f} eV"
            + ("" if spread is None else f" (spread {spread:.3f} eV)")
            + f", computed − measured = {mean['difference_eV']:+.3f} eV.</p>"
        )
    parts.append(
        "<p class='note'>u<sub>c</sub> = sqrt(stderr² + ensemble std²) of the computed Eₐ (a "
        "term that is not available counts 0); ± combined = sqrt(u<sub>c</sub>² + measured "
        "error²); σ = difference / combined uncertainty. D computed is the sample's own "
        "Arrhenius fit, an extrapolation where the measured range leaves the study's "
        "temperatures.</p>"
    )
    parts.extend(_figure_html(f) for f in figures)
    return parts


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
    if summary.get("compare"):
        experiment_arrhenius(kinetics, summary["compare"], figs_dir / "experiment.png")
        figures.append(
            Figure(
                "figures/experiment.png",
                "Computed D(T) per sample (points, Arrhenius fit; dotted: extrapolated) and the "
                "measured D0·exp(−Eₐ/kT) over its temperature range (dashed)",
                "Experiment",
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
