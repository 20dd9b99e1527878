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
from typing import NamedTuple

import networkx as nx
import numba
import numpy as np

from ..errors import InputError
from .basin_tree import group_superbasins
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


class _MoveTable(NamedTuple):
    """The moves of the mean-rate walk, CSR over sites (the fields of :class:`Superbasins`)."""

    indptr: np.ndarray
    dst: np.ndarray
    displacement: np.ndarray
    rate: np.ndarray
    hops_per_move: np.ndarray
    exit_flux: np.ndarray  # (n_sites,) Hz: flux of each basin member's exit hops (their moves)


def _basin_moves(
    net: HopArrays,
    k: np.ndarray,
    k_tot: np.ndarray,
    sites: np.ndarray,
    local: np.ndarray,
    internal: np.ndarray,
    exits: np.ndarray,
    u: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The moves out of one basin from its absorbing Markov chain.

    From every member ``s`` one move per exit hop ``e``: to ``dst(e)``, displacement
    ``u_{src(e)} − u_s + d_e`` (Å), rate ``P_se / τ_s`` (Hz), with ``P`` and the mean exit time
    ``τ`` from the fundamental matrix (:func:`_absorb`). ``k`` (m,) and ``k_tot`` (n,) are the hop
    rates and escape rates, Hz; ``local`` maps a member to its row; ``internal`` and ``exits`` index
    the basin's hops; ``u`` (n, 3) is every site's position unwrapped within its basin, Å.

    Returns ``(src, dst, displacement, rate, hops_per_move)``: the moves, and the mean number of
    elementary hops of one move from each member (nb,).
    """
    nb = len(sites)
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
    d = (
        u[net.src[exits]][None, :, :] - u[sites][:, None, :] + net.displacement[exits][None]
    )  # (nb, x, 3) Å
    return (
        np.repeat(sites, len(exits)),
        np.tile(net.dst[exits], nb),
        d.reshape(-1, 3),
        (P / tau[:, None]).ravel(),
        X[:, -1],
    )


def _move_table(
    net: HopArrays,
    k: np.ndarray,
    k_tot: np.ndarray,
    flux: np.ndarray,
    basin: np.ndarray,
    members: list[np.ndarray],
    offset: np.ndarray,
    inside: np.ndarray,
) -> _MoveTable:
    """The moves of the mean-rate walk: a site in no basin keeps its own hops (rates ``k``, Hz),
    a basin member gets the moves of :func:`_basin_moves` (none in a closed basin, where the walker
    stays for ever). ``basin``, ``members``, ``offset`` and ``inside`` are those of
    :func:`~landscape.kinetics.basin_tree.group_superbasins`;
    ``flux`` (m,) the equilibrium flux of every hop, Hz."""
    n = net.n_sites
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
        out_e = by_basin[bounds[c] : bounds[c + 1]]  # hops from members
        internal = out_e[same[out_e] & (net.src[out_e] != net.dst[out_e])]
        exits = out_e[~same[out_e]]
        exit_flux[sites] = 0.0
        np.add.at(exit_flux, net.src[exits], flux[exits])
        if len(exits) == 0:  # a closed pocket that does not wrap: the walker stays for ever
            hops_per_move[sites] = 0.0
            continue
        src_b, dst_b, disp_b, rate_b, hops_per_move[sites] = _basin_moves(
            net, k, k_tot, sites, local, internal, exits, u
        )
        rows_src.append(src_b)
        rows_dst.append(dst_b)
        rows_disp.append(disp_b)
        rows_rate.append(rate_b)
    src = np.concatenate(rows_src)
    order = np.argsort(src, kind="stable")
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    return _MoveTable(
        indptr=indptr,
        dst=np.concatenate(rows_dst)[order],
        displacement=np.ascontiguousarray(np.concatenate(rows_disp)[order]),
        rate=np.concatenate(rows_rate)[order],
        hops_per_move=hops_per_move,
        exit_flux=exit_flux,
    )


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
    >>> from landscape.kinetics.synthetic import cubic_lattice_network
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
    basin, members, offset, inside = group_superbasins(net, flux, fast_ratio, max_sites)
    moves = _move_table(net, k, k_tot, flux, basin, members, offset, inside)
    in_basin = basin >= 0
    hop_rate = float(pi @ k_tot)
    move_rate = float(pi[~in_basin] @ k_tot[~in_basin] + moves.exit_flux[in_basin].sum())
    return Superbasins(
        temperature=float(temperature),
        fast_ratio=fast_ratio,
        basin=basin,
        offset=offset,
        sites=members,
        occupation=pi,
        hop_rate=hop_rate,
        move_rate=move_rate,
        indptr=moves.indptr,
        dst=moves.dst,
        displacement=moves.displacement,
        rate=moves.rate,
        hops_per_move=moves.hops_per_move,
    )
