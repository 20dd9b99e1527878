"""The superbasins of a hop network: a single-linkage tree of its bonds by equilibrium flux.

Bonds (pairs of opposite hops) are merged in decreasing flux (Kruskal, union by size with every
member's lattice offset in its root's frame), refusing a merge that would close a wrapping cycle;
the largest groups of the tree whose weakest internal link carries at least ``fast_ratio`` times
the flux out of them are the basins. The criterion and its reasons are in
:mod:`landscape.kinetics.superbasin` ("How sites are grouped"). Fluxes in Hz, offsets in lattice
vectors.
"""

from __future__ import annotations

import numba
import numpy as np

from .network import HopArrays

__all__ = ["group_superbasins"]


@numba.njit(cache=True)
def _find(parent, link, x):  # pragma: no cover - compiled
    """Root of ``x`` and the lattice offset of ``x`` in the root's frame (union by size, no compression)."""
    o0 = 0
    o1 = 0
    o2 = 0
    while parent[x] != x:
        o0 += link[x, 0]
        o1 += link[x, 1]
        o2 += link[x, 2]
        x = parent[x]
    return x, o0, o1, o2


@numba.njit(cache=True)
def _dendrogram(n, bond_a, bond_b, bond_shift, bond_flux, order):  # pragma: no cover - compiled
    """Single-linkage tree over the bonds in ``order``; refuses merges that would close a wrapping cycle.

    Returns (tree parent (2n−1,), merge flux (2n−1,), size (2n−1,), left child, right child,
    union-find root of every site (n,), offset of every site in its root's frame (n, 3)).
    Nodes 0 … n−1 are the sites; unused node slots keep size 0.
    """
    n_nodes = 2 * n - 1 if n > 0 else 0
    tree_parent = np.full(n_nodes, -1, dtype=np.int64)
    merge_flux = np.full(n_nodes, np.inf)
    size = np.zeros(n_nodes, dtype=np.int64)
    left = np.full(n_nodes, -1, dtype=np.int64)
    right = np.full(n_nodes, -1, dtype=np.int64)
    size[:n] = 1
    parent = np.arange(n)
    link = np.zeros((n, 3), dtype=np.int64)
    uf_size = np.ones(n, dtype=np.int64)
    node_of = np.arange(n)  # tree node that a union-find root currently stands for
    nxt = n
    for k in order:
        ra, a0, a1, a2 = _find(parent, link, bond_a[k])
        rb, b0, b1, b2 = _find(parent, link, bond_b[k])
        if ra == rb:
            continue  # already together (a redundant or a wrapping bond: never a tree link)
        # offset of b in a's frame is offset(a) + shift: o(rb in ra's frame) = o(a) + s − o(b)
        s0 = a0 + bond_shift[k, 0] - b0
        s1 = a1 + bond_shift[k, 1] - b1
        s2 = a2 + bond_shift[k, 2] - b2
        if uf_size[ra] < uf_size[rb]:
            parent[ra] = rb
            link[ra, 0] = -s0
            link[ra, 1] = -s1
            link[ra, 2] = -s2
            root = rb
        else:
            parent[rb] = ra
            link[rb, 0] = s0
            link[rb, 1] = s1
            link[rb, 2] = s2
            root = ra
        uf_size[root] = uf_size[ra] + uf_size[rb]
        na, nb = node_of[ra], node_of[rb]
        tree_parent[na] = nxt
        tree_parent[nb] = nxt
        left[nxt] = na
        right[nxt] = nb
        size[nxt] = size[na] + size[nb]
        merge_flux[nxt] = bond_flux[k]
        node_of[root] = nxt
        nxt += 1
    roots = np.empty(n, dtype=np.int64)
    offset = np.zeros((n, 3), dtype=np.int64)
    for i in range(n):
        r, o0, o1, o2 = _find(parent, link, i)
        roots[i] = r
        offset[i, 0] = o0
        offset[i, 1] = o1
        offset[i, 2] = o2
    return tree_parent, merge_flux, size, left, right, roots, offset


@numba.njit(cache=True)
def _leaf_intervals(tree_parent, left, right, size, n):  # pragma: no cover - compiled
    """Position of every site in a depth-first leaf order and the [lo, hi) leaf range of every node."""
    n_nodes = tree_parent.shape[0]
    lo = np.zeros(n_nodes, dtype=np.int64)
    hi = np.zeros(n_nodes, dtype=np.int64)
    pos = np.zeros(n, dtype=np.int64)
    stack = np.empty(n_nodes, dtype=np.int64)
    counter = 0
    for root in range(n_nodes):
        if tree_parent[root] != -1 or size[root] == 0:
            continue
        top = 0
        stack[0] = root
        lo[root] = counter
        while top >= 0:
            v = stack[top]
            top -= 1
            if v < n:
                pos[v] = counter
                lo[v] = counter
                hi[v] = counter + 1
                counter += 1
            else:
                top += 1
                stack[top] = right[v]
                top += 1
                stack[top] = left[v]
        hi[root] = counter
    # internal nodes: ranges from their children (children have smaller ids than parents)
    for v in range(n, n_nodes):
        if size[v] > 0:
            lo[v] = min(lo[left[v]], lo[right[v]])
            hi[v] = max(hi[left[v]], hi[right[v]])
    return pos, lo, hi


@numba.njit(cache=True)
def _exit_flux(
    src, dst, inside, flux, tree_parent, size, pos, lo, hi, max_sites
):  # pragma: no cover
    """Flux out of every tree node of at most ``max_sites`` sites (hops whose target is outside it,
    or inside it only through a wrapping cycle, ``inside[e] = False``)."""
    out = np.zeros(tree_parent.shape[0])
    for e in range(src.shape[0]):
        w = flux[e]
        if w <= 0.0:
            continue
        v = src[e]
        pj = pos[dst[e]]
        while v != -1 and size[v] <= max_sites:
            if inside[e] and lo[v] <= pj and pj < hi[v]:
                break
            out[v] += w
            v = tree_parent[v]
    return out


def _bonds(net: HopArrays, flux: np.ndarray):
    """Bonds (pairs of opposite hops) with their equilibrium flux ``min(J_ij, J_ji)``.

    Returns (a, b, shift (k, 3), flux (k,)) with ``a < b``; parallel hops of one bond are summed.
    """
    keep = net.src != net.dst  # self-loops never join two sites
    fwd = net.src < net.dst
    a = np.where(fwd, net.src, net.dst)[keep]
    b = np.where(fwd, net.dst, net.src)[keep]
    s = np.where(fwd[:, None], net.shift, -net.shift)[keep]
    key = np.column_stack([a, b, s])  # (m', 5)
    if len(key) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros((0, 3), dtype=np.int64), np.zeros(0)
    uniq, inverse = np.unique(key, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    j_fwd = np.zeros(len(uniq))
    j_rev = np.zeros(len(uniq))
    np.add.at(j_fwd, inverse[fwd[keep]], flux[keep][fwd[keep]])
    np.add.at(j_rev, inverse[~fwd[keep]], flux[keep][~fwd[keep]])
    return (
        uniq[:, 0].copy(),
        uniq[:, 1].copy(),
        np.ascontiguousarray(uniq[:, 2:]),
        np.minimum(j_fwd, j_rev),
    )


def group_superbasins(
    net: HopArrays, flux: np.ndarray, fast_ratio: float, max_sites: int
) -> tuple[np.ndarray, list[np.ndarray], np.ndarray, np.ndarray]:
    """The superbasins of a network whose hops carry the equilibrium ``flux`` (m,), Hz.

    Bonds are merged in decreasing flux into a single-linkage tree (never closing a wrapping
    cycle); the largest groups of 2 to ``max_sites`` sites whose weakest internal link carries at
    least ``fast_ratio`` times their exit flux are the basins
    (:mod:`landscape.kinetics.superbasin`, "How sites are grouped").

    Returns
    -------
    basin : numpy.ndarray of int64, shape (n_sites,)
        Basin index of every site, ``-1`` outside basins.
    members : list of numpy.ndarray
        Sorted sites of every basin.
    offset : numpy.ndarray of int64, shape (n_sites, 3)
        Lattice image of every basin member in its basin's frame (zero for other sites).
    inside : numpy.ndarray of bool, shape (m,)
        Hops between two sites of one tree that close no wrapping cycle.
    """
    n = net.n_sites
    a, b, bshift, bflux = _bonds(net, flux)
    order = np.argsort(-bflux, kind="stable")
    order = order[bflux[order] > 0]
    tree_parent, merge_flux, size, left, right, roots, offset = _dendrogram(
        n, a, b, bshift, bflux, order
    )
    pos, lo, hi = _leaf_intervals(tree_parent, left, right, size, n)
    L = (
        offset[net.src] + net.shift - offset[net.dst]
    )  # (m, 3) net lattice shift in the tree's frame
    inside = (roots[net.src] == roots[net.dst]) & ~np.any(L != 0, axis=1)  # (m,)
    loop = (net.src == net.dst) & inside  # zero-shift self-loops: no move at all
    jout = _exit_flux(
        net.src,
        net.dst,
        inside,
        np.where(loop, 0.0, flux),
        tree_parent,
        size,
        pos,
        lo,
        hi,
        max_sites,
    )
    valid = (size >= 2) & (size <= max_sites) & (merge_flux >= fast_ratio * jout)

    # the largest valid groups, top-down from every root of the forest
    basin = np.full(n, -1, dtype=np.int64)
    members: list[np.ndarray] = []
    leaf_order = np.argsort(pos)  # sites in depth-first order: a node's members are a slice
    stack = [v for v in range(len(size)) if size[v] > 0 and tree_parent[v] == -1]
    while stack:
        v = stack.pop()
        if v < n:
            continue
        if valid[v]:
            sites = np.sort(leaf_order[lo[v] : hi[v]])
            basin[sites] = len(members)
            members.append(sites)
        else:
            stack += [left[v], right[v]]
    offset = np.where(basin[:, None] >= 0, offset, 0)
    return basin, members, offset, inside
