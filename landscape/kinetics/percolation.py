"""The percolation barrier: the lowest saddle energy at which the open hops wrap the periodic cell.

Hops open in order of their saddle energy ``E_i + barrier_ij``. A union-find that carries, for every
site, its lattice-image offset relative to its cluster's root detects the moment a cluster closes a
cycle with a nonzero net lattice shift — it then wraps the cell (percolates in the periodic sample).
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np

from .network import HopArrays, hop_arrays

__all__ = ["PercolationResult", "percolation_barrier"]


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


def _bonds(net: HopArrays) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Undirected bonds: (i, j, shift, saddle energy); a pair of opposite hops opens at the higher saddle."""
    i, j, s = net.src.copy(), net.dst.copy(), net.shift.copy()
    saddle = net.saddle_energies
    # canonical orientation: i < j, or i == j with the shift lexicographically positive
    lex_neg = (s[:, 0] < 0) | ((s[:, 0] == 0) & ((s[:, 1] < 0) | ((s[:, 1] == 0) & (s[:, 2] < 0))))
    flip = (i > j) | ((i == j) & lex_neg)
    i[flip], j[flip] = net.dst[flip], net.src[flip]
    s[flip] = -s[flip]
    keys = np.column_stack([i, j, s])  # (m, 5)
    uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    top = np.full(len(uniq), -np.inf)
    np.maximum.at(top, inverse, saddle)
    keep = ~((uniq[:, 0] == uniq[:, 1]) & np.all(uniq[:, 2:] == 0, axis=1))  # shift-0 self-loops
    return uniq[keep, 0], uniq[keep, 1], uniq[keep, 2:], top[keep]


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
    bi, bj, bs, saddle = _bonds(net)
    order = np.argsort(saddle, kind="stable")
    n = net.n_sites
    parent = list(range(n))
    size = [1] * n
    offset = np.zeros((n, 3), dtype=np.int64)  # image of a site relative to its parent
    basis: dict[int, np.ndarray] = {}  # root -> independent cycle shifts (r, 3)

    def find(a: int) -> tuple[int, np.ndarray]:
        path = []
        while parent[a] != a:
            path.append(a)
            a = parent[a]
        root = a
        total = np.zeros(3, dtype=np.int64)
        for node in reversed(path):  # compress: offsets relative to the root
            total = total + offset[node]
            offset[node] = total
            parent[node] = root
        return root, (offset[path[0]].copy() if path else np.zeros(3, dtype=np.int64))

    def add_cycles(root: int, vectors: list[np.ndarray]) -> None:
        current = basis.get(root, np.zeros((0, 3), dtype=np.int64))
        for v in vectors:
            if len(current) == 3 or not np.any(v):
                continue
            trial = np.vstack([current, v])
            if np.linalg.matrix_rank(trial.astype(float)) > len(current):
                current = trial
        basis[root] = current

    e_min = float(net.energies.min())
    n_bonds = len(order)
    first = {"any": None, "x": None, "y": None, "z": None}
    frac = dict(first)
    dims: list[tuple[float, int]] = []
    best_dim = 0
    for count, b in enumerate(order, start=1):
        ri, oi = find(int(bi[b]))
        rj, oj = find(int(bj[b]))
        if ri == rj:
            cycle = oi + bs[b] - oj
            if not np.any(cycle) or len(basis.get(ri, ())) == 3:
                continue
            add_cycles(ri, [cycle])
            root = ri
        else:
            if size[ri] < size[rj]:  # attach the smaller tree under the larger
                ri, rj, oi, oj = rj, ri, oj, oi
                link = oi - bs[b] - oj  # j's root frame seen from i's root: bond j -> i is -shift
            else:
                link = oi + bs[b] - oj
            parent[rj] = ri
            offset[rj] = link
            size[ri] += size[rj]
            merged = basis.pop(rj, np.zeros((0, 3), dtype=np.int64))
            add_cycles(ri, list(merged))
            root = ri
        cycles = basis.get(root, np.zeros((0, 3), dtype=np.int64))
        level = float(saddle[b]) - e_min
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
