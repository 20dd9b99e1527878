"""The exact long-time diffusion tensor of a periodic hop network (no sampling noise).

For rates ``k_ij`` of hops ``i → j`` with displacements ``d_ij`` and stationary occupation ``π``,

    D = ½ Σ_i π_i Σ_j k_ij (d_ij + χ_j − χ_i)(d_ij + χ_j − χ_i)ᵀ,

where the corrector ``χ`` (a 3-vector per site) solves ``Σ_j k_ij (χ_j − χ_i) = −(Σ_j k_ij d_ij − u)``
with ``u = Σ_i π_i Σ_j k_ij d_ij`` the mean drift (zero under detailed balance). This is the
martingale (homogenisation) form of the diffusion coefficient of a periodic Markov jump process:
``X_t + χ(Y_t) − u t`` is a martingale whose jumps are ``d_ij + χ_j − χ_i``
(e.g. Kipnis & Varadhan, Commun. Math. Phys. 104, 1 (1986); docs/design.md, "Exact diffusion coefficient").

Numerics: rates of one network span any range (at 50 K a 2.8 eV barrier is 10²⁸⁰ times slower than
a 0.05 eV one), and ``D`` rests on the slow hops while the fast ones carry ``g`` ≈ 0 that a linear
solve cannot resolve to the needed 10⁻¹⁴⁰ relative accuracy. Under detailed balance (every network
whose barriers come from one saddle energy per hop, with symmetric or Vineyard prefactors) the solver
therefore never solves for ``χ``: ``D`` is the minimum of the Dirichlet form
``Σ_bonds C (e·d + χ_j − χ_i)²`` with bond conductances ``C = π_i k_ij = π_j k_ji``, and eliminating
sites one by one (Kron reduction, the star–mesh transform, carrying each new bond's lattice shift;
:mod:`~landscape.kinetics.kron`) keeps that minimum exactly. Every step only multiplies and adds
positive numbers, in logarithms (the GTH idea of Grassmann, Taksar & Heyman, Oper. Res. 33, 1107
(1985), for a Laplacian), so every entry keeps full relative accuracy at any temperature. When the last site is gone every bond is a
loop of net lattice shift ``s``, and ``D = Σ_loops C (s·cell)(s·cell)ᵀ / Σ_i π_i``: a sum of
positive terms. Where the conductances span at most :data:`_LU_MAX_SPREAD` (most networks above
~500 K) the sparse LU solve of the corrector equation is as accurate and much faster on large
networks, so it is used when two factorisations with different reference sites agree to
:data:`_LU_REVERSIBLE_RTOL`; otherwise the Kron reduction. Networks without detailed balance keep
the sparse LU solve, and a result is refused (:class:`~landscape.errors.ConvergenceError`) unless two
factorisations with different reference sites agree to :data:`_LU_RTOL`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import networkx as nx
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import splu

from ..errors import ConvergenceError
from ..units import ANGSTROM2_PER_S_TO_CM2_PER_S, K_B
from .kron import kron_reduce, log_rate_table, reversible_bonds
from .network import HopArrays, as_temperatures, hop_arrays

__all__ = [
    "Component",
    "ExactDiffusion",
    "components",
    "stationary_occupation",
    "exact_diffusion",
]

#: Relative flux imbalance below which an occupation (Boltzmann, or the sparse solve's) is taken
#: as stationary.
_BOLTZMANN_RTOL = 1e-10
#: Largest component whose stationary occupation may fall back to the dense GTH algorithm.
_GTH_MAX = 3000
#: Largest relative difference between the two LU solves (different reference sites) of a network
#: without detailed balance for which its D is reported.
_LU_RTOL = 1e-3
#: Largest ratio of bond conductances (``π_i k_ij``) of a network in detailed balance that is
#: solved by sparse LU (fast); beyond it, and whenever the two LU solves (different reference
#: sites) differ by more than :data:`_LU_REVERSIBLE_RTOL`, the Kron reduction (exact at any spread,
#: O(fill-in) Python work) takes over. Against the Kron reduction on a demo network, a 500-site
#: random network and a 1-D ring of 0.05-2.8 eV barriers at 100-1000 K, the LU result's relative
#: error is within 10x of the two solves' relative difference every time (e.g. 7e-10 vs 6e-10 at a
#: spread of 1e20; 3.6e92 vs 1.0 where it fails outright).
_LU_MAX_SPREAD = 1e12
_LU_REVERSIBLE_RTOL = 1e-9
#: Smallest D (cm²/s) reported: below it the result leaves double precision's normal range.
_D_FLOOR = 1e-290


@dataclass(frozen=True, eq=False)
class Component:
    """One strongly connected component of a hop network and how it wraps the periodic cell.

    Attributes
    ----------
    sites : numpy.ndarray of int64
        Site indices (into :class:`HopArrays`) of the component.
    closed : bool
        True when no hop leaves the component (a recurrent class); only closed components hold
        occupation at long times.
    cycle_shifts : numpy.ndarray of int64, shape (r, 3)
        Independent net lattice shifts of cycles in the component (a basis of their lattice's span).
    dimensionality : int
        Rank of the cycle lattice: 0 (does not wrap), 1 (wraps along a line), 2 (a sheet), 3 (bulk).
    wraps : tuple of bool
        Whether a cycle has a nonzero net shift along the first, second, third lattice vector.
    """

    sites: np.ndarray
    closed: bool
    cycle_shifts: np.ndarray
    dimensionality: int
    wraps: tuple[bool, bool, bool]

    def projector(self, cell: np.ndarray) -> np.ndarray:
        """Orthogonal projector (3×3) onto the Cartesian span of the cycle shifts (``shifts @ cell``)."""
        if self.dimensionality == 0:
            return np.zeros((3, 3))
        vectors = self.cycle_shifts.astype(float) @ cell  # (r, 3)
        u, s, vt = np.linalg.svd(vectors)
        basis = vt[: self.dimensionality]  # (dim, 3)
        return basis.T @ basis


@dataclass(frozen=True, eq=False)
class ExactDiffusion:
    """Result of :func:`exact_diffusion`.

    Attributes
    ----------
    temperatures : numpy.ndarray, shape (nT,)
        K.
    D : numpy.ndarray, shape (nT,)
        Scalar diffusion coefficient ``trace(D_tensor) / 3`` of the sample, cm²/s.
    D_tensor : numpy.ndarray, shape (nT, 3, 3)
        Diffusion tensor of the sample (occupation-weighted over components), cm²/s.
    component_D_tensor : numpy.ndarray, shape (nT, n_components, 3, 3)
        Diffusion tensor of a walker that lives in each component, cm²/s (zero where it does not wrap).
    component_weight : numpy.ndarray, shape (nT, n_components)
        Long-time occupation of each component (sums to 1 over closed components).
    occupation : numpy.ndarray, shape (nT, n_sites)
        Long-time site occupation π (sums to 1).
    drift : numpy.ndarray, shape (nT, 3)
        Mean drift velocity of the sample, cm/s (zero under detailed balance).
    components : list of Component
    """

    temperatures: np.ndarray
    D: np.ndarray
    D_tensor: np.ndarray
    component_D_tensor: np.ndarray
    component_weight: np.ndarray
    occupation: np.ndarray
    drift: np.ndarray
    components: list[Component]

    @property
    def wrapping_fraction(self) -> np.ndarray:
        """Occupation of components that wrap the cell in at least one direction, shape (nT,)."""
        wrap = np.array([c.dimensionality > 0 for c in self.components])
        return self.component_weight[:, wrap].sum(axis=1)


def _cycle_shifts(net: HopArrays, sites: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Net shifts of the fundamental cycles of one component (image offsets along a BFS tree)."""
    local = np.full(net.n_sites, -1, dtype=np.int64)
    local[sites] = np.arange(len(sites))
    a = local[net.src[edges]]  # (m_c,)
    b = local[net.dst[edges]]  # (m_c,)
    shifts = net.shift[edges]  # (m_c, 3)
    adj: list[list[tuple[int, int]]] = [[] for _ in sites]
    for e, (u, v) in enumerate(zip(a.tolist(), b.tolist(), strict=True)):
        adj[u].append((v, e))
        adj[v].append((u, ~e))  # walked backwards: minus the shift
    offset = np.zeros((len(sites), 3), dtype=np.int64)
    seen = np.zeros(len(sites), dtype=bool)
    parent_edge = np.zeros(len(sites), dtype=np.int64)
    order = []
    seen[0] = True
    queue = deque([0])
    while queue:
        u = queue.popleft()
        for v, e in adj[u]:
            if not seen[v]:
                seen[v] = True
                parent_edge[v] = e
                order.append((v, u))
                queue.append(v)
    for v, u in order:  # BFS order: parents first
        e = parent_edge[v]
        offset[v] = offset[u] + (shifts[e] if e >= 0 else -shifts[~e])
    cycles = offset[a] + net.shift[edges] - offset[b]  # (m_c, 3), zero on tree edges
    cycles = np.unique(cycles[np.any(cycles != 0, axis=1)], axis=0)
    basis: list[np.ndarray] = []
    for c in cycles:
        if np.linalg.matrix_rank(np.array([*basis, c], dtype=float)) > len(basis):
            basis.append(c)
            if len(basis) == 3:
                break
    return np.array(basis, dtype=np.int64).reshape(-1, 3)


def components(G: nx.MultiDiGraph | HopArrays) -> list[Component]:
    """Strongly connected components of a hop network and which directions each one wraps.

    A component wraps the periodic cell when one of its cycles has a nonzero net lattice shift.
    The lattice of net shifts is spanned by the fundamental cycles of a spanning tree: give every
    site the image offset of its tree path, then each non-tree hop ``i → j`` closes a cycle of net
    shift ``offset_i + shift_ij − offset_j``.

    Parameters
    ----------
    G : networkx.MultiDiGraph or HopArrays
        Hop network.

    Returns
    -------
    list of Component
        Largest first.

    Notes
    -----
    O(n + m) plus a 3×3 rank test per distinct cycle shift until the rank reaches 3.
    """
    net = hop_arrays(G)
    n = net.n_sites
    adjacency = sp.csr_matrix((np.ones(net.n_hops), (net.src, net.dst)), shape=(n, n))
    n_comp, labels = connected_components(adjacency, directed=True, connection="strong")
    leaving = labels[net.src] != labels[net.dst]
    open_ = np.zeros(n_comp, dtype=bool)
    open_[labels[net.src[leaving]]] = True
    edge_label = np.where(leaving, -1, labels[net.src])
    order = np.argsort(edge_label, kind="stable")
    bounds = np.searchsorted(edge_label[order], np.arange(n_comp + 1))
    site_order = np.argsort(labels, kind="stable")
    site_bounds = np.searchsorted(labels[site_order], np.arange(n_comp + 1))
    result = []
    for c in range(n_comp):
        sites = site_order[site_bounds[c] : site_bounds[c + 1]]
        edges = order[bounds[c] : bounds[c + 1]]
        shifts = _cycle_shifts(net, sites, edges)
        wraps = tuple(bool(np.any(shifts[:, a] != 0)) for a in range(3))
        result.append(Component(sites, not open_[c], shifts, len(shifts), wraps))
    result.sort(key=lambda comp: -len(comp.sites))
    return result


def _generator(rates: np.ndarray, net: HopArrays, sites: np.ndarray) -> sp.csr_matrix:
    """Generator Q (rows sum to zero) of the hops among ``sites``; self-loops drop out."""
    local = np.full(net.n_sites, -1, dtype=np.int64)
    local[sites] = np.arange(len(sites))
    a, b = local[net.src], local[net.dst]
    keep = (a >= 0) & (b >= 0) & (a != b)
    nc = len(sites)
    K = sp.csr_matrix((rates[keep], (a[keep], b[keep])), shape=(nc, nc))  # sums multi-edges
    return (K - sp.diags(np.asarray(K.sum(axis=1)).ravel())).tocsc()


def _gth(Q: np.ndarray) -> np.ndarray:
    """Stationary distribution of a dense irreducible generator by the Grassmann–Taksar–Heyman
    algorithm: state reduction without subtractions, so every entry keeps full relative accuracy
    however many orders of magnitude the rates span (Grassmann, Taksar & Heyman, Oper. Res. 33,
    1107 (1985)). O(n³) time, O(n²) memory."""
    P = np.array(Q, dtype=float)
    np.fill_diagonal(P, 0.0)
    n = len(P)
    for k in range(n - 1, 0, -1):
        out = P[k, :k].sum()  # rate from k to the states still kept
        P[:k, k] /= out
        P[:k, :k] += np.outer(P[:k, k], P[k, :k])
    pi = np.zeros(n)
    pi[0] = 1.0
    for k in range(1, n):
        pi[k] = pi[:k] @ P[:k, k]
    return pi / pi.sum()


def _balanced(Q: sp.csc_matrix, pi: np.ndarray) -> bool:
    """True if ``π Q = 0`` holds to :data:`_BOLTZMANN_RTOL` of the total flux ``Σ_i π_i |Q_ii|``."""
    return bool(np.abs(Q.T @ pi).max() <= _BOLTZMANN_RTOL * (np.abs(Q.diagonal()) @ pi))


def _stationary(Q: sp.csc_matrix, energies: np.ndarray, kT: float) -> np.ndarray:
    """Stationary distribution of an irreducible generator: Boltzmann if consistent, else π Q = 0.

    The sparse solve is written for ``ρ = π / Boltzmann`` (of order one where the rates are close
    to detailed balance) with ``ρ`` fixed at the most occupied Boltzmann site; if that gives a
    negative entry or a residual above :data:`_BOLTZMANN_RTOL` of the total flux (rates spanning
    many orders of magnitude), the dense GTH algorithm (:func:`_gth`, up to :data:`_GTH_MAX`
    sites) is used.
    """
    nc = Q.shape[0]
    boltzmann = np.exp(-(energies - energies.min()) / kT)
    boltzmann /= boltzmann.sum()
    if nc == 1:
        return boltzmann
    if _balanced(Q, boltzmann):
        return boltzmann
    # Qᵀ diag(B) ρ = 0 with ρ_ref = 1
    A = (Q.T @ sp.diags(boltzmann)).tocsc()
    ref = int(np.argmax(boltzmann))
    rest = np.r_[0:ref, ref + 1 : nc]
    rho = np.ones(nc)
    rho[rest] = splu(A[rest][:, rest].tocsc()).solve(-A[rest][:, [ref]].toarray().ravel())
    pi = rho * boltzmann
    pi /= pi.sum()
    if pi.min() >= 0 and _balanced(Q, pi):
        return pi
    if nc > _GTH_MAX:
        raise ConvergenceError(
            f"stationary occupation of a {nc}-site component not found accurately (rates out of "
            f"detailed balance spanning many orders of magnitude; dense fallback limited to "
            f"{_GTH_MAX} sites)"
        )
    return _gth(Q.toarray())


def stationary_occupation(G: nx.MultiDiGraph | HopArrays, temperature: float) -> np.ndarray:
    """Long-time site occupation π of one walker (sums to 1), shape (n_sites,).

    Within a closed component π solves the master equation ``π Q = 0`` (the Boltzmann distribution
    in the site energies when it satisfies it, i.e. when the barriers come from one saddle energy per
    hop and equal prefactors). Closed components are weighted by their Boltzmann partition sums,
    as for a walker inserted in equilibrium; transient components hold no occupation.

    Parameters
    ----------
    G : networkx.MultiDiGraph or HopArrays
        Hop network.
    temperature : float
        K.
    """
    net = hop_arrays(G)
    (T,) = as_temperatures(temperature)
    return _solve(net, components(net), T, want_d=False)[2]


def _solve(net: HopArrays, comps: list[Component], T: float, *, want_d: bool = True):
    kT = K_B * T
    log_k = np.log(net.prefactor) - net.barrier / kT  # (m,) ln Hz
    nc = len(comps)
    occupation = np.zeros(net.n_sites)
    comp_D = np.zeros((nc, 3, 3))
    comp_drift = np.zeros((nc, 3))
    e_min = net.energies.min()
    log_z = np.full(nc, -np.inf)
    pis = []
    for c, comp in enumerate(comps):
        if comp.closed:
            e = net.energies[comp.sites] - e_min
            log_z[c] = np.log(np.exp(-(e - e.min()) / kT).sum()) - e.min() / kT
        pi, D, u = _solve_component(net, comp, log_k, T, want_d=want_d)
        pis.append(pi)
        if D is not None:
            comp_D[c] = D * ANGSTROM2_PER_S_TO_CM2_PER_S
            comp_drift[c] = u * 1e-8  # Å/s -> cm/s
    weight = np.exp(log_z - log_z.max())
    weight /= weight.sum()
    for c, comp in enumerate(comps):
        occupation[comp.sites] = weight[c] * pis[c]
    D_tensor = np.einsum("c,cab->ab", weight, comp_D)
    drift = weight @ comp_drift
    if want_d:
        _check_range(D_tensor, T)
    return D_tensor, comp_D, occupation, weight, drift


def _check_range(D_tensor: np.ndarray, T: float) -> None:
    """Refuse a D that left double precision (non-finite, or below :data:`_D_FLOOR`)."""
    D = np.trace(D_tensor) / 3.0
    if not np.isfinite(D_tensor).all():
        raise ConvergenceError(
            f"exact D at {T:g} K is not finite; expected temperatures of 50-3000 K"
        )
    if 0.0 < D < _D_FLOOR:
        _refuse_below_floor(T, np.log10(D))


def _refuse_below_floor(T: float, log10_D: float) -> None:
    raise ConvergenceError(
        f"exact D at {T:g} K is 10^{log10_D:.1f} cm²/s, below {_D_FLOOR:g} where double "
        "precision keeps 1 % accuracy; expected a higher temperature"
    )


def _solve_component(net: HopArrays, comp: Component, log_k: np.ndarray, T: float, *, want_d: bool):
    """Occupation (sums to 1), D tensor (Å²/s, or None) and drift (Å/s) of one component."""
    kT = K_B * T
    local = np.full(net.n_sites, -1, dtype=np.int64)
    local[comp.sites] = np.arange(len(comp.sites))
    edges = np.nonzero((local[net.src] >= 0) & (local[net.dst] >= 0))[0]
    a, b = local[net.src[edges]], local[net.dst[edges]]
    n = len(comp.sites)
    table = log_rate_table(a, b, net.shift[edges], log_k[edges])
    energies = net.energies[comp.sites]
    reversible = reversible_bonds(n, table, -(energies - energies.min()) / kT)
    want_d = want_d and comp.dimensionality > 0
    if reversible is not None:
        log_pi, bonds = reversible
        log_norm = float(np.logaddexp.reduce(log_pi))
        pi = np.exp(log_pi - log_norm)
        if not want_d:
            return pi, None, np.zeros(3)
        log_c = np.array([bond[3] for bond in bonds])
        if len(log_c) and log_c.max() - log_c.min() <= np.log(_LU_MAX_SPREAD):
            rates = net.rates(T)
            if _rates_representable(rates[edges]):
                out = _lu_tensors(net, comp, edges, a, b, T, pi, rates)
                if out is not None and _lu_agree(out[0], out[1], _LU_REVERSIBLE_RTOL):
                    return pi, out[0], np.zeros(3)
        log_scale, S = kron_reduce(n, bonds, net.cell)
        trace = np.trace(S) / 3.0
        if trace > 0:
            log10_D = (
                log_scale - log_norm + np.log(trace * ANGSTROM2_PER_S_TO_CM2_PER_S)
            ) / np.log(10)
            if log10_D < np.log10(_D_FLOOR):
                _refuse_below_floor(T, log10_D)
        return pi, np.exp(log_scale - log_norm) * S, np.zeros(3)
    return _solve_component_lu(net, comp, edges, a, b, T, want_d=want_d)


def _lu_tensors(net, comp, edges, a, b, T: float, pi: np.ndarray, rates: np.ndarray):
    """D (Å²/s) from the corrector's sparse LU solve with two reference sites, and the drift.

    Returns ``(D, D2, u)``: the two tensors (equal in exact arithmetic; their difference measures
    the rounding of the solve) and the mean drift ``u`` (Å/s), or None if a solve is singular."""
    Q = _generator(rates, net, comp.sites)
    n = len(comp.sites)
    k = rates[edges]
    d = net.displacement[edges]  # (m_c, 3) Å
    v = np.zeros((n, 3))
    np.add.at(v, a, k[:, None] * d)  # (n_c, 3) Å/s: mean velocity out of each site
    u = pi @ v  # (3,) Å/s
    P = comp.projector(net.cell)

    def tensor(ref: int) -> np.ndarray | None:
        chi = np.zeros((n, 3))
        if n > 1:
            rest = np.r_[0:ref, ref + 1 : n]
            try:
                lu = splu(Q[rest][:, rest].tocsc())
            except RuntimeError:  # exactly singular to double precision
                return None
            chi[rest] = lu.solve(np.ascontiguousarray(-(v - u)[rest]))  # Q χ = −(v − u)
        g = d + chi[b] - chi[a]  # (m_c, 3) Å
        return P @ (0.5 * np.einsum("e,ea,eb->ab", pi[a] * k, g, g)) @ P  # Å²/s

    other = int(np.argmax(pi))
    D, D2 = tensor(0), tensor(other if other != 0 else n - 1)
    if D is None or D2 is None:
        return None
    return D, D2, P @ u


def _lu_agree(D: np.ndarray, D2: np.ndarray, rtol: float) -> bool:
    scale = max(abs(np.trace(D)), abs(np.trace(D2)))
    return bool(np.isfinite(D).all() and np.isfinite(D2).all()) and (
        np.abs(D - D2).max() <= rtol * scale
    )


def _rates_representable(rates: np.ndarray) -> bool:
    return bool(len(rates) == 0 or (rates.min() > 0 and np.isfinite(rates).all()))


def _solve_component_lu(net, comp, edges, a, b, T: float, *, want_d: bool):
    """A component without detailed balance: π Q = 0 and the corrector by sparse LU, twice."""
    rates = net.rates(T)
    if not _rates_representable(rates[edges]):
        raise ConvergenceError(
            f"hop rates at {T:g} K leave double precision in a network without detailed balance "
            "(no exact solve there); expected a higher temperature"
        )
    Q = _generator(rates, net, comp.sites)
    pi = _stationary(Q, net.energies[comp.sites], K_B * T)
    if not want_d:
        return pi, None, np.zeros(3)
    out = _lu_tensors(net, comp, edges, a, b, T, pi, rates)
    if out is None or not _lu_agree(out[0], out[1], _LU_RTOL):
        detail = (
            "singular to double precision"
            if out is None
            else f"two LU solves differ: {np.trace(out[0]) / 3:.3g} vs {np.trace(out[1]) / 3:.3g} Å²/s"
        )
        raise ConvergenceError(
            f"exact D at {T:g} K cannot be computed to {_LU_RTOL:.0e} for a network without "
            f"detailed balance ({detail}); expected a higher temperature or barriers from one "
            "saddle energy per hop"
        )
    return pi, out[0], out[2]


def exact_diffusion(G: nx.MultiDiGraph | HopArrays, T: float | np.ndarray) -> ExactDiffusion:
    """Exact long-time diffusion tensor of one walker on a periodic hop network.

    Parameters
    ----------
    G : networkx.MultiDiGraph or HopArrays
        Hop network (docs/design.md, "Hop network"): rates ``k = prefactor · exp(−barrier / k_B T)``,
        displacements ``pos[j] + shift · cell − pos[i]``.
    T : float or array_like
        Temperature(s), K (> 0).

    Returns
    -------
    ExactDiffusion
        ``D`` (cm²/s, scalar ``trace / 3``) and ``D_tensor`` per temperature, the components with
        their wrapping, weights and per-component tensors, site occupations and drift.

    Raises
    ------
    InputError
        Invalid network or temperatures.

    Examples
    --------
    >>> from landscape.kinetics.synthetic import cubic_lattice_network
    >>> from landscape.units import K_B
    >>> res = exact_diffusion(cubic_lattice_network(3, a=2.0, barrier=0.5), 600.0)
    >>> k = 1e13 * np.exp(-0.5 / (K_B * 600.0))
    >>> bool(np.isclose(res.D[0], k * 2.0**2 * 1e-16, rtol=1e-10))
    True

    Notes
    -----
    Per strongly connected component: the stationary occupation (Boltzmann when it balances every
    flux, else one sparse LU solve of ``π Q = 0``), then one sparse LU solve for the corrector
    ``χ`` with three right-hand sides. The tensor of a component is projected onto the span of its
    cycle shifts, so components that do not wrap contribute exactly zero and a component wrapping
    only along x has diffusion only along x. Components are weighted by their long-time occupation.
    Cost: one sparse LU per component and temperature (near-linear for networks embedded in 3-D).
    """
    net = hop_arrays(G)
    temps = as_temperatures(T)
    comps = components(net)
    out = [_solve(net, comps, float(t)) for t in temps]
    D_tensor = np.array([o[0] for o in out])
    return ExactDiffusion(
        temperatures=temps,
        D=np.trace(D_tensor, axis1=1, axis2=2) / 3.0,
        D_tensor=D_tensor,
        component_D_tensor=np.array([o[1] for o in out]),
        component_weight=np.array([o[3] for o in out]),
        occupation=np.array([o[2] for o in out]),
        drift=np.array([o[4] for o in out]),
        components=comps,
    )
