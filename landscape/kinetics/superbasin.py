"""Superbasins of a hop network and their mean-rate exit tables, for accelerated KMC.

A walker in a trap-rich network spends almost every hop rattling between sites joined by tiny
barriers. The mean-rate method (MRM; Puchala, Falk & Garikipati, J. Chem. Phys. 132, 134104 (2010))
replaces every visit to such a group of sites, a *superbasin*, by one move: from the site ``s`` where
the walker entered, it leaves by exit hop ``e`` with the probability of the absorbing Markov chain of
the basin, after an exponential waiting time whose mean is the chain's mean exit time ``τ_s``
(Puchala et al., Eqs. 12–16; Novotny's absorbing Markov chains in the same form). Both come from the
fundamental matrix ``N = (−Q_BB)⁻¹`` of the basin's sub-generator: ``τ_s = Σ_j N_sj`` and
``P_se = N_{s, src(e)} k_e``. The moves of the walk are then those of an effective network on the
same sites: from every member ``s`` of a basin one move per exit hop ``e``, to ``dst(e)``, with
displacement ``u_{src(e)} − u_s + d_e`` (``u`` the unwrapped position of a member in its basin) and
rate ``P_se / τ_s``; from a site in no basin, its own hops.

Exactness
---------
The moves keep the exact sequence of exit sites and displacements (the embedded chain of basin
entries is that of the real walk) and the exact mean residence time of every entry. With no mean
drift (always the case under detailed balance, i.e. barriers from one saddle energy per hop), the
long-time diffusion tensor of a Markov renewal walk depends on the residence times only through their
means, so ``D`` is exact; what the exponential residence changes is a bounded offset of the mean
squared displacement (and the position shown during a residence is the entry site's), which the
KMC slope fit absorbs. A basin never wraps the periodic cell: its internal hops have no cycle with a
net lattice shift, so every member has one unwrapped position relative to the basin; a hop between
two members that would close such a cycle is an exit hop that re-enters the same basin.

How sites are grouped
---------------------
At each temperature, every bond (a pair of opposite hops ``i ⇄ j``) carries the equilibrium flux
``J_ij = min(π_i k_ij, π_j k_ji)`` (equal under detailed balance). Bonds are merged in decreasing
flux (single linkage, Kruskal), which gives a tree of nested groups; a merge that would close a
wrapping cycle is refused. A group ``B`` of the tree is a superbasin when its weakest internal link
carries at least ``fast_ratio`` times the flux that leaves it,

    J_merge(B) >= fast_ratio · Σ_{i ∈ B} π_i Σ_{e: i → outside B} k_e,

i.e. in equilibrium a walker crosses every internal link at least ``fast_ratio`` times for each time
it leaves. The largest such groups (of at most ``max_sites`` sites) are the basins; every other site
is an ordinary KMC state. Fluxes, not rates, decide, because what a basin saves is exactly the flux
across its internal links: the basin-level moves of a stationary walker happen at the total flux
across basin boundaries (:attr:`Superbasins.move_rate`). Since the method is exact whichever basins
are chosen, ``fast_ratio`` only trades table size, linear algebra and the number of moves the
estimate of ``D`` rests on against the moves saved. The default ``1`` is the threshold of a
metastable state: the walker crosses each internal link of the group at least as often as it leaves
it, so it equilibrates inside before it escapes. Traps in amorphous hosts are hierarchical (a pair
joined by a tiny barrier, satellites a little higher, then the escape): on the sample a-Ta2O5-3 at
500 K a ratio of 10 keeps only pairs and triples (moves 25× rarer than hops), 1 groups them with
their satellites (up to 8 sites, moves 1600× rarer), and 0.3 merges 61 of the 72 sites into one
basin (nearly every move a jump between cell images: the KMC then rests on a handful of moves per
walker and checks little beyond the exact solver's linear algebra).

Numerics
--------
Exit rates of a deep trap can be 10²⁰ times smaller than its internal rates, below the resolution of
``1 + ε``. The absorbing chain is therefore solved by Gaussian elimination in the GTH form
(Grassmann, Taksar & Heyman, Oper. Res. 33, 1107 (1985)): every pivot is recomputed as the sum of
the remaining off-diagonal rates plus the (lumped) exit rate, so no subtraction ever occurs and the
results keep their relative accuracy. O(n_B³) per basin.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numba
import numpy as np

from ..errors import InputError
from .exact import stationary_occupation
from .network import HopArrays, as_temperatures, hop_arrays

__all__ = ["Superbasins", "superbasins", "DEFAULT_FAST_RATIO", "DEFAULT_MAX_BASIN_SITES"]

#: A group is a superbasin when its weakest internal link carries this many times its exit flux.
DEFAULT_FAST_RATIO = 1.0
#: Largest superbasin, sites (dense O(n³) solve and an n × exits table per basin).
DEFAULT_MAX_BASIN_SITES = 256


@dataclass(frozen=True, eq=False)
class Superbasins:
    """Superbasins of a hop network at one temperature and the effective moves of the MRM walk.

    Attributes
    ----------
    temperature : float
        K.
    fast_ratio : float
        Flux ratio that made a group a basin (module docstring).
    basin : numpy.ndarray of int64, shape (n_sites,)
        Basin index of every site; ``-1`` for sites in no basin.
    offset : numpy.ndarray of int64, shape (n_sites, 3)
        Lattice image of every basin member in its basin's frame (zero for other sites): the
        member's unwrapped position is ``positions[i] + offset[i] @ cell``.
    sites : list of numpy.ndarray
        Members of every basin (>= 2 sites each).
    occupation : numpy.ndarray, shape (n_sites,)
        Stationary occupation π (sums to 1).
    hop_rate : float
        Stationary elementary hop rate ``Σ_i π_i Σ_j k_ij`` of one walker, Hz.
    move_rate : float
        Stationary rate of moves of the MRM walk (hops out of basins plus hops of sites in no
        basin), Hz; ``hop_rate / move_rate`` is the number of hops one move stands for on average.
    indptr : numpy.ndarray of int64, shape (n_sites + 1,)
        CSR row pointer of the moves: those of site ``i`` are ``indptr[i]:indptr[i + 1]``.
    dst : numpy.ndarray of int64, shape (n_moves,)
        Target site of every move.
    displacement : numpy.ndarray, shape (n_moves, 3)
        Unwrapped displacement of every move, Å.
    rate : numpy.ndarray, shape (n_moves,)
        Rate of every move, Hz: ``P_se / τ_s`` out of a basin member, ``k_e`` otherwise.
    hops_per_move : numpy.ndarray, shape (n_sites,)
        Mean number of elementary hops one move from each site stands for (1 outside basins).
    """

    temperature: float
    fast_ratio: float
    basin: np.ndarray
    offset: np.ndarray
    sites: list[np.ndarray]
    occupation: np.ndarray
    hop_rate: float
    move_rate: float
    indptr: np.ndarray
    dst: np.ndarray
    displacement: np.ndarray
    rate: np.ndarray
    hops_per_move: np.ndarray

    @property
    def n_basins(self) -> int:
        """Number of basins (groups of >= 2 sites)."""
        return len(self.sites)

    @property
    def n_basin_sites(self) -> int:
        """Number of sites that belong to a basin."""
        return int(sum(len(s) for s in self.sites))


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


@numba.njit(cache=True)
def _absorb(A, r, B):  # pragma: no cover - compiled
    """Solve ``M X = B`` for ``M = diag(Σ_j A_ij + r_i) − A`` by subtraction-free (GTH) elimination.

    ``A`` (n, n): internal rates i → j (>= 0, diagonal ignored); ``r`` (n,): exit rate of each site;
    ``B`` (n, q) >= 0. ``M⁻¹`` is the fundamental matrix of the absorbing chain. Every pivot is the
    sum of the remaining rates out of its row, so the result keeps full relative accuracy however
    small the exit rates are. Requires every site to reach an exit (``r`` not all zero on a
    connected ``A``).
    """
    n = A.shape[0]
    q = B.shape[1]
    A = A.copy()
    r = r.copy()
    B = B.copy()
    d = np.empty(n)
    for m in range(n):
        s = r[m]
        for j in range(m + 1, n):
            s += A[m, j]
        d[m] = s
        for i in range(m + 1, n):
            a = A[i, m]
            if a == 0.0:
                continue
            f = a / s
            for j in range(m + 1, n):
                if j != i:
                    A[i, j] += f * A[m, j]
            r[i] += f * r[m]
            for c in range(q):
                B[i, c] += f * B[m, c]
    X = np.empty((n, q))
    for m in range(n - 1, -1, -1):
        for c in range(q):
            acc = B[m, c]
            for j in range(m + 1, n):
                acc += A[m, j] * X[j, c]
            X[m, c] = acc / d[m]
    return X


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


def _check(fast_ratio: float, max_sites: int) -> tuple[float, int]:
    try:
        fast_ratio = float(fast_ratio)
    except (TypeError, ValueError) as exc:
        raise InputError(f"fast_ratio must be a number > 0, got {fast_ratio!r}") from exc
    if not (np.isfinite(fast_ratio) and fast_ratio > 0.0):
        raise InputError(f"fast_ratio must be a finite number > 0, got {fast_ratio}")
    if isinstance(max_sites, bool) or int(max_sites) != max_sites or int(max_sites) < 2:
        raise InputError(f"max_sites must be an integer >= 2, got {max_sites!r}")
    return fast_ratio, int(max_sites)


def superbasins(
    G: nx.MultiDiGraph | HopArrays,
    T: float,
    *,
    fast_ratio: float = DEFAULT_FAST_RATIO,
    max_sites: int = DEFAULT_MAX_BASIN_SITES,
) -> Superbasins:
    """Superbasins of a hop network at one temperature and the moves of the mean-rate walk.

    Parameters
    ----------
    G : networkx.MultiDiGraph or HopArrays
        Hop network (docs/design.md, "Hop network").
    T : float
        Temperature, K (> 0).
    fast_ratio : float
        A group of sites is a basin when its weakest internal link carries at least this many
        times the equilibrium flux out of it (> 0; module docstring).
    max_sites : int
        Largest basin, sites (>= 2).

    Returns
    -------
    Superbasins
        The basins, their members' unwrapped offsets, and the moves (CSR over sites) of the walk.

    Raises
    ------
    InputError
        Invalid network, temperature, ``fast_ratio`` or ``max_sites``.

    Examples
    --------
    >>> from landscape.synthetic import cubic_lattice_network
    >>> sb = superbasins(cubic_lattice_network(3), 600.0)
    >>> sb.n_basins, bool(np.isclose(sb.move_rate, sb.hop_rate))  # a uniform lattice has no traps
    (0, True)

    Notes
    -----
    O(m log m) for the bonds and the tree, O(m · depth) for the exit fluxes (a walk up the tree
    from every hop, stopped above ``max_sites``), and O(n_B³ + n_B² x_B) per basin of ``n_B``
    sites and ``x_B`` exit hops for the absorbing chain; the move table has ``Σ_B n_B x_B`` rows
    for basin members plus one per hop of every other site.
    """
    net = hop_arrays(G)
    (temperature,) = as_temperatures(T)
    fast_ratio, max_sites = _check(fast_ratio, max_sites)
    n = net.n_sites
    k = net.rates(float(temperature))  # (m,) Hz
    pi = stationary_occupation(net, float(temperature))  # (n,)
    k_tot = np.zeros(n)
    np.add.at(k_tot, net.src, k)
    flux = pi[net.src] * k  # (m,) equilibrium flux of every hop, Hz

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

    in_basin = basin >= 0
    hops_per_move = np.ones(n)
    exit_flux = np.zeros(n)  # flux of each basin member's exit hops (their moves), Hz
    # ordinary sites: their own hops
    plain = ~in_basin[net.src]
    rows_src = [net.src[plain]]
    rows_dst = [net.dst[plain]]
    rows_disp = [net.displacement[plain]]
    rows_rate = [k[plain]]
    u = net.positions + offset @ net.cell  # (n, 3) Å, unwrapped within each basin
    same = in_basin[net.src] & (basin[net.src] == basin[net.dst]) & inside
    local = np.full(n, -1, dtype=np.int64)  # index of every member within its basin
    for sites in members:
        local[sites] = np.arange(len(sites))
    by_basin = np.argsort(basin[net.src], kind="stable")  # hops grouped by their source's basin
    bounds = np.searchsorted(basin[net.src][by_basin], np.arange(len(members) + 1))
    for c, sites in enumerate(members):
        nb = len(sites)
        out_e = by_basin[bounds[c] : bounds[c + 1]]  # hops from members
        internal = out_e[same[out_e] & (net.src[out_e] != net.dst[out_e])]
        exits = out_e[~same[out_e]]
        exit_flux[sites] = 0.0
        np.add.at(exit_flux, net.src[exits], flux[exits])
        if len(exits) == 0:  # a closed pocket that does not wrap: the walker stays for ever
            hops_per_move[sites] = 0.0
            continue
        A = np.zeros((nb, nb))
        np.add.at(A, (local[net.src[internal]], local[net.dst[internal]]), k[internal])
        r = np.zeros(nb)
        np.add.at(r, local[net.src[exits]], k[exits])
        sources, col = np.unique(local[net.src[exits]], return_inverse=True)
        B = np.zeros((nb, len(sources) + 2))
        B[sources, np.arange(len(sources))] = 1.0
        B[:, -2] = 1.0
        B[:, -1] = k_tot[sites]
        X = _absorb(A, r, B)  # (nb, q): fundamental-matrix columns, τ, expected hops
        tau = X[:, -2]  # (nb,) s
        P = X[:, col.ravel()] * k[exits][None, :]  # (nb, x) exit probabilities
        hops_per_move[sites] = X[:, -1]
        rows_src.append(np.repeat(sites, len(exits)))
        rows_dst.append(np.tile(net.dst[exits], nb))
        d = (
            u[net.src[exits]][None, :, :] - u[sites][:, None, :] + net.displacement[exits][None]
        )  # (nb, x, 3) Å
        rows_disp.append(d.reshape(-1, 3))
        rows_rate.append((P / tau[:, None]).ravel())
    src = np.concatenate(rows_src)
    order = np.argsort(src, kind="stable")
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    hop_rate = float(pi @ k_tot)
    move_rate = float(pi[~in_basin] @ k_tot[~in_basin] + exit_flux[in_basin].sum())
    return Superbasins(
        temperature=float(temperature),
        fast_ratio=fast_ratio,
        basin=basin,
        offset=offset,
        sites=members,
        occupation=pi,
        hop_rate=hop_rate,
        move_rate=move_rate,
        indptr=indptr,
        dst=np.concatenate(rows_dst)[order],
        displacement=np.ascontiguousarray(np.concatenate(rows_disp)[order]),
        rate=np.concatenate(rows_rate)[order],
        hops_per_move=hops_per_move,
    )
