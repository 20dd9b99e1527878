"""An interactive 3D view of a hop network, as one HTML file that works offline (plotly).

:func:`network_figure` draws a hop network (docs/design.md, "Hop network") in its cell with
plotly's ``Scatter3d``: the host atoms as small points coloured by element (Jmol colours), the
sites coloured by their energy above the lowest site (eV, ``Viridis``) and the hops as lines
coloured by barrier (eV, ``Plasma``), each with its colour bar. One line is drawn per site pair,
from the site of lower energy ``i`` to the image of the other, ``pos[j] + shift·cell`` (so a hop
across the cell boundary leaves the cell), and coloured by the barrier of ``i → j`` (the larger
of the two directions). Hovering shows the values: a site's index and energy, a hop's source,
target, lattice image, barriers of both directions and uid.

:func:`write_network_view` writes the figure as HTML with plotly.js inlined (about 4.8 MB, the
same for any network; a network of 200 sites and 654 directed hops adds 0.27 MB), or, with
``plotlyjs="directory"``, next to one shared ``plotly.min.js`` (what the study report does for
several samples). Either way the page loads nothing from the network. :func:`stored_network_view`
does the same for a network in the graph store (``landscape db show``), finding its host with
:func:`network_host`.
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import networkx as nx
import numpy as np

from .._paths import check_writable
from ..contracts import HopArrays, hop_arrays, hop_counts
from ..errors import InputError
from .network import hop_uid, site_uid

if TYPE_CHECKING:
    from ase import Atoms

    from .store import GraphStore

__all__ = [
    "CELL_TOLERANCE",
    "SITE_COLORSCALE",
    "HOP_COLORSCALE",
    "network_figure",
    "network_host",
    "stored_network_view",
    "write_network_view",
]

#: Largest difference between a host's cell and the network's cell, Å, for the host to be drawn.
CELL_TOLERANCE = 1e-3
#: Colour scale of the site energies (eV above the lowest site).
SITE_COLORSCALE = "Viridis"
#: Colour scale of the hop barriers (eV).
HOP_COLORSCALE = "Plasma"
#: The name of the plotly.js file that ``plotlyjs="directory"`` pages load from their folder.
PLOTLYJS_FILE = "plotly.min.js"


# ----------------------------------------------------------------------------------------------
# the figure


def _cell_lines(cell: np.ndarray) -> np.ndarray:
    """The 12 edges of the cell as one polyline with NaN gaps, shape (36, 3), Å."""
    pts = []
    for a in np.ndindex(2, 2, 2):
        for axis in range(3):
            if a[axis] == 0:
                b = list(a)
                b[axis] = 1
                pts += [np.asarray(a) @ cell, np.asarray(b) @ cell, np.full(3, np.nan)]
    return np.asarray(pts, dtype=float)


def _drawn_hops(h: HopArrays) -> tuple[np.ndarray, np.ndarray]:
    """One directed hop per site pair and the barrier of its reverse (NaN if it has none), eV.

    The hop drawn starts at the site of lower (energy, index); a hop from a site to its own image
    is drawn in the direction whose shift is lexicographically larger.
    """
    index = {
        (int(s), int(d), tuple(int(x) for x in sh)): k
        for k, (s, d, sh) in enumerate(zip(h.src, h.dst, h.shift, strict=True))
    }
    keep, back = [], []
    for (s, d, sh), k in index.items():
        rev = index.get((d, s, tuple(-x for x in sh)))
        forward = (h.energies[s], s, tuple(-x for x in sh)) <= (h.energies[d], d, sh)
        if rev is None or forward:
            keep.append(k)
            back.append(np.nan if rev is None else h.barrier[rev])
    return np.asarray(keep, dtype=int), np.asarray(back, dtype=float)


def _host_traces(go: Any, host: Atoms) -> list:
    """One ``Scatter3d`` per element of the host: small points in Jmol colours (positions wrapped
    into the cell, Å)."""
    from ase.data import chemical_symbols
    from ase.data.colors import jmol_colors

    pos = host.get_positions(wrap=True)
    traces = []
    for z in sorted(set(host.numbers.tolist())):
        idx = np.flatnonzero(host.numbers == z)
        r, g, b = (int(round(255 * c)) for c in jmol_colors[z])
        sym = chemical_symbols[z]
        traces.append(
            go.Scatter3d(
                x=pos[idx, 0],
                y=pos[idx, 1],
                z=pos[idx, 2],
                mode="markers",
                name=f"{sym} ({len(idx)} host atoms)",
                marker={"size": 3, "color": f"rgb({r},{g},{b})", "opacity": 0.55},
                hovertext=[f"host atom {int(i)}: {sym}" for i in idx],
                hoverinfo="text",
            )
        )
    return traces


def _check_host(host: Any, cell: np.ndarray, what: str) -> None:
    """Refuse a host that is not an :class:`ase.Atoms` in the network's cell (Å)."""
    from ase import Atoms

    if not isinstance(host, Atoms):
        raise InputError(f"host must be an ase.Atoms, got {type(host).__name__}")
    hcell = np.asarray(host.cell, dtype=float)
    if hcell.shape != (3, 3) or not np.allclose(hcell, cell, rtol=0.0, atol=CELL_TOLERANCE):
        raise InputError(
            f"host {what} has the cell {np.round(hcell, 4).tolist()} Å but the network has "
            f"{np.round(cell, 4).tolist()} Å; expected the host the network was found in"
        )


def _hop_trace(go: Any, h: HopArrays, ids: list, sid: str):
    """The hops as one ``Scatter3d`` of lines coloured by barrier (eV), or None without hops."""
    keep, back = _drawn_hops(h)
    if not len(keep):
        return None
    start = h.positions[h.src[keep]]
    end = start + h.displacement[keep]
    seg = np.stack([start, 0.5 * (start + end), end, np.full_like(start, np.nan)], axis=1)
    bar = np.repeat(h.barrier[keep], 4)
    texts = []
    for k, b_back in zip(keep, back, strict=True):
        i, j, sh = ids[h.src[k]], ids[h.dst[k]], [int(x) for x in h.shift[k]]
        back_txt = "none" if np.isnan(b_back) else f"{b_back:.3f} eV"
        uid = hop_uid(sid, i, j, sh) if sid else f"{i}/{j}/{sh[0]},{sh[1]},{sh[2]}"
        t = (
            f"hop {i} → {j} (image {sh})<br>barrier {h.barrier[k]:.3f} eV "
            f"(back {j} → {i}: {back_txt})<br>uid {html.escape(uid)}"
        )
        texts += [t, t, t, ""]
    return go.Scatter3d(
        **dict(zip("xyz", seg.reshape(-1, 3).T, strict=True)),
        mode="lines",
        name=f"hops ({len(keep)} pairs)",
        line={
            "color": bar,
            "colorscale": HOP_COLORSCALE,
            "cmin": float(h.barrier[keep].min()),
            "cmax": float(h.barrier[keep].max()),
            "width": 4,
            "colorbar": {"title": {"text": "barrier (eV)"}, "x": 1.0, "len": 0.8},
        },
        hovertext=texts,
        hoverinfo="text",
    )


def _site_trace(go: Any, h: HopArrays, ids: list, sid: str):
    """The sites as one ``Scatter3d`` of markers coloured by energy above the lowest site (eV)."""
    rel = h.energies - h.energies.min()
    site_txt = [
        f"site {i}<br>E − E<sub>min</sub> = {r:.3f} eV<br>E = {e:.4f} eV"
        + (f"<br>uid {html.escape(site_uid(sid, i))}" if sid and isinstance(i, int) else "")
        for i, r, e in zip(ids, rel, h.energies, strict=True)
    ]
    return go.Scatter3d(
        **dict(zip("xyz", h.positions.T, strict=True)),
        mode="markers",
        name=f"sites ({h.n_sites})",
        marker={
            "size": 5,
            "color": rel,
            "colorscale": SITE_COLORSCALE,
            "cmin": 0.0,
            "cmax": float(rel.max()) or 1.0,
            "colorbar": {
                "title": {"text": "site energy − lowest (eV)"},
                "x": 1.12,
                "len": 0.8,
            },
        },
        hovertext=site_txt,
        hoverinfo="text",
    )


def network_figure(G: nx.MultiDiGraph | HopArrays, host: Atoms | None = None, *, title=None):
    """The plotly figure of a hop network in its cell, with the host atoms if given.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        A hop network (the contract of :func:`landscape.contracts.hop_arrays`: positions Å,
        energies eV, barriers eV, shifts, a 3×3 cell in Å).
    host : ase.Atoms, optional
        The host structure, in the same cell as the network (to :data:`CELL_TOLERANCE` Å).
    title : str, optional
        Figure title (default: sample id, numbers of sites, hops and pairs).

    Returns
    -------
    plotly.graph_objects.Figure
        Traces: the cell, one per host element, the hops (colour bar: barrier, eV), the sites
        (colour bar: energy above the lowest site, eV); ``layout.meta`` holds ``sample_id``,
        ``n_sites``, ``n_hops``, ``n_pairs`` and ``host`` (the host's sample id).
        ``fig.show()`` shows it in a notebook.

    Raises
    ------
    InputError
        A network that breaks the contract, or a host that is not in the network's cell.
    """
    import plotly.graph_objects as go

    h = hop_arrays(G)
    sid = str(G.graph.get("sample_id", "")) if isinstance(G, nx.Graph) else ""
    species = str(G.graph.get("species", "")) if isinstance(G, nx.Graph) else ""
    if host is not None:
        _check_host(host, h.cell, "structure")
    ids = [int(n) if isinstance(n, int | np.integer) else n for n in h.node_ids]
    traces = [
        go.Scatter3d(
            **dict(zip("xyz", _cell_lines(h.cell).T, strict=True)),
            mode="lines",
            name="cell",
            line={"color": "#999999", "width": 2},
            hoverinfo="skip",
        )
    ]
    if host is not None:
        traces += _host_traces(go, host)
    hops = _hop_trace(go, h, ids, sid)
    traces += ([hops] if hops is not None else []) + [_site_trace(go, h, ids, sid)]
    c = hop_counts(h)
    if title is None:
        mobile = f" ({species})" if species else ""
        title = (
            f"{sid or 'hop network'}{mobile}: {h.n_sites} sites, {c['hops']} hops "
            f"({c['pairs']} pairs)"
        )
    fig = go.Figure(traces)
    meta = {"sample_id": sid, "n_sites": h.n_sites, **{f"n_{k}": v for k, v in c.items()}}
    if host is not None:
        meta["host"] = str(host.info.get("sample_id") or host.get_chemical_formula())
    axis = {"showbackground": False}
    fig.update_layout(
        title={"text": html.escape(title)},
        scene={
            "aspectmode": "data",
            "camera": {"eye": {"x": 1.45, "y": 1.45, "z": 0.95}},
            "xaxis": {**axis, "title": {"text": "x (Å)"}},
            "yaxis": {**axis, "title": {"text": "y (Å)"}},
            "zaxis": {**axis, "title": {"text": "z (Å)"}},
        },
        legend={"x": 0.0, "y": 1.0, "bgcolor": "rgba(255,255,255,0.7)"},
        margin={"l": 0, "r": 20, "t": 50, "b": 0},
        paper_bgcolor="white",
        meta=meta,
    )
    return fig


# ----------------------------------------------------------------------------------------------
# HTML


def _write_atomic(path: Path, text: str) -> None:
    """``text`` to ``path`` through a temporary file in the same folder: never half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_network_view(
    G: nx.MultiDiGraph,
    path: str | Path,
    host: Atoms | None = None,
    *,
    plotlyjs: Literal["inline", "directory"] = "inline",
    title: str | None = None,
    return_figure: bool = False,
):
    """Write the interactive 3D view of a hop network (:func:`network_figure`) as an HTML file.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        A hop network (positions Å, energies eV, barriers eV).
    path : str or Path
        The HTML file; its folder must exist or be creatable. Written atomically, after the
        figure is built, so a refused network or host leaves nothing behind.
    host : ase.Atoms, optional
        The host structure in the network's cell (Å).
    plotlyjs : {"inline", "directory"}
        ``"inline"``: plotly.js inside the page (one self-contained file, ~4.8 MB);
        ``"directory"``: the page loads ``plotly.min.js`` from its own folder, written there if
        missing (for several pages in one folder). Neither loads anything from the network.
    title : str, optional
        Figure and page title.
    return_figure : bool
        Also return the plotly figure.

    Returns
    -------
    pathlib.Path or (pathlib.Path, plotly.graph_objects.Figure)
        The file written (and the figure with ``return_figure=True``).

    Raises
    ------
    InputError
        A network that breaks the contract, a host in another cell, an unwritable ``path`` or an
        unknown ``plotlyjs``.
    """
    if plotlyjs not in ("inline", "directory"):
        raise InputError(f"plotlyjs must be 'inline' or 'directory', got {plotlyjs!r}")
    path = check_writable(path, "network view")
    fig = network_figure(G, host, title=title)
    name = fig.layout.title.text or "hop network"
    div = "landscape-network-" + "".join(c if c.isalnum() else "-" for c in path.stem)
    page = fig.to_html(
        include_plotlyjs=True if plotlyjs == "inline" else "directory",
        full_html=True,
        div_id=div,
        default_width="100%",
        default_height="100%",
        config={"displaylogo": False, "responsive": True, "scrollZoom": True},
    )
    head = f"<head>\n    <title>{name}</title>\n    <style>body {{margin: 0;}}</style>"
    page = page.replace("<head>", head, 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    if plotlyjs == "directory":
        from plotly.offline import get_plotlyjs

        js = get_plotlyjs()
        lib = path.parent / PLOTLYJS_FILE
        if not lib.is_file() or lib.stat().st_size != len(js.encode("utf-8")):
            _write_atomic(lib, js)
    _write_atomic(path, page)
    return (path, fig) if return_figure else path


# ----------------------------------------------------------------------------------------------
# a stored network and its host


def network_host(
    sample_id: str, sample_props: dict | None = None, host: str | Path | None = None
) -> Atoms:
    """The host structure of a stored sample, for drawing its network.

    The graph store keeps a sample's cell but not its atoms, so the host comes from, in order:
    ``host`` (a bundled sample name or a structure file) if given; the bundled sample named
    ``sample_id``; the file named by the Sample node's ``source`` property, if it exists.

    Parameters
    ----------
    sample_id : str
        The sample.
    sample_props : dict, optional
        The Sample node's properties (``source``: where its structure was read from).
    host : str or Path, optional
        A bundled sample name or a structure file that ASE reads.

    Returns
    -------
    ase.Atoms
        The validated host (:func:`landscape.samples.load_sample`).

    Raises
    ------
    InputError
        ``host`` that cannot be read, or no host found (the message says to give one).
    """
    from ..samples import bundled_samples, load_sample

    if host is not None:
        if str(host).strip() == "":
            raise InputError("--host is empty; expected a bundled sample name or a structure file")
        return load_sample(str(host))
    if sample_id in bundled_samples():
        return load_sample(sample_id)
    source = (sample_props or {}).get("source")
    if isinstance(source, str) and source and Path(source).is_file():
        return load_sample(source)
    where = f"its stored source {source!r} is not a file" if source else "no source is stored"
    raise InputError(
        f"no host structure for sample {sample_id!r}: it is not a bundled sample and {where}; "
        "give the host with --host FILE"
    )


def stored_network_view(
    store: GraphStore,
    sample_id: str,
    out: str | Path | None = None,
    *,
    host: str | Path | Atoms | None = None,
    plotlyjs: Literal["inline", "directory"] = "inline",
):
    """The 3D view of the hop network of ``sample_id`` in the graph store (notebooks, ``db show``).

    Parameters
    ----------
    store : landscape.graph.GraphStore
        An open store.
    sample_id : str
        The sample whose network (positions Å, energies eV, barriers eV) is drawn.
    out : str or Path, optional
        HTML file to write (:func:`write_network_view`); none is written without it.
    host : str, Path or ase.Atoms, optional
        The host: an ``Atoms``, a bundled sample name or a structure file; by default found by
        :func:`network_host`.
    plotlyjs : {"inline", "directory"}
        How the HTML file gets plotly.js (see :func:`write_network_view`).

    Returns
    -------
    plotly.graph_objects.Figure
        The figure (``fig.show()`` in a notebook).

    Raises
    ------
    InputError
        Unknown sample, no network stored, no host found, a host in another cell, an unwritable
        ``out``; nothing is written then.
    """
    from ase import Atoms

    if out is not None:
        out = check_writable(out, "--out")
    G = store.hop_network(sample_id)
    if not isinstance(host, Atoms):
        rows = store.query("network_sample", sample_id=sample_id)
        host = network_host(sample_id, rows[0]["props"] if rows else None, host)
    name = str(host.info.get("sample_id") or "structure")
    _check_host(host, np.asarray(G.graph["cell"], dtype=float), repr(name))
    if out is None:
        return network_figure(G, host)
    _, fig = write_network_view(G, out, host, plotlyjs=plotlyjs, return_figure=True)
    return fig
