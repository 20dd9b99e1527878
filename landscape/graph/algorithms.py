"""Named queries computed in Python over a sample's hop network (no Cypher can express them).

Plain Cypher (the subset that runs on ArcadeDB and Neo4j 5, see :mod:`landscape.graph`) has no
minimum-bottleneck path and no percolation analysis, so two landscape queries are computed here,
in Python, on the network that :func:`~landscape.graph.saddles.saddle_network` reads
(or any hop network given):

* ``minimax_path`` — between two sites, the path whose highest saddle energy is lowest (the
  bottleneck a walker must cross): a Dijkstra search whose path cost is the highest saddle energy
  on the path (``max`` in place of ``+``), then the fewest hops below that energy;
* ``bottleneck_hops`` — the hops at the percolation barrier without which the hops open there no
  longer wrap the periodic cell (:func:`landscape.kinetics.percolation.percolation_barrier` gives
  the barrier).

Each is declared like a ``.cypher`` file (name, purpose, ``$parameters`` with types and ranges,
columns), as a :class:`~landscape.graph.queries.NamedQuery` without statements, so that
:meth:`GraphStore.query` checks parameters the same way and ``landscape db queries | query`` list
and run them beside the Cypher files (:func:`named_query`, :func:`all_query_names`).

Both read the network lean, straight into :class:`~landscape.contracts.HopArrays`
(:mod:`landscape.graph.saddles`: ``network_saddles.cypher``, no networkx graph), in about a third
of the time of :meth:`GraphStore.hop_network`. ``minimax_path`` then adds ~1 ms,
``bottleneck_hops`` 10-25 ms, two thirds of it the percolation barrier. For 300 sites and 3,400
hops on 2 cores shared at a load average of 6-7 (``benchmarks/bench_graph.py``, four runs), p50
/ p95: ``minimax_path`` 25-44 / 42-65 ms, ``bottleneck_hops`` 33-57 / 44-70 ms, against
``hop_network()`` alone 80-124 / 176-227 ms in the same runs.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np

from ..contracts import HopArrays, hop_arrays
from ..errors import InputError
from .network import hop_uid
from .queries import NamedQuery, Param, load_query, query_names
from .saddles import SaddleStore, saddle_network

__all__ = [
    "Algorithm",
    "MinimaxPath",
    "minimax_path",
    "bottleneck_hops",
    "network_below",
    "find_algorithm",
    "algorithm_names",
    "named_query",
    "all_query_names",
]

_NAME = re.compile(r"[a-z][a-z0-9_]*")  # a query name, as cypher/<name>.cypher


# ----------------------------------------------------------------------------- the hop network


@dataclass(frozen=True, eq=False)
class _Net:
    """A validated hop network (:class:`HopArrays`), its sample id and its lowest site energy."""

    arrays: HopArrays
    sample_id: str
    e_min: float
    position: dict[Any, int]  # node id -> row of the site arrays

    @classmethod
    def of(cls, G: nx.MultiDiGraph | HopArrays, sample_id: str | None = None) -> _Net:
        """``G`` checked by :func:`~landscape.contracts.hop_arrays` (a :class:`HopArrays` as it
        is); ``sample_id`` defaults to the graph attribute (``""`` for a :class:`HopArrays`)."""
        net = hop_arrays(G)
        if sample_id is None:
            sample_id = "" if isinstance(G, HopArrays) else str(G.graph.get("sample_id", ""))
        position = {node: k for k, node in enumerate(net.node_ids)}
        return cls(net, sample_id, float(net.energies.min()), position)

    def site(self, index: Any, what: str) -> int:
        """The row of site ``index`` (:class:`InputError` if the network has no such site)."""
        if isinstance(index, bool) or not isinstance(index, int) or index not in self.position:
            ids = sorted(self.position)
            raise InputError(
                f"{what} {index!r} is not a site of sample {self.sample_id!r} "
                f"(site indices {ids[0]}..{ids[-1]})"
            )
        return self.position[index]

    def uid(self, hop: int) -> str:
        """The uid of directed hop number ``hop`` (a row of the edge arrays)."""
        a = self.arrays
        ids = a.node_ids
        return hop_uid(self.sample_id, ids[a.src[hop]], ids[a.dst[hop]], a.shift[hop].tolist())

    def row(self, hop: int) -> dict[str, Any]:
        a = self.arrays
        saddle = float(a.energies[a.src[hop]] + a.barrier[hop])
        return {
            "source": int(a.node_ids[a.src[hop]]),
            "target": int(a.node_ids[a.dst[hop]]),
            "shift": a.shift[hop].tolist(),
            "barrier": float(a.barrier[hop]),
            "saddle_energy": saddle,
            "saddle_relative": saddle - self.e_min,
            "uid": self.uid(hop),
        }


# ----------------------------------------------------------------------------- minimax path


@dataclass(frozen=True)
class MinimaxPath:
    """Result of :func:`minimax_path`: energies in eV.

    Attributes
    ----------
    source, target : int
        Site indices.
    saddle_energy : float or None
        The highest saddle energy on the path (absolute, the reference of the site energies):
        the lowest such energy of any path from ``source`` to ``target``; ``None`` when
        ``source == target`` (no hop).
    saddle_relative : float or None
        The same, above the lowest site energy of the network.
    barrier : float or None
        ``saddle_energy`` minus the energy of ``source``: how high a walker starting there must
        climb.
    sites : list of int
        The sites of the path, ``source`` first, ``target`` last.
    hops : list of str
        The uids of its hops (``"<sample_id>/<i>/<j>/<n1>,<n2>,<n3>"``).
    """

    source: int
    target: int
    saddle_energy: float | None
    saddle_relative: float | None
    barrier: float | None
    sites: list[int]
    hops: list[str]


def minimax_path(
    G: nx.MultiDiGraph | HopArrays, source: int, target: int, *, sample_id: str | None = None
) -> MinimaxPath | None:
    """The path from ``source`` to ``target`` whose highest saddle energy is lowest.

    Parameters
    ----------
    G : networkx.MultiDiGraph or HopArrays
        Hop network (node ``energy``, eV; edge ``barrier``, eV, and ``shift``): a hop ``i -> j``
        crosses the saddle energy ``E_i + barrier`` (eV). Hops are followed in their direction.
        A :class:`HopArrays` (:func:`~landscape.graph.saddles.saddle_network`) is taken as it is.
    source, target : int
        Site indices.
    sample_id : str, optional
        The sample the hop uids name; by default the graph attribute ``sample_id`` (``""`` for a
        :class:`HopArrays`).

    Returns
    -------
    MinimaxPath or None
        The minimum-bottleneck path, of the fewest hops among those whose highest saddle energy is
        the lowest; ``None`` when ``target`` cannot be reached from ``source``.

    Raises
    ------
    InputError
        ``source`` or ``target`` is not a site of ``G``, or ``G`` breaks the hop-network contract.

    Notes
    -----
    Plain Cypher has no minimum-bottleneck path, so this runs in Python: a Dijkstra search whose
    path cost is the highest saddle energy on the path (``max`` in place of ``+``; O(m log n)),
    stopped when ``target`` is settled, then a breadth-first search over the hops at or below
    that energy for the fewest hops (ties broken by site index, then saddle energy, then shift).
    """
    net = _Net.of(G, sample_id)
    s, t = net.site(source, "source"), net.site(target, "target")
    if s == t:
        return MinimaxPath(source, target, None, None, None, [source], [])
    a = net.arrays
    indptr, dst = a.indptr.tolist(), a.dst.tolist()
    saddle = a.saddle_energies.tolist()
    best = {s: -math.inf}
    heap = [(-math.inf, s)]
    done: set[int] = set()
    while heap:
        cost, u = heapq.heappop(heap)
        if u in done:
            continue
        done.add(u)
        if u == t:
            break
        for h in range(indptr[u], indptr[u + 1]):
            c = cost if cost > saddle[h] else saddle[h]
            if c < best.get(dst[h], math.inf):
                best[dst[h]] = c
                heapq.heappush(heap, (c, dst[h]))
    if t not in done:
        return None
    top = best[t]
    # the fewest hops among the paths that stay at or below `top`
    shift = a.shift.tolist()
    via: dict[int, int] = {}
    queue, seen = deque([s]), {s}
    while queue and t not in seen:
        u = queue.popleft()
        below = [h for h in range(indptr[u], indptr[u + 1]) if saddle[h] <= top]
        for h in sorted(below, key=lambda h: (a.node_ids[dst[h]], saddle[h], shift[h])):
            if dst[h] not in seen:
                seen.add(dst[h])
                via[dst[h]] = h
                queue.append(dst[h])
    path: list[int] = []
    node = t
    while node != s:
        path.append(via[node])
        node = int(a.src[via[node]])
    path.reverse()
    return MinimaxPath(
        source,
        target,
        top,
        top - net.e_min,
        top - float(a.energies[s]),
        [source] + [int(a.node_ids[dst[h]]) for h in path],
        [net.uid(h) for h in path],
    )


# ----------------------------------------------------------------------------- bottleneck hops


def _spanning_forest(n: int, bi: list[int], bj: list[int], bs: list[list[int]]):
    """A breadth-first spanning forest of the bonds: each site's lattice image ``pos`` in its
    tree (integer, (n, 3)), the bond and site above it (-1 at a root), and the pre-order
    ``tin``/``tout`` of a depth-first walk of the forest (site ``x`` lies under site ``v`` when
    ``tin[v] <= tin[x] <= tout[v]``)."""
    adj: list[list[tuple[int, int, int]]] = [[] for _ in range(n)]
    for k, (i, j) in enumerate(zip(bi, bj, strict=True)):
        adj[i].append((k, j, 1))
        adj[j].append((k, i, -1))
    pos = [(0, 0, 0)] * n
    up_bond, up_site = [-1] * n, [-1] * n
    seen = [False] * n
    children: list[list[int]] = [[] for _ in range(n)]
    roots = []
    for root in range(n):
        if seen[root]:
            continue
        seen[root] = True
        roots.append(root)
        queue = deque([root])
        while queue:
            u = queue.popleft()
            for k, v, sign in adj[u]:
                if not seen[v]:
                    seen[v] = True
                    d = bs[k]
                    p = pos[u]
                    pos[v] = (p[0] + sign * d[0], p[1] + sign * d[1], p[2] + sign * d[2])
                    up_bond[v], up_site[v] = k, u
                    children[u].append(v)
                    queue.append(v)
    tin, tout = [0] * n, [0] * n
    clock = 0
    for root in roots:
        stack = [(root, False)]
        while stack:
            u, finished = stack.pop()
            if finished:
                tout[u] = clock - 1
                continue
            tin[u] = clock
            clock += 1
            stack.append((u, True))
            stack.extend((c, False) for c in reversed(children[u]))
    return np.array(pos, dtype=np.int64), up_bond, up_site, np.array(tin), np.array(tout)


def _bottleneck_bonds(n: int, bi: np.ndarray, bj: np.ndarray, bs: np.ndarray) -> list[int]:
    """The bonds (indices into ``bi``, ``bj``, ``bs``) without which the others do not wrap.

    With a spanning forest whose sites carry lattice images ``pos``, a bond ``(i, j, s)``
    outside the forest closes a cycle of net shift ``pos[i] + s - pos[j]`` (its mismatch); the
    bonds wrap the cell when some mismatch is nonzero. A bond outside the forest is a bottleneck
    when it is the only one with a nonzero mismatch. A forest bond above site ``v`` is one when
    the bonds with a nonzero mismatch all join the subtree of ``v`` to the rest and every bond
    joining them has the same nonzero mismatch (seen from the rest): the subtree's images can
    then be shifted to close every cycle without that bond. Only the bonds of one wrapping cycle
    can qualify, so only they are tested.
    """
    pos, up_bond, up_site, tin, tout = _spanning_forest(n, bi.tolist(), bj.tolist(), bs.tolist())
    mismatch = pos[bi] + bs - pos[bj]  # zero on the forest's own bonds
    unbalanced = np.any(mismatch != 0, axis=1)
    wrapping = np.flatnonzero(unbalanced)
    if len(wrapping) == 0:
        return []
    k0 = int(wrapping[0])
    red = [k0] if len(wrapping) == 1 else []
    path: set[int] = set()
    for end in (int(bi[k0]), int(bj[k0])):  # both tree paths to the root; the common part cancels
        while up_bond[end] >= 0:
            path ^= {(up_bond[end], end)}
            end = up_site[end]
    for k, v in sorted(path):
        in_i = (tin[v] <= tin[bi]) & (tin[bi] <= tout[v])
        in_j = (tin[v] <= tin[bj]) & (tin[bj] <= tout[v])
        across = in_i != in_j
        across[k] = False  # the bond itself, the one taken away
        if np.any(unbalanced & ~across):
            continue
        seen_from_rest = np.where(in_j[:, None], mismatch, -mismatch)[across]
        if len(seen_from_rest) and np.all(seen_from_rest == seen_from_rest[0]):
            red.append(k)
    return sorted(red)


def bottleneck_hops(
    G: nx.MultiDiGraph | HopArrays, *, sample_id: str | None = None
) -> tuple[float | None, list[dict[str, Any]]]:
    """The hops at the percolation barrier that every wrapping path of open hops crosses.

    A hop is open below the percolation barrier E* (the lowest saddle energy at which the open
    hops wrap the periodic cell, :func:`landscape.kinetics.percolation.percolation_barrier`; the
    two directions of a hop form one bond that opens at the higher of their saddle energies). A
    bottleneck bond is an open bond without which the bonds open at E* no longer wrap the cell:
    removing it disconnects the percolating cluster across the cell, and raises the percolation
    barrier above E*. The bond that opens at E* is one when no other bond opens at the same
    energy; a network with several independent wrapping paths at E* (a uniform lattice) has none.

    Parameters
    ----------
    G : networkx.MultiDiGraph or HopArrays
        Hop network (node ``energy``, eV; edge ``barrier``, eV, and ``shift``); a
        :class:`HopArrays` (:func:`~landscape.graph.saddles.saddle_network`) is taken as it is.
    sample_id : str, optional
        The sample the hop uids name; by default the graph attribute ``sample_id`` (``""`` for a
        :class:`HopArrays`).

    Returns
    -------
    (float or None, list of dict)
        E* above the lowest site energy (eV; ``None`` when the network never wraps, and then no
        rows), and one row per directed hop of each bottleneck bond, by source, target, uid:
        ``source``, ``target``, ``shift``, ``barrier`` (eV), ``saddle_energy`` (eV, absolute),
        ``saddle_relative`` (eV above the lowest site), ``uid``.

    Raises
    ------
    InputError
        ``G`` breaks the hop-network contract.

    Notes
    -----
    Python over the network, as Cypher has no percolation analysis: a spanning forest of the
    bonds open at E* with the lattice image of every site, then a vectorised test of each bond
    of one wrapping cycle (every wrapping cycle crosses a bottleneck, so no other bond can be
    one); O(m) for the forest and O(L m) for a cycle of L bonds among m open ones.
    """
    from ..kinetics.percolation import undirected_bonds, wrapping_threshold

    net = _Net.of(G, sample_id)
    a = net.arrays
    perc = wrapping_threshold(a)
    if perc is None:
        return None, []
    bi, bj, bs, top, bond = undirected_bonds(a)
    # open at E*: the same arithmetic as percolation_barrier (saddle - e_min <= E*)
    self_loop = (bi == bj) & np.all(bs == 0, axis=1)
    open_ = np.flatnonzero((top - net.e_min <= perc) & ~self_loop)
    red = open_[_bottleneck_bonds(a.n_sites, bi[open_], bj[open_], bs[open_])]
    rows = [net.row(int(h)) for h in np.flatnonzero(np.isin(bond, red))]
    rows.sort(key=lambda r: (r["source"], r["target"], r["uid"]))
    return perc, rows


# ----------------------------------------------------------------------------- the registry


@dataclass(frozen=True)
class Algorithm:
    """A named query computed in Python: its declaration and the function that answers it.

    ``run(store, params)`` gets the parameters already checked against ``declaration`` and
    returns the rows as dicts, as :meth:`GraphStore.query` does for a ``.cypher`` file.
    """

    declaration: NamedQuery
    run: Callable[[SaddleStore, Mapping[str, Any]], list[dict[str, Any]]]

    @property
    def name(self) -> str:
        return self.declaration.name


def _declare(
    name: str,
    purpose: str,
    params: list[tuple[Param, str]],
    returns: str,
    run: Callable[[SaddleStore, Mapping[str, Any]], list[dict[str, Any]]],
) -> Algorithm:
    """An :class:`Algorithm` whose header text has the form of a ``.cypher`` file's."""
    lines = [f"// {name} — {purpose}", "//", "// Mode: read", "// Parameters:"]
    for p, text in params:
        extra = ", optional" if p.optional else ""
        if p.low is not None or p.high is not None:
            lo = "" if p.low is None else f"{p.low:g}"
            hi = "" if p.high is None else f"{p.high:g}"
            extra += f", {lo}..{hi}"
        lines.append(f"//   ${p.name} ({p.type}{extra})  {text}")
    lines.append(f"// Returns: {returns}")
    lines.append("//")
    lines.append(
        "// Computed in Python (landscape.graph.algorithms) over what network_saddles.cypher reads."
    )
    decl = NamedQuery(name, "read", tuple(p for p, _ in params), (), "\n".join(lines) + "\n")
    return Algorithm(decl, run)


def _run_minimax(store: SaddleStore, params: Mapping[str, Any]) -> list[dict[str, Any]]:
    sid = params["sample_id"]
    path = minimax_path(
        saddle_network(store, sid), params["source"], params["target"], sample_id=sid
    )
    row: dict[str, Any] = {
        "source": params["source"],
        "target": params["target"],
        "reachable": path is not None,
        "saddle_energy": None,
        "saddle_relative": None,
        "barrier": None,
        "n_hops": None,
        "sites": [],
        "hops": [],
    }
    if path is not None:
        row.update(
            saddle_energy=path.saddle_energy,
            saddle_relative=path.saddle_relative,
            barrier=path.barrier,
            n_hops=len(path.hops),
            sites=path.sites,
            hops=path.hops,
        )
    return [row]


def _run_bottlenecks(store: SaddleStore, params: Mapping[str, Any]) -> list[dict[str, Any]]:
    sid = params["sample_id"]
    perc, rows = bottleneck_hops(saddle_network(store, sid), sample_id=sid)
    return [{**r, "percolation_barrier": perc} for r in rows]


_SAMPLE = (Param("sample_id", "string"), "the sample")

_ALGORITHMS: dict[str, Algorithm] = {
    a.name: a
    for a in (
        _declare(
            "minimax_path",
            "between two sites of one sample, the path whose highest saddle energy is lowest "
            "(the bottleneck a walker must cross), with that energy.",
            [
                _SAMPLE,
                (Param("source", "integer", low=0), "the start site's index"),
                (Param("target", "integer", low=0), "the end site's index"),
            ],
            "one row: source, target, reachable (false when no path of hops leads from source "
            "to target; the other columns are then null or empty), saddle_energy (eV, absolute: "
            "the highest saddle energy on the path, the lowest of any path), saddle_relative (eV "
            "above the sample's lowest site), barrier (eV, saddle_energy minus the energy of "
            "source), n_hops, sites (site indices, source first), hops (hop uids), the fewest "
            "hops among the minimax paths. source = target: no hop, null energies. An unknown "
            "sample or site index is refused.",
            _run_minimax,
        ),
        _declare(
            "bottleneck_hops",
            "the hops at the percolation barrier of one sample that every path wrapping the "
            "cell crosses: without one of them, the hops open at the percolation barrier no "
            "longer wrap the cell.",
            [_SAMPLE],
            "one row per directed hop of each bottleneck (both directions), by source, target, "
            "uid: source, target (site indices), shift, barrier (eV), saddle_energy (eV, "
            "absolute), saddle_relative (eV above the sample's lowest site), uid, "
            "percolation_barrier (eV above the lowest site). No row when the network never "
            "wraps the cell, or several independent paths wrap it at the percolation barrier. "
            "An unknown sample is refused.",
            _run_bottlenecks,
        ),
    )
}


def algorithm_names() -> tuple[str, ...]:
    """Names of the named queries computed in Python, sorted."""
    return tuple(sorted(_ALGORITHMS))


def find_algorithm(name: str) -> Algorithm | None:
    """The Python query ``name``, or ``None`` when ``name`` is not one (a ``.cypher`` file, maybe)."""
    return _ALGORITHMS.get(name) if isinstance(name, str) else None


def all_query_names() -> tuple[str, ...]:
    """Every named query, ``.cypher`` files and Python queries together, sorted."""
    return tuple(sorted(set(query_names()) | set(_ALGORITHMS)))


def named_query(name: str) -> NamedQuery:
    """The declaration of a named query, Python or ``.cypher`` (:class:`InputError` if unknown)."""
    algorithm = find_algorithm(name)
    if algorithm is not None:
        return algorithm.declaration
    if isinstance(name, str) and _NAME.fullmatch(name) and name not in query_names():
        raise InputError(f"no named query {name!r}; known: {', '.join(all_query_names())}")
    return load_query(name)  # refuses a malformed name in one line


def network_below(G: nx.MultiDiGraph, max_energy: float) -> nx.MultiDiGraph:
    """The hop network ``G`` reduced to the hops whose saddle energy relative to its lowest site is
    at most ``max_energy`` (eV, to 1e-9 eV) and the sites they touch, in node order, with the
    graph attribute ``max_energy`` (eV); it may hold no hop (``hops_below``'s convention)."""
    ok = isinstance(max_energy, int | float) and not isinstance(max_energy, bool)
    if not (ok and math.isfinite(max_energy)):
        raise InputError(f"max_energy must be a finite number of eV, got {max_energy!r}")
    e_min = min(e for _, e in G.nodes(data="energy"))
    keep = [
        (i, j, k)
        for i, j, k, b in G.edges(keys=True, data="barrier")
        if G.nodes[i]["energy"] + b - e_min <= max_energy + 1e-9
    ]
    H = G.edge_subgraph(keep).copy()
    H.graph["max_energy"] = float(max_energy)
    return H
