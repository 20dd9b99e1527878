"""The hop network: its one builder, graph-attribute check, counter, saver and loader.

A :class:`networkx.MultiDiGraph` with the graph attributes ``sample_id``, ``cell`` (3×3 list, Å),
``species`` (mobile) and ``energy_unit`` (``"eV"``); node ``i`` (integer site index) with
``position`` [x, y, z] Å and ``energy`` eV (optional ``frequencies`` THz, ``uncertainty`` eV); one
edge per hop direction ``i → j`` with ``barrier`` eV (``E_saddle − E_i``), ``shift`` [n₁, n₂, n₃]
(the lattice image of ``j`` the hop lands in: the displacement is ``pos[j] + shift·cell − pos[i]``),
``prefactor`` Hz (default 1e13) and optional ``saddle`` [x, y, z] Å, ``profile`` [eV…], ``length``
Å. Its exchange format is node-link JSON (``networkx.node_link_data(G, edges="edges")``).

- build: :func:`new_network`, :func:`add_site`, :func:`add_hop`;
- check what the kinetics do not read: :func:`check_graph_attributes` (the contract itself is
  checked by :func:`landscape.contracts.hop_arrays`);
- count: :func:`hop_counts`;
- save and load: :func:`save_network` (atomic), :func:`load_network`, with :func:`network_data` /
  :func:`network_from_data` for the JSON object itself;
- read: :func:`network_points` (site and saddle positions).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from .._paths import write_json_atomic
from ..errors import InputError
from ..geometry import wrap_positions
from ..units import DEFAULT_PREFACTOR_HZ
from .arrays import HopArrays

__all__ = [
    "GRAPH_REQUIRED",
    "new_network",
    "add_site",
    "add_hop",
    "check_graph_attributes",
    "hop_counts",
    "network_data",
    "network_from_data",
    "save_network",
    "load_network",
    "network_points",
]

#: Graph attributes every hop network carries.
GRAPH_REQUIRED = ("sample_id", "cell", "species", "energy_unit")


# ----------------------------------------------------------------------------------------------
# build


def new_network(
    cell: np.ndarray, *, sample_id: str, species: str = "Cu", **graph: Any
) -> nx.MultiDiGraph:
    """An empty hop network with the contract's graph attributes.

    Parameters
    ----------
    cell : array (3, 3)
        Rows are lattice vectors, Å.
    sample_id, species : str
        The host sample and the mobile species.
    **graph
        Further graph attributes, after the required ones.

    Raises
    ------
    InputError
        A cell that is not 3×3.
    """
    cell = np.asarray(cell, dtype=float)
    if cell.shape != (3, 3):
        raise InputError(f"cell must be 3x3 (rows are lattice vectors, Å), got shape {cell.shape}")
    return nx.MultiDiGraph(
        sample_id=str(sample_id), cell=cell.tolist(), species=species, energy_unit="eV", **graph
    )


def add_site(G: nx.MultiDiGraph, index: int, position: Any, energy: float, **attrs: Any) -> None:
    """Add site ``index`` at ``position`` (3 numbers, Å) with ``energy`` (eV) and further attributes."""
    G.add_node(index, position=[float(v) for v in position], energy=float(energy), **attrs)


def add_hop(
    G: nx.MultiDiGraph,
    i: int,
    j: int,
    shift: Any,
    saddle_energy: float,
    /,
    *,
    saddle: Any,
    profile: Any,
    cell: np.ndarray,
    prefactor: float = DEFAULT_PREFACTOR_HZ,
    reverse_prefactor: float | None = None,
    **attrs: Any,
) -> None:
    """Add the two directed edges of one hop, ``i → j`` (image ``shift`` of ``j``) and back.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Hop network holding sites ``i`` and ``j`` (with their ``energy``, eV).
    shift : 3 integers
        Lattice image of ``j`` the hop lands in.
    saddle_energy : float
        eV; the barriers are ``saddle_energy − E_i`` and ``saddle_energy − E_j``.
    saddle : 3 numbers
        Saddle point seen from ``i``, Å (the reverse edge gets ``saddle − shift·cell``).
    profile : sequence of float
        Energies along the path from ``i`` to ``j``, eV (the reverse edge gets it reversed).
    cell : array (3, 3)
        Rows are lattice vectors, Å.
    prefactor, reverse_prefactor : float
        Attempt frequencies of ``i → j`` and ``j → i``, Hz (the reverse defaults to ``prefactor``).
    **attrs
        Further attributes of both edges (``length``, ``saddle_energy``, ...), after the required
        ones.
    """
    shift = [int(s) for s in shift]
    saddle = np.asarray(saddle)
    back = saddle - np.asarray(shift, dtype=float) @ cell  # the same saddle seen from j's image
    es = float(saddle_energy)
    ei, ej = G.nodes[i]["energy"], G.nodes[j]["energy"]
    nu_ji = prefactor if reverse_prefactor is None else reverse_prefactor
    G.add_edge(
        i,
        j,
        barrier=es - ei,
        shift=shift,
        prefactor=float(prefactor),
        saddle=[float(v) for v in saddle],
        profile=[float(v) for v in profile],
        **attrs,
    )
    G.add_edge(
        j,
        i,
        barrier=es - ej,
        shift=[-v for v in shift],
        prefactor=float(nu_ji),
        saddle=[float(v) for v in back],
        profile=[float(v) for v in profile[::-1]],
        **attrs,
    )


# ----------------------------------------------------------------------------------------------
# check and count


def check_graph_attributes(G: nx.Graph) -> None:
    """Check the contract's graph attributes: ``sample_id`` and ``species`` non-empty strings,
    ``energy_unit`` ``"eV"`` and ``cell`` present (its values are checked by :func:`hop_arrays`).

    Raises
    ------
    InputError
        A missing attribute or a wrong value, with the value.
    """
    missing = [k for k in GRAPH_REQUIRED if k not in G.graph]
    if missing:
        raise InputError(
            f"hop network lacks graph attribute(s) {missing}; expected {list(GRAPH_REQUIRED)}"
        )
    sid = G.graph["sample_id"]
    if not isinstance(sid, str) or not sid.strip():
        raise InputError(f"graph attribute 'sample_id' must be a non-empty string, got {sid!r}")
    if not isinstance(G.graph["species"], str) or not G.graph["species"]:
        raise InputError(
            f"graph attribute 'species' must be a non-empty string, got {G.graph['species']!r}"
        )
    if G.graph["energy_unit"] != "eV":
        raise InputError(
            f"graph attribute 'energy_unit' must be 'eV', got {G.graph['energy_unit']!r}"
        )


def hop_counts(G: nx.MultiDiGraph | HopArrays) -> dict[str, int]:
    """How many hops and site pairs a network has, named the same everywhere.

    Returns
    -------
    dict
        ``hops``: directed hops (edges, one per direction); ``pairs``: undirected site pairs (a
        hop and its reverse, ``i → j`` with shift ``s`` and ``j → i`` with ``−s``, count once).
        A network without edges has 0 of each.

    Examples
    --------
    >>> from landscape.kinetics.synthetic import cubic_lattice_network
    >>> hop_counts(cubic_lattice_network(3))
    {'hops': 162, 'pairs': 81}
    """
    if isinstance(G, HopArrays):
        return {"hops": G.n_hops, "pairs": G.n_pairs}
    pairs = set()  # counted without validating, so that a report or an export never fails here
    for i, j, d in G.edges(data=True):
        s = d.get("shift")
        try:
            fwd = tuple(int(x) for x in s)
            rev = tuple(-x for x in fwd)
        except (TypeError, ValueError):
            fwd = rev = repr(s)
        pairs.add(frozenset(((i, j, fwd), (j, i, rev))))
    return {"hops": G.number_of_edges(), "pairs": len(pairs)}


# ----------------------------------------------------------------------------------------------
# save and load


def network_data(G: nx.MultiDiGraph) -> dict:
    """The node-link JSON object of a hop network (``networkx.node_link_data(G, edges="edges")``)."""
    return nx.node_link_data(G, edges="edges")


def save_network(G: nx.MultiDiGraph, path: str | Path, *, indent: int | None = 1) -> Path:
    """Write a hop network as node-link JSON, atomically: a reader never sees half a file.

    The JSON goes to a temporary file in the same folder, which then replaces ``path``
    (:func:`os.replace`). Folders above ``path`` are made when missing.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Hop network.
    path : str or pathlib.Path
        JSON file.
    indent : int or None
        JSON indentation (None: one line).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(path, network_data(G), indent=indent)
    return path


def load_network(path: str | Path) -> nx.MultiDiGraph:
    """Read a hop network from node-link JSON (``networkx.node_link_data(G, edges="edges")``).

    Parameters
    ----------
    path : str or pathlib.Path
        JSON file. The edge list may be under ``"edges"`` or (older networkx) ``"links"``.

    Returns
    -------
    networkx.MultiDiGraph
        The network, not yet validated beyond its structure (see :func:`hop_arrays`).

    Raises
    ------
    InputError
        Missing file, malformed or empty JSON, no node list, hops to unknown site ids.
    """
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise InputError(f"cannot read hop network {str(path)!r}: {exc.strerror or exc}") from exc
    if not text.strip():
        raise InputError(f"hop network file {str(path)!r} is empty; expected node-link JSON")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"hop network file {str(path)!r} is not valid JSON (line {exc.lineno}: {exc.msg})"
        ) from exc
    return network_from_data(data, name=f"hop network file {str(path)!r}")


def network_from_data(data: Any, *, name: str = "hop network data") -> nx.MultiDiGraph:
    """The hop network of a node-link JSON object (:func:`network_data`), checked for structure.

    ``name`` says in messages where the object came from. Raises :class:`InputError` for an
    object without a node list, a malformed edge list, a node without ``id`` or a hop to an
    unknown site id; the contract itself is checked by :func:`hop_arrays`.
    """
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), list):
        raise InputError(
            f"{name} is not node-link JSON; expected an object with 'nodes' and 'edges'"
        )
    key = "edges" if "edges" in data else "links"
    edges = data.get(key, [])
    if not isinstance(edges, list) or not all(isinstance(e, dict) for e in edges):
        raise InputError(f"{name}: '{key}' must be a list of objects")
    try:
        ids = {_hashable(node["id"]) for node in data["nodes"]}
    except (KeyError, TypeError) as exc:
        raise InputError(f"{name}: every node needs an 'id'") from exc
    for e in edges:
        for end in ("source", "target"):
            if end not in e:
                raise InputError(f"{name}: a hop has no {end!r}")
            if _hashable(e[end]) not in ids:
                raise InputError(
                    f"hop {e.get('source')!r} -> {e.get('target')!r} refers to unknown site id {e[end]!r}"
                )
    data = {**data, "directed": True, "multigraph": True}
    return nx.node_link_graph(data, edges=key, multigraph=True, directed=True)


def _hashable(value: object) -> object:
    """A node id as a set member: a JSON list (a tuple id written by networkx) becomes a tuple."""
    return tuple(value) if isinstance(value, list) else value


# ----------------------------------------------------------------------------------------------
# read


def network_points(
    G: nx.MultiDiGraph, *, sites: bool = True, saddles: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the sites and saddle points of a hop network, for targeted reference points.

    A network found on a trained potential has its minima and saddles where the potential's error
    happens to pull them; reference energies computed there (``landscape reference run
    --network``, origin ``"network"``) and added to the training data correct the potential
    exactly where the barriers are read. One saddle per undirected hop (the two directions share
    it).

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Hop network (:func:`landscape.explore.find_hops`), with ``cell`` in its graph attributes.
    sites, saddles : bool
        Include the site positions / the saddle points.

    Returns
    -------
    positions : numpy.ndarray, shape (n, 3)
        Å, Cartesian, wrapped into the cell; sites first (by node id), then saddles.
    kinds : numpy.ndarray of str, shape (n,)
        ``"site"`` or ``"saddle"`` per position.

    Raises
    ------
    InputError
        Neither kind asked for, no cell, or nothing to return.
    """
    if not (sites or saddles):
        raise InputError("network_points: ask for sites, saddles or both")
    if "cell" not in G.graph:
        raise InputError("the network has no 'cell' graph attribute; expected one from find_hops")
    cell = np.asarray(G.graph["cell"], dtype=float).reshape(3, 3)
    pos, kinds = [], []
    if sites:
        for n in sorted(G.nodes):
            pos.append(np.asarray(G.nodes[n]["position"], dtype=float))
            kinds.append("site")
    if saddles:
        for u, v, d in sorted(G.edges(data=True), key=lambda e: (e[0], e[1], tuple(e[2]["shift"]))):
            if (G.nodes[u]["energy"], u) > (G.nodes[v]["energy"], v):
                continue  # the other direction carries the same saddle
            if u == v and tuple(d["shift"]) < tuple(-s for s in d["shift"]):
                continue
            pos.append(np.asarray(d["saddle"], dtype=float))
            kinds.append("saddle")
    if not pos:
        raise InputError("the network has no sites or hops to take points from")
    pos = np.asarray(pos, dtype=float)
    return wrap_positions(pos, cell), np.asarray(kinds)
