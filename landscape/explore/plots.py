"""Figures of a hop network: energy profiles and barrier distribution, a 3D view of sites and hops.

Both take any network that follows the hop-network contract of docs/design.md (the output of
:func:`landscape.explore.find_hops`, or its node-link JSON read back) and write PNG files with the
matplotlib Agg backend. :func:`write_network_html` writes a self-contained interactive view (inline
SVG and a few lines of JavaScript, no external library) that can be rotated with the mouse.
"""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import numpy as np

from .._plotting import pyplot
from ..errors import InputError

__all__ = [
    "plot_profiles",
    "plot_network_3d",
    "write_network_html",
    "hop_segments",
    "plot_validation",
]


def _one_direction(G: nx.MultiDiGraph) -> list[tuple[int, int, dict]]:
    """One edge per hop: the direction with the lower starting energy (ties: lower index)."""
    out = []
    for u, v, d in G.edges(data=True):
        eu, ev = G.nodes[u]["energy"], G.nodes[v]["energy"]
        if (eu, u, tuple(d["shift"])) <= (ev, v, tuple(-s for s in d["shift"])):
            out.append((u, v, d))
    return out


def hop_segments(G: nx.MultiDiGraph) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """Line segments (Å) to draw each hop inside the cell: for a hop i→j, site i to the saddle (or
    the midpoint) and site j to the same saddle seen from j's image, so hops across the boundary
    stay in view.
    Returns ``(start, end, barrier)`` triples, the barrier (eV) of the lower-energy direction."""
    cell = np.asarray(G.graph["cell"], dtype=float)
    segs = []
    for u, v, d in _one_direction(G):
        pu, pv = np.asarray(G.nodes[u]["position"]), np.asarray(G.nodes[v]["position"])
        disp = pv + np.asarray(d["shift"]) @ cell - pu
        mid = np.asarray(d["saddle"], dtype=float) if "saddle" in d else pu + 0.5 * disp
        segs.append((pu, mid, float(d["barrier"])))
        segs.append((pv, mid - disp + (pv - pu), float(d["barrier"])))
    return segs


def plot_profiles(G: nx.MultiDiGraph, path: str | Path, *, max_hops: int = 60) -> Path:
    """Energy profiles of the hops (left) and the distribution of barriers (right), as a PNG.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        A hop network with ``profile`` (eV) and ``path_length`` or ``length`` (Å) on its edges.
    path : str or Path
        Output file.
    max_hops : int
        Profiles drawn at most (evenly spread over the hops sorted by barrier).

    Returns
    -------
    Path
        The file written.
    """
    plt = pyplot()
    hops = _one_direction(G)
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.2))
    if hops:
        hops.sort(key=lambda h: h[2]["barrier"])
        pick = np.unique(np.linspace(0, len(hops) - 1, min(max_hops, len(hops))).astype(int))
        cmap = plt.get_cmap("viridis")
        bmax = max(h[2]["barrier"] for h in hops) or 1.0
        for k in pick:
            u, _, d = hops[k]
            prof = np.asarray(d.get("profile", []), dtype=float)
            if len(prof) < 2:
                continue
            length = d.get("path_length", d.get("length", 1.0))
            s = np.linspace(0.0, length, len(prof))
            ax.plot(s, prof - prof[0], "-o", ms=2.5, lw=1, color=cmap(d["barrier"] / bmax))
        barriers = np.array([d["barrier"] for *_, d in G.edges(data=True)])
        bx.hist(barriers, bins=min(40, max(5, len(barriers) // 5)), color="0.35")
        bx.axvline(
            np.median(barriers), color="C3", lw=1, label=f"median {np.median(barriers):.3f} eV"
        )
        bx.legend(frameon=False)
    else:
        ax.text(0.5, 0.5, "no elementary hop", ha="center", transform=ax.transAxes)
    ax.set_xlabel("distance along the path (Å)")
    ax.set_ylabel("E − E(start) (eV)")
    ax.set_title(
        f"{len(hops)} hops of {G.graph.get('sample_id', '')} (profiles, lower-energy start)"
    )
    bx.set_xlabel("barrier (eV), both directions")
    bx.set_ylabel("edges")
    bx.set_title("barrier distribution")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path


def _cell_edges(cell: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    corners = {c: np.asarray(c) @ cell for c in np.ndindex(2, 2, 2)}
    return [
        (corners[a], corners[b])
        for a in corners
        for b in corners
        if a < b and sum(x != y for x, y in zip(a, b, strict=True)) == 1
    ]


def plot_network_3d(
    G: nx.MultiDiGraph, path: str | Path, *, host=None, elev: float = 22.0, azim: float = -58.0
) -> Path:
    """3D view of the sites (coloured by energy) and hops (coloured by barrier) in the cell, PNG.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        A hop network.
    path : str or Path
        Output file.
    host : ase.Atoms, optional
        Host atoms drawn as small grey points.
    elev, azim : float
        View angles, degrees.

    Returns
    -------
    Path
        The file written.
    """
    plt = pyplot()
    from matplotlib.collections import LineCollection  # noqa: F401  (registers 2D collections)
    from mpl_toolkits.mplot3d.art3d import Line3DCollection

    if G.number_of_nodes() == 0:
        raise InputError("the network has no site to draw")
    cell = np.asarray(G.graph["cell"], dtype=float)
    pos = np.array([G.nodes[n]["position"] for n in G.nodes])
    energy = np.array([G.nodes[n]["energy"] for n in G.nodes])
    fig = plt.figure(figsize=(8.5, 7))
    ax = fig.add_subplot(projection="3d")
    ax.add_collection3d(Line3DCollection(_cell_edges(cell), colors="0.6", lw=0.8))
    if host is not None:
        hp = host.get_positions(wrap=True)
        ax.scatter(*hp.T, s=6, c="0.75", depthshade=False, label="host atoms")
    segs = hop_segments(G)
    if segs:
        barriers = np.array([b for *_, b in segs])
        lc = Line3DCollection([(a, b) for a, b, _ in segs], cmap="plasma", lw=1.2)
        lc.set_array(barriers)
        ax.add_collection3d(lc)
        fig.colorbar(lc, ax=ax, shrink=0.55, pad=0.1, label="barrier (eV)")
    sc = ax.scatter(
        *pos.T, c=energy, cmap="viridis", s=28, depthshade=False, edgecolors="k", lw=0.3
    )
    fig.colorbar(sc, ax=ax, shrink=0.55, pad=0.0, location="left", label="site energy (eV)")
    lim = np.array([c for e in _cell_edges(cell) for c in e])
    ax.set_xlim(lim[:, 0].min(), lim[:, 0].max())
    ax.set_ylim(lim[:, 1].min(), lim[:, 1].max())
    ax.set_zlim(lim[:, 2].min(), lim[:, 2].max())
    ax.set_box_aspect(np.ptp(lim, axis=0))
    ax.set_xlabel("x (Å)")
    ax.set_ylabel("y (Å)")
    ax.set_zlabel("z (Å)")
    ax.view_init(elev=elev, azim=azim)
    n_hops = len(segs) // 2
    ax.set_title(f"{G.graph.get('sample_id', '')}: {len(pos)} sites, {n_hops} hops")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path


_HTML = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>%(title)s</title>
<style>body{font-family:sans-serif;margin:1em}svg{border:1px solid #ccc;background:#fff}</style>
</head><body><h3>%(title)s</h3>
<p>Drag to rotate. Sites coloured by energy (blue low, yellow high), hops by barrier (dark low,
bright high). Hover a site for its index and energy.</p>
<svg id="v" width="720" height="720" viewBox="-360 -360 720 720"></svg>
<script>
const D = %(data)s;
const svg = document.getElementById("v");
let a = 0.6, b = 0.35, drag = null;
function col(t, hi) { t = Math.max(0, Math.min(1, t));
  return hi ? `hsl(${280 - 240 * t},85%%,${25 + 35 * t}%%)` : `hsl(${240 - 180 * t},70%%,${35 + 25 * t}%%)`; }
function proj(p) { const c = D.center, s = D.scale;
  let x = p[0] - c[0], y = p[1] - c[1], z = p[2] - c[2];
  const x1 = x * Math.cos(a) - y * Math.sin(a), y1 = x * Math.sin(a) + y * Math.cos(a);
  const y2 = y1 * Math.cos(b) - z * Math.sin(b), z2 = y1 * Math.sin(b) + z * Math.cos(b);
  return [x1 * s, -z2 * s, y2]; }
function draw() {
  let h = "";
  for (const [p, q] of D.cell) { const u = proj(p), v = proj(q);
    h += `<line x1="${u[0]}" y1="${u[1]}" x2="${v[0]}" y2="${v[1]}" stroke="#bbb"/>`; }
  for (const [p, q, t] of D.hops) { const u = proj(p), v = proj(q);
    h += `<line x1="${u[0]}" y1="${u[1]}" x2="${v[0]}" y2="${v[1]}" stroke="${col(t, 1)}" stroke-width="1.5"/>`; }
  const order = D.sites.map((s, i) => [proj(s.p)[2], i]).sort((x, y) => x[0] - y[0]);
  for (const [, i] of order) { const s = D.sites[i], u = proj(s.p);
    h += `<circle cx="${u[0]}" cy="${u[1]}" r="5" fill="${col(s.t, 0)}" stroke="#000" stroke-width="0.4"><title>site ${s.i}: ${s.e.toFixed(4)} eV</title></circle>`; }
  svg.innerHTML = h; }
svg.onmousedown = e => drag = [e.clientX, e.clientY, a, b];
window.onmouseup = () => drag = null;
window.onmousemove = e => { if (!drag) return;
  a = drag[2] + (e.clientX - drag[0]) * 0.01; b = drag[3] + (e.clientY - drag[1]) * 0.01; draw(); };
draw();
</script></body></html>
"""


def write_network_html(G: nx.MultiDiGraph, path: str | Path) -> Path:
    """A self-contained interactive HTML view (inline SVG, rotate by dragging) of a hop network.

    Returns the file written.
    """
    cell = np.asarray(G.graph["cell"], dtype=float)
    energy = np.array([G.nodes[n]["energy"] for n in G.nodes], dtype=float)
    e0, e1 = (energy.min(), energy.max()) if len(energy) else (0.0, 1.0)
    segs = hop_segments(G)
    b = np.array([s[2] for s in segs]) if segs else np.zeros(1)
    b0, b1 = b.min(), b.max()
    diag = np.linalg.norm(cell.sum(axis=0))
    data = {
        "center": (cell.sum(axis=0) / 2).tolist(),
        "scale": 600.0 / diag,
        "cell": [[p.tolist(), q.tolist()] for p, q in _cell_edges(cell)],
        "hops": [[p.tolist(), q.tolist(), float((t - b0) / (b1 - b0 or 1.0))] for p, q, t in segs],
        "sites": [
            {
                "i": int(n),
                "p": list(map(float, G.nodes[n]["position"])),
                "e": float(G.nodes[n]["energy"]),
                "t": float((G.nodes[n]["energy"] - e0) / (e1 - e0 or 1.0)),
            }
            for n in G.nodes
        ],
    }
    title = (
        f"hop network {G.graph.get('sample_id', '')}: {len(energy)} sites, {len(segs) // 2} hops"
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_HTML % {"title": title, "data": json.dumps(data)})
    return path


def plot_validation(result: dict, path: str | Path) -> Path:
    """NNP and reference energy profiles of the validated hops, and the barrier parity, as a PNG.

    ``result`` is the output of :func:`landscape.explore.validate_hops` (energies in eV).
    """
    from .validate import converged_mask, validation_errors

    plt = pyplot()
    hops = result["hops"]
    n = len(hops)
    stats = validation_errors(hops)
    ok = converged_mask(hops)
    cols = min(5, n)
    rows = -(-n // cols)
    fig = plt.figure(figsize=(3.0 * cols + 3.6, 2.5 * rows + 0.6))
    grid = fig.add_gridspec(rows, cols + 1, width_ratios=[1] * cols + [1.3])
    for k, h in enumerate(hops):
        ax = fig.add_subplot(grid[k // cols, k % cols])
        s = np.linspace(0, 1, len(h["profile_nnp"]))
        ax.plot(s, h["profile_reference"], "o-", color="k", ms=3, lw=1, label="reference")
        ax.plot(s, h["profile_nnp"], "s--", color="C1", ms=3, lw=1, label="NNP")
        title = f"{h['i']}→{h['j']} {h['shift']}"
        if not h.get("band_converged", True):
            title += " (NNP band unconverged)"
        elif not h.get("band_in_domain", True):
            title += " (NNP band outside its domain)"
        elif not ok[k]:
            title += " (reference unconverged)"
        ax.set_title(title, fontsize=8, color="k" if ok[k] else "C3")
        ax.tick_params(labelsize=7)
        if k % cols == 0:
            ax.set_ylabel("E − E(start) (eV)", fontsize=8)
        if k == 0:
            ax.legend(fontsize=7, frameon=False)
    px = fig.add_subplot(grid[:, cols])
    ref = np.array([h["barrier_reference"] for h in hops])
    nnp = np.array([h["barrier_nnp"] for h in hops])
    shown = ok if ok.any() else np.ones(n, bool)  # axes fit the converged hops
    lo = min(ref[shown].min(), nnp[shown].min())
    hi = max(ref[shown].max(), nnp[shown].max())
    px.plot([lo, hi], [lo, hi], color="0.6", lw=1)
    px.plot(ref[ok], nnp[ok], "o", color="C0")
    if not ok.all():
        px.plot(ref[~ok], nnp[~ok], "x", color="C3", label="unconverged (left out)")
        px.legend(fontsize=7, frameon=False)
        pad = 0.05 * (hi - lo or 1.0)
        px.set_xlim(lo - pad, hi + pad)
        px.set_ylim(lo - pad, hi + pad)
    px.set_xlabel("reference barrier (eV)")
    px.set_ylabel("NNP barrier (eV)")
    if stats["mae"] is None:
        px.set_title(f"no hop of {n} with converged reference relaxations")
    else:
        left = f"; {n - stats['n_converged']} unconverged left out" if not ok.all() else ""
        px.set_title(f"MAE {1e3 * stats['mae']:.1f} meV over {stats['n_converged']} hops{left}")
    fig.suptitle(f"hop validation of {result.get('sample_id', '')}: NNP vs reference")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path
