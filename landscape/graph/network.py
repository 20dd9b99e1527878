"""Hop network <-> database rows: validation, the contract's value types and the exact round trip.

A hop network (docs/design.md, "Hop network") is turned into plain rows *before* anything is written, so
that a network missing a required attribute is refused with one :class:`InputError` line and the
database is never touched. :func:`network_from_rows` is the inverse: it rebuilds a
:class:`networkx.MultiDiGraph` equal, attribute for attribute, to the one that was stored.

Property values
---------------
* The contract's vectors are coerced to floats (``position``, ``saddle``, ``profile``,
  ``frequencies``, the cell) and ``shift`` to integers, so that ``[0, 0.5, 1]`` is a valid float
  list on both databases. The value compares equal in Python after the round trip.
* Every other attribute is encoded by :func:`landscape.graph.properties.encode_properties` (the
  common subset of ArcadeDB and Neo4j 5, with a JSON fallback under ``<name>__json``).

Identities
----------
* Site ``uid`` = ``"<sample_id>/<index>"``.
* Hop ``uid`` = ``"<sample_id>/<i>/<j>/<n1>,<n2>,<n3>"``: a hop is its two sites and the lattice
  image of the target, so two hops between the same pair with different shifts are distinct, and
  two edges ``i -> j`` with the same shift are refused (the contract has one edge per direction).
  The networkx edge key is kept in the ``key`` property to restore the multigraph exactly.
"""

from __future__ import annotations

import contextlib
import gc
import math
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import networkx as nx
import numpy as np

from ..contracts import GRAPH_REQUIRED, check_graph_attributes, hop_arrays
from ..errors import InputError
from .properties import (
    JSON_SUFFIX,
    NOT_NATIVE,
    decode_properties,
    encode_properties,
    native_scalar,
)

__all__ = [
    "NetworkRows",
    "JSON_SUFFIX",
    "encode_properties",
    "decode_properties",
    "network_to_rows",
    "network_from_rows",
    "flat_cell",
    "site_uid",
    "hop_uid",
]

#: Properties of a ``Site`` node that are not node attributes of the network.
SITE_RESERVED = frozenset({"uid", "sample_id", "index", "x", "y", "z"})
#: Properties of a ``HOP`` relationship that are not edge attributes of the network.
HOP_RESERVED = frozenset({"uid", "key"})
#: Network statistics that :meth:`GraphStore.upsert_network` keeps on the ``Sample`` node.
SAMPLE_STATS = ("n_sites", "n_hops", "n_pairs", "barrier_min", "barrier_median", "barrier_max")
#: Properties of a ``Sample`` node written by the store itself.
SAMPLE_RESERVED = frozenset({"graph_attrs", *SAMPLE_STATS})


def site_uid(sample_id: str, index: int) -> str:
    """The ``uid`` of site ``index`` of a sample (unique: the index is the last ``/`` field)."""
    return f"{sample_id}/{int(index)}"


def hop_uid(sample_id: str, i: int, j: int, shift: Iterable[int]) -> str:
    """The ``uid`` of the hop ``i -> j`` landing in lattice image ``shift``."""
    return f"{sample_id}/{int(i)}/{int(j)}/" + ",".join(str(int(s)) for s in shift)


# --------------------------------------------------------------------------------------------
# contract checks
# --------------------------------------------------------------------------------------------


def _float(v: Any, what: str, *, finite: bool = True) -> float:
    if type(v) is float and v - v == 0.0:  # fast path: a finite Python float
        return v
    if isinstance(v, bool | np.bool_) or not isinstance(v, int | float | np.integer | np.floating):
        raise InputError(f"{what} must be a number, got {type(v).__name__} {v!r}")
    f = float(v)
    if finite and not math.isfinite(f):
        raise InputError(f"{what} must be finite, got {f}")
    return f


_FLOAT_ONLY = frozenset((float,))
#: The hop attributes of the contract that network_to_rows checks by name.
_HOP_CONTRACT = frozenset({"barrier", "shift", "prefactor", "saddle", "profile", "length"})
_ABSENT = object()


def _finite_floats(v: Any, length: int | None = None) -> bool:
    """True if ``v`` is a list of finite Python floats (of ``length`` items if given)."""
    return (
        type(v) is list
        and (length is None or len(v) == length)
        and _FLOAT_ONLY.issuperset(map(type, v))
        and math.isfinite(sum(v))  # a nan or inf anywhere makes the sum non-finite
    )


def _edge(i: int, j: int, key: Any) -> str:
    return f"edge {i} -> {j} (key {key!r})"


def _float_list(v: Any, what: str, length: int | None = None) -> list[float]:
    if _finite_floats(v, length):
        return list(v)  # fast path: finite Python floats
    if isinstance(v, str | bytes) or not hasattr(v, "__len__"):
        raise InputError(f"{what} must be a list of numbers, got {type(v).__name__} {v!r}")
    if isinstance(v, np.ndarray) and v.ndim != 1:
        raise InputError(f"{what} must be a flat list of numbers, got an array of shape {v.shape}")
    arr = v.tolist() if isinstance(v, np.ndarray) else list(v)
    if length is not None and len(arr) != length:
        raise InputError(f"{what} must have {length} numbers, got {len(arr)}")
    return [_float(x, what) for x in arr]


def _int_list(v: Any, what: str, length: int) -> list[int]:
    if type(v) is list and len(v) == length and all(type(x) is int for x in v):
        return list(v)  # fast path
    if isinstance(v, str | bytes) or not hasattr(v, "__len__"):
        raise InputError(f"{what} must be a list of {length} integers, got {v!r}")
    vals = v.tolist() if isinstance(v, np.ndarray) else list(v)
    if len(vals) != length:
        raise InputError(f"{what} must be a list of {length} integers, got {v!r}")
    out = []
    for x in vals:
        if isinstance(x, bool | np.bool_):
            raise InputError(f"{what} must hold integers, got {v!r}")
        if isinstance(x, int | np.integer):
            out.append(int(x))
        elif isinstance(x, float | np.floating) and float(x).is_integer():
            out.append(int(x))
        else:
            raise InputError(f"{what} must hold integers, got {v!r}")
    return out


def flat_cell(cell: Any, what: str = "cell") -> list[float]:
    """A cell (3x3 rows, or 9 numbers) as 9 floats, Å (Neo4j cannot store nested lists)."""
    try:
        arr = np.asarray(cell, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"{what} must be 3x3 numbers (Å), got {cell!r}") from None
    if arr.shape not in ((3, 3), (9,)):
        raise InputError(
            f"{what} must be 3x3 numbers (rows are lattice vectors, Å), got shape {arr.shape}"
        )
    if not np.all(np.isfinite(arr)):
        raise InputError(f"{what} must be finite, got {cell!r}")
    return [float(x) for x in arr.ravel()]


def _node_id(n: Any) -> int:
    if type(n) is int:
        return n
    if isinstance(n, bool | np.bool_) or not isinstance(n, int | np.integer):
        raise InputError(
            f"node {n!r}: site ids must be integer site indices, got {type(n).__name__}"
        )
    return int(n)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a conversion of many small containers.

    Converting a network makes a few dicts and lists per hop and no reference cycles, yet every
    few hundred of them start a collection pass that also walks the network's own containers:
    measured, half the time of :func:`network_to_rows` on 34,000 hops (0.24 s against 0.12 s).
    The collector is switched back on afterwards if it was on before.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


# --------------------------------------------------------------------------------------------
# network -> rows
# --------------------------------------------------------------------------------------------


class NetworkRows:
    """A validated hop network as database rows.

    Attributes
    ----------
    sample_id : str
    sample : dict
        Properties of the ``Sample`` node set by the network: graph attributes, ``cell`` as 9
        floats, ``graph_attrs`` (the names of the graph attributes, to rebuild ``G.graph``) and the
        statistics ``n_sites``, ``n_hops``, ``barrier_min``, ``barrier_median`` (as numpy.median),
        ``barrier_max`` (``None``, i.e. removed, without hops).
    sites : list of dict
        One property map per site (``uid``, ``sample_id``, ``index``, ``x``, ``y``, ``z``,
        ``energy``, optional ``frequencies``, ``uncertainty``, other attributes), by increasing
        index.
    hops : list of dict
        ``{"a": position of the source site in sites, "b": position of the target site,
        "p": properties}`` per directed edge; ``p["uid"]`` is the hop's uid.
    """

    __slots__ = ("sample_id", "sample", "sites", "hops")

    def __init__(self, sample_id: str, sample: dict, sites: list[dict], hops: list[dict]):
        self.sample_id = sample_id
        self.sample = sample
        self.sites = sites
        self.hops = hops


def network_to_rows(G: nx.MultiDiGraph) -> NetworkRows:
    """Validate a hop network and turn it into rows; raises :class:`InputError` on any defect.

    The hop-network contract (sites with positions and energies, at least one hop, finite
    barriers >= 0 eV, integer shifts, prefactors > 0 Hz) is checked by the one validator that
    the kinetics use, :func:`landscape.contracts.hop_arrays`, so that what can be stored
    is exactly what ``landscape kinetics`` accepts; this function adds what only the store needs
    (the graph attributes ``sample_id``, ``species``, ``energy_unit``, integer site ids, one edge
    per hop and lattice image, storable attribute values).
    """
    with gc_paused():
        return _network_to_rows(G)


def _network_to_rows(G: nx.MultiDiGraph) -> NetworkRows:
    """:func:`network_to_rows` with the garbage collector as it is: the checks, then the rows."""
    if not isinstance(G, nx.MultiDiGraph):
        raise InputError(f"a hop network must be a networkx.MultiDiGraph, got {type(G).__name__}")
    check_graph_attributes(G)
    sid = G.graph["sample_id"]
    for name in G.graph:
        if name in SAMPLE_RESERVED:
            raise InputError(f"graph attribute {name!r} is reserved by the graph store")
    net = hop_arrays(G)  # the hop-network contract, checked as `landscape kinetics` checks it
    sample = _sample_properties(G)
    sites, index, position = _site_rows(G, sid)
    hops, barriers = _hop_rows(G, sid, index, position)
    sample.update(_network_statistics(len(sites), len(hops), net.n_pairs, barriers))
    return NetworkRows(sid, sample, sites, hops)


def _sample_properties(G: nx.MultiDiGraph) -> dict[str, Any]:
    """The ``Sample`` properties set by the graph attributes of ``G``.

    ``species``, ``energy_unit``, ``cell`` (9 floats, Å), the other graph attributes encoded
    (:func:`encode_properties`) and ``graph_attrs`` (the names of all graph attributes, in order).
    """
    cell = flat_cell(G.graph["cell"], "graph attribute 'cell'")
    extra = {k: v for k, v in G.graph.items() if k not in GRAPH_REQUIRED}
    return {
        "species": G.graph["species"],
        "energy_unit": "eV",
        "cell": cell,
        **encode_properties(extra, where="graph attributes"),
        "graph_attrs": [str(k) for k in G.graph],
    }


def _site_rows(G: nx.MultiDiGraph, sid: str) -> tuple[list[dict], dict[Any, int], dict[Any, int]]:
    """The ``Site`` rows of ``G`` in index order, and where each node went.

    Returns
    -------
    sites : list of dict
        One property map per site (:func:`_site_row`), by increasing site index.
    index : dict
        Node -> site index.
    position : dict
        Node -> position of its row in ``sites`` (a hop row addresses its sites by it).
    """
    nodes = sorted(((_node_id(n), n, d) for n, d in G.nodes(data=True)), key=lambda t: t[0])
    sites: list[dict] = []
    index: dict[Any, int] = {}
    position: dict[Any, int] = {}
    for k, (i, n, d) in enumerate(nodes):
        index[n] = i
        position[n] = k
        sites.append(_site_row(sid, i, d))
    return sites, index, position


def _site_row(sid: str, i: int, d: Mapping[str, Any]) -> dict[str, Any]:
    """The properties of site ``i`` of sample ``sid`` with node attributes ``d``.

    ``uid``, ``sample_id``, ``index``, the position as ``x``, ``y``, ``z`` (Å), ``energy`` (eV),
    ``frequencies`` (THz) and ``uncertainty`` (eV) when present, then the other attributes
    encoded (:func:`encode_properties`).
    """
    where = f"site {i}"
    for req in ("position", "energy"):
        if req not in d:
            raise InputError(
                f"{where} lacks attribute {req!r}; expected position [x, y, z] Å and energy eV"
            )
    x, y, z = _float_list(d["position"], f"{where} position", 3)
    e = _float(d["energy"], f"{where} energy")
    row = {
        "uid": site_uid(sid, i),
        "sample_id": sid,
        "index": i,
        "x": x,
        "y": y,
        "z": z,
        "energy": e,
    }
    rest = {}
    for a, v in d.items():
        if a in ("position", "energy"):
            continue
        if a in SITE_RESERVED:
            raise InputError(f"{where}: attribute {a!r} is reserved by the graph store")
        if a == "frequencies":
            row["frequencies"] = _float_list(v, f"{where} frequencies")
        elif a == "uncertainty":
            row["uncertainty"] = _float(v, f"{where} uncertainty")
        else:
            rest[a] = v
    if rest:
        row.update(encode_properties(rest, where=where))
    return row


def _hop_rows(
    G: nx.MultiDiGraph, sid: str, index: Mapping[Any, int], position: Mapping[Any, int]
) -> tuple[list[dict], list[float]]:
    """The ``HOP`` rows of ``G`` in edge order, and their barriers (eV).

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Hop network.
    sid : str
        Its sample id.
    index, position : dict
        Node -> site index, and node -> position of its row in the site rows
        (:func:`_site_rows`).

    Returns
    -------
    hops : list of dict
        ``{"a": source row position, "b": target row position, "p": properties}`` per edge.
    barriers : list of float
        The barrier of every hop, eV, in the same order.
    """
    hops: list[dict] = []
    barriers: list[float] = []
    seen: dict[str, Any] = {}
    prefix = sid + "/"
    # The loop is the client's main cost of an ingest (~3.5 us per hop): the contract's attributes
    # are looked up by name with plain-type fast paths; only a hop with other attributes goes
    # through the general loop over its items.
    for u, v, key, d in G.edges(keys=True, data=True):
        i, j = index[u], index[v]
        barrier = d.get("barrier", _ABSENT)
        shift = d.get("shift", _ABSENT)
        if barrier is _ABSENT or shift is _ABSENT:
            req = "barrier" if barrier is _ABSENT else "shift"
            raise InputError(
                f"{_edge(i, j, key)} lacks attribute {req!r}; "
                "expected barrier eV and shift [n1, n2, n3]"
            )
        if type(key) is not int and type(key) is not str:
            key = _edge_key(i, j, key)
        if not (
            type(shift) is list
            and len(shift) == 3
            and type(shift[0]) is int
            and type(shift[1]) is int
            and type(shift[2]) is int
        ):
            shift = _int_list(shift, f"{_edge(i, j, key)} shift", 3)
        uid = f"{prefix}{i}/{j}/{shift[0]},{shift[1]},{shift[2]}"
        if uid in seen:
            raise InputError(
                f"{_edge(i, j, key)} duplicates edge key {seen[uid]!r}: two hops "
                f"{i} -> {j} with shift {list(shift)}; the contract has one edge per direction of a hop"
            )
        seen[uid] = key
        if not (type(barrier) is float and barrier - barrier == 0.0):
            barrier = _float(barrier, f"{_edge(i, j, key)} barrier")
        p = {"uid": uid, "key": key, "barrier": barrier, "shift": [shift[0], shift[1], shift[2]]}
        n_contract = 2 + _add_optional_hop_properties(p, d, i, j, key)
        if len(d) != n_contract:
            p.update(_other_hop_properties(d, i, j, key))
        hops.append({"a": position[u], "b": position[v], "p": p})
        barriers.append(barrier)
    return hops, barriers


def _edge_key(i: int, j: int, key: Any) -> int | str:
    """The networkx key of edge ``i -> j`` as a Python int or str (a NumPy integer is accepted)."""
    if isinstance(key, bool) or native_scalar(key) is NOT_NATIVE or isinstance(key, float):
        raise InputError(f"{_edge(i, j, key)}: edge keys must be integers or strings")
    return native_scalar(key)


def _add_optional_hop_properties(
    p: dict[str, Any], d: Mapping[str, Any], i: int, j: int, key: Any
) -> int:
    """Check the optional contract attributes of edge ``i -> j`` (``key``) and add them to ``p``.

    ``prefactor`` (Hz), ``saddle`` (3 floats, Å), ``profile`` (floats, eV) and ``length`` (Å), as
    far as ``d`` has them. Returns how many of them ``d`` has.
    """
    n = 0
    val = d.get("prefactor", _ABSENT)
    if val is not _ABSENT:
        n += 1
        if not (type(val) is float and val - val == 0.0):
            val = _float(val, f"{_edge(i, j, key)} prefactor")
        p["prefactor"] = val
    val = d.get("saddle", _ABSENT)
    if val is not _ABSENT:
        n += 1
        if (
            type(val) is list
            and len(val) == 3
            and type(val[0]) is float
            and type(val[1]) is float
            and type(val[2]) is float
            and math.isfinite(val[0] + val[1] + val[2])
        ):
            p["saddle"] = val[:]
        else:
            p["saddle"] = _float_list(val, f"{_edge(i, j, key)} saddle", 3)
    val = d.get("profile", _ABSENT)
    if val is not _ABSENT:
        n += 1
        p["profile"] = (
            val[:] if _finite_floats(val) else _float_list(val, f"{_edge(i, j, key)} profile")
        )
    val = d.get("length", _ABSENT)
    if val is not _ABSENT:
        n += 1
        if not (type(val) is float and val - val == 0.0):
            val = _float(val, f"{_edge(i, j, key)} length")
        p["length"] = val
    return n


def _other_hop_properties(d: Mapping[str, Any], i: int, j: int, key: Any) -> dict[str, Any]:
    """The attributes of edge ``i -> j`` (``key``) outside the contract, encoded for storage."""
    rest = {}
    for a, val in d.items():
        if a in _HOP_CONTRACT:
            continue
        if a in HOP_RESERVED:
            raise InputError(f"{_edge(i, j, key)}: attribute {a!r} is reserved by the graph store")
        rest[a] = val
    return encode_properties(rest, where=_edge(i, j, key))


def _network_statistics(
    n_sites: int, n_hops: int, n_pairs: int, barriers: list[float]
) -> dict[str, Any]:
    """The network statistics of the ``Sample`` node (:data:`SAMPLE_STATS`).

    ``n_sites``, ``n_hops``, ``n_pairs`` and the smallest, median (as :func:`numpy.median`) and
    largest barrier, eV (``None``, i.e. removed, without hops).
    """
    barriers = np.array(barriers, dtype=float)
    stats: dict[str, Any] = {"n_sites": n_sites, "n_hops": n_hops, "n_pairs": n_pairs}
    for name, value in (
        ("barrier_min", barriers.min() if n_hops else None),
        ("barrier_median", np.median(barriers) if n_hops else None),
        ("barrier_max", barriers.max() if n_hops else None),
    ):
        stats[name] = None if value is None else float(value)
    return stats


# --------------------------------------------------------------------------------------------
# rows -> network
# --------------------------------------------------------------------------------------------


def network_from_rows(
    sample: Mapping[str, Any], sites: Iterable[Mapping[str, Any]], hops: Iterable[Mapping[str, Any]]
) -> nx.MultiDiGraph:
    """Rebuild the hop network from the ``Sample`` properties, site properties and hop rows.

    ``hops`` rows are ``{"i": source index, "j": target index, "p": HOP properties}``. Sites are added
    in index order and edges in (source, key) order, so equal stores give equal graphs.
    """
    sample = dict(sample)
    names = sample.get("graph_attrs") or list(GRAPH_REQUIRED)
    decoded = decode_properties(sample)
    graph: dict[str, Any] = {}
    for name in names:
        if name == "cell":
            c = [float(x) for x in sample["cell"]]
            graph["cell"] = [c[0:3], c[3:6], c[6:9]]
        elif name in decoded:
            graph[name] = decoded[name]
    G = nx.MultiDiGraph(**graph)
    for props in sorted(sites, key=lambda p: p["index"]):
        attrs = {"position": [props["x"], props["y"], props["z"]], "energy": props["energy"]}
        attrs.update(decode_properties(props, SITE_RESERVED | {"energy"}))
        G.add_node(int(props["index"]), **attrs)
    rows = sorted(hops, key=lambda r: (r["i"], r["j"], str(r["p"]["key"]), r["p"]["uid"]))
    for r in rows:
        p = r["p"]
        attrs = decode_properties(p, HOP_RESERVED)
        G.add_edge(int(r["i"]), int(r["j"]), key=p["key"], **attrs)
    return G
