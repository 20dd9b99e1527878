"""The percolation barrier: the lowest saddle energy at which the open hops wrap the periodic cell.

Hops open in order of their saddle energy ``E_i + barrier_ij``. A union-find that carries, for every
site, its lattice-image offset relative to its cluster's root detects the moment a cluster closes a
cycle with a nonzero net lattice shift — it then wraps the cell (percolates in the periodic sample).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import networkx as nx
import numpy as np

from .network import HopArrays, hop_arrays

__all__ = ["PercolationResult", "percolation_barrier", "undirected_bonds", "wrapping_threshold"]


@dataclass(frozen=True, eq=False)
class PercolationResult:
    """Result of :func:`percolation_barrier`. Energies are relative to the lowest site energy.

    Attributes
    ----------
    any, x, y, z : float or None
        Percolation barrier E* − min(E_site), eV, for wrapping in any direction and with a nonzero
        net shift along the first, second, third lattice vector; ``None`` where it never wraps.
    fraction_any, fraction_x, fraction_y, fraction_z : float or None
        Fraction of hops (undirected bonds) open at that threshold.
    dimensionality : list of tuple(float, int)
        ``(E* − min E_site, d)`` each time the largest wrapping dimensionality of any cluster rises to
        ``d`` (1: a wrapping line, 2: a sheet, 3: bulk), eV.
    e_min : float
        Lowest site energy, eV.
    n_bonds : int
        Undirected bonds (pairs of opposite directed hops counted once).
    """

    any: float | None
    x: float | None
    y: float | None
    z: float | None
    fraction_any: float | None
    fraction_x: float | None
    fraction_y: float | None
    fraction_z: float | None
    dimensionality: list[tuple[float, int]]
    e_min: float
    n_bonds: int

    def as_dict(self) -> dict[str, float | None]:
        """``{"any": e, "x": e, "y": e, "z": e}`` in eV (None where it never wraps)."""
        return {"any": self.any, "x": self.x, "y": self.y, "z": self.z}


def undirected_bonds(
    net: HopArrays,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Undirected bonds ``(i, j, shift, saddle energy)`` and the bond of every directed hop.

    ``i -> j`` with shift ``s`` and ``j -> i`` with ``-s`` are one bond, oriented ``i < j`` (or
    ``i == j`` with the shift lexicographically positive), that opens at the higher of their
    saddle energies (eV). Bonds in lexicographic order of ``(i, j, shift)``; shift-0 self-loops
    are kept (they never change a cluster).
    """
    i, j, s = net.src.copy(), net.dst.copy(), net.shift.copy()
    neg = (s[:, 0] < 0) | ((s[:, 0] == 0) & ((s[:, 1] < 0) | ((s[:, 1] == 0) & (s[:, 2] < 0))))
    flip = (i > j) | ((i == j) & neg)
    i[flip], j[flip], s[flip] = net.dst[flip], net.src[flip], -s[flip]
    # np.unique(keys, axis=0, return_inverse=True) by a lexsort: the same bonds in the same
    # order, 3x faster (a 300-site network: ~1 ms against ~3-4 ms)
    order = np.lexsort((s[:, 2], s[:, 1], s[:, 0], j, i))
    keys = np.column_stack([i, j, s])[order]
    first = np.ones(len(keys), dtype=bool)
    first[1:] = np.any(keys[1:] != keys[:-1], axis=1)
    starts = np.flatnonzero(first)
    bond = np.empty(len(keys), dtype=np.int64)
    bond[order] = np.cumsum(first) - 1
    top = np.maximum.reduceat(net.saddle_energies[order], starts) if len(keys) else np.zeros(0)
    keys = keys[starts]
    return keys[:, 0], keys[:, 1], keys[:, 2:], top, bond


def _bonds(net: HopArrays) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The undirected bonds ``(i, j, shift, saddle energy)`` without shift-0 self-loops."""
    i, j, s, top, _ = undirected_bonds(net)
    keep = ~((i == j) & np.all(s == 0, axis=1))
    return i[keep], j[keep], s[keep], top[keep]


def percolation_barrier(G: nx.MultiDiGraph | HopArrays) -> PercolationResult:
    """Lowest saddle-energy threshold at which the open hops form a cluster that wraps the cell.

    Parameters
    ----------
    G : networkx.MultiDiGraph or HopArrays
        Hop network (docs/design.md, "Hop network"); a hop's saddle energy is ``E_i + barrier_ij`` (eV).
        The two directions of a hop form one bond that opens at the higher of their saddle energies
        (they are equal when the barriers come from one saddle).

    Returns
    -------
    PercolationResult
        E* − min(E_site) in eV for wrapping in any direction and along each lattice vector, the
        fractions of open bonds there, and the wrapping dimensionality as the threshold rises.

    Raises
    ------
    InputError
        Invalid network.

    Examples
    --------
    >>> from landscape.kinetics.synthetic import cubic_lattice_network
    >>> round(percolation_barrier(cubic_lattice_network(3, barrier=0.4)).any, 6)
    0.4

    Notes
    -----
    Bonds are sorted by saddle energy and merged with a union-find (path compression, union by
    size) whose entries carry the image offset of a site relative to its root. Joining ``i`` to
    the image ``shift`` of ``j`` inside one cluster closes a cycle of net shift
    ``off_i + shift − off_j``; the rank of a cluster's cycle shifts is its wrapping dimensionality.
    O(m log m) for the sort, near-linear after.
    """
    net = hop_arrays(G)
    e_min = float(net.energies.min())
    first: dict[str, float | None] = {"any": None, "x": None, "y": None, "z": None}
    frac = dict(first)
    dims: list[tuple[float, int]] = []
    best_dim = 0
    bonds = _bonds(net)
    n_bonds = len(bonds[3])
    for count, level, cycles in _sweep(bonds, net.n_sites, e_min):
        if len(cycles) > best_dim:
            best_dim = len(cycles)
            dims.append((level, best_dim))
        for key, axis in (("any", None), ("x", 0), ("y", 1), ("z", 2)):
            if first[key] is None and len(cycles):
                hit = True if axis is None else bool(np.any(cycles[:, axis] != 0))
                if hit:
                    first[key] = level
                    frac[key] = count / n_bonds
        if best_dim == 3 and all(v is not None for v in first.values()):
            break
    return PercolationResult(
        any=first["any"],
        x=first["x"],
        y=first["y"],
        z=first["z"],
        fraction_any=frac["any"],
        fraction_x=frac["x"],
        fraction_y=frac["y"],
        fraction_z=frac["z"],
        dimensionality=dims,
        e_min=e_min,
        n_bonds=n_bonds,
    )


def wrapping_threshold(net: HopArrays) -> float | None:
    """E* − min(E_site) in eV: the ``any`` field of :func:`percolation_barrier` alone (the sweep
    stops at the first wrapping cluster), ``None`` where the network never wraps the cell."""
    e_min = float(net.energies.min())
    for _count, level, cycles in _sweep(_bonds(net), net.n_sites, e_min):
        if len(cycles):
            return level
    return None


def _sweep(
    bonds: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], n: int, e_min: float
) -> Iterator[tuple[int, float, np.ndarray]]:
    """Open the bonds ``(i, j, shift, saddle)`` of ``n`` sites in order of saddle energy; after each
    bond that joins two clusters or adds a cycle, yield ``(bonds open, saddle − e_min (eV), the
    independent cycle shifts of the cluster it is in, (r, 3))``.

    A union-find (path compression, union by size) whose entries carry the image offset of a site
    relative to its root: joining ``i`` to the image ``shift`` of ``j`` inside one cluster closes a
    cycle of net shift ``off_i + shift − off_j``.
    """
    bi, bj, bs, saddle = bonds
    order = np.argsort(saddle, kind="stable").tolist()
    bi, bj, shifts, levels = bi.tolist(), bj.tolist(), bs.tolist(), (saddle - e_min).tolist()
    parent = list(range(n))
    size = [1] * n
    zero = (0, 0, 0)
    offset = [zero] * n  # image of a site relative to its parent (plain tuples: fast)
    basis: dict[int, np.ndarray] = {}  # root -> independent cycle shifts (r, 3)
    none = np.zeros((0, 3), dtype=np.int64)

    def find(a: int) -> tuple[int, tuple[int, int, int]]:
        path = []
        while parent[a] != a:
            path.append(a)
            a = parent[a]
        x = y = z = 0
        for node in reversed(path):  # compress: offsets relative to the root
            o = offset[node]
            x, y, z = x + o[0], y + o[1], z + o[2]
            offset[node] = (x, y, z)
            parent[node] = a
        return a, (offset[path[0]] if path else zero)

    def add_cycles(root: int, vectors) -> None:
        current = basis.get(root, none)
        for v in vectors:
            if len(current) == 3 or not any(v):
                continue
            trial = np.vstack([current, v])
            if np.linalg.matrix_rank(trial.astype(float)) > len(current):
                current = trial
        basis[root] = current

    for count, b in enumerate(order, start=1):
        ri, oi = find(bi[b])
        rj, oj = find(bj[b])
        s = shifts[b]
        if ri == rj:
            cycle = (oi[0] + s[0] - oj[0], oi[1] + s[1] - oj[1], oi[2] + s[2] - oj[2])
            if not any(cycle) or len(basis.get(ri, ())) == 3:
                continue
            add_cycles(ri, [cycle])
        else:
            if size[ri] < size[rj]:  # attach the smaller tree under the larger
                ri, rj, oi, oj = rj, ri, oj, oi
                s = (-s[0], -s[1], -s[2])  # j's root frame seen from i's root: bond j -> i
            parent[rj] = ri
            offset[rj] = (oi[0] + s[0] - oj[0], oi[1] + s[1] - oj[1], oi[2] + s[2] - oj[2])
            size[ri] += size[rj]
            if rj in basis:
                add_cycles(ri, list(basis.pop(rj)))
        yield count, levels[b], basis.get(ri, none)
