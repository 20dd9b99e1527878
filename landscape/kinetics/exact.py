"""The exact long-time diffusion tensor of a periodic hop network (no sampling noise).

For rates ``k_ij`` of hops ``i → j`` with displacements ``d_ij`` and stationary occupation ``π``,

    D = ½ Σ_i π_i Σ_j k_ij (d_ij + χ_j − χ_i)(d_ij + χ_j − χ_i)ᵀ,

where the corrector ``χ`` (a 3-vector per site) solves ``Σ_j k_ij (χ_j − χ_i) = −(Σ_j k_ij d_ij − u)``
with ``u = Σ_i π_i Σ_j k_ij d_ij`` the mean drift (zero under detailed balance). This is the
martingale (homogenisation) form of the diffusion coefficient of a periodic Markov jump process:
``X_t + χ(Y_t) − u t`` is a martingale whose jumps are ``d_ij + χ_j − χ_i``
(e.g. Kipnis & Varadhan, Commun. Math. Phys. 104, 1 (1986); DESIGN.md, "Exact diffusion coefficient").
One sparse LU solve per strongly connected component and temperature gives ``χ``.
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
    rates = net.rates(T)
    nc = len(comps)
    weight = np.zeros(nc)
    occupation = np.zeros(net.n_sites)
    comp_D = np.zeros((nc, 3, 3))
    drift = np.zeros(3)
    e_min = net.energies.min()
    log_z = np.full(nc, -np.inf)
    pis = []
    for c, comp in enumerate(comps):
        Q = _generator(rates, net, comp.sites)
        pi = _stationary(Q, net.energies[comp.sites], kT)
        pis.append((Q, pi))
        if comp.closed:
            e = net.energies[comp.sites] - e_min
            log_z[c] = np.log(np.exp(-(e - e.min()) / kT).sum()) - e.min() / kT
    weight = np.exp(log_z - log_z.max())
    weight /= weight.sum()
    for c, comp in enumerate(comps):
        Q, pi = pis[c]
        occupation[comp.sites] = weight[c] * pi
        if not want_d or comp.dimensionality == 0:
            continue
        local = np.full(net.n_sites, -1, dtype=np.int64)
        local[comp.sites] = np.arange(len(comp.sites))
        edges = np.nonzero((local[net.src] >= 0) & (local[net.dst] >= 0))[0]
        a, b = local[net.src[edges]], local[net.dst[edges]]
        k = rates[edges]
        d = net.displacement[edges]  # (m_c, 3) Å
        v = np.zeros((len(comp.sites), 3))
        np.add.at(v, a, k[:, None] * d)  # (n_c, 3) Å/s: mean velocity out of each site
        u = pi @ v  # (3,) Å/s
        chi = np.zeros((len(comp.sites), 3))
        if len(comp.sites) > 1:
            rhs = -(v - u)  # Q χ = −(v − u), χ_0 = 0
            chi[1:] = splu(Q[1:, 1:].tocsc()).solve(np.ascontiguousarray(rhs[1:]))
        g = d + chi[b] - chi[a]  # (m_c, 3) Å
        D = 0.5 * np.einsum("e,ea,eb->ab", pi[a] * k, g, g)  # Å²/s
        P = comp.projector(net.cell)
        comp_D[c] = P @ D @ P * ANGSTROM2_PER_S_TO_CM2_PER_S
        drift += weight[c] * (P @ u) * 1e-8  # Å/s -> cm/s
    D_tensor = np.einsum("c,cab->ab", weight, comp_D)
    return D_tensor, comp_D, occupation, weight, drift


def exact_diffusion(G: nx.MultiDiGraph | HopArrays, T: float | np.ndarray) -> ExactDiffusion:
    """Exact long-time diffusion tensor of one walker on a periodic hop network.

    Parameters
    ----------
    G : networkx.MultiDiGraph or HopArrays
        Hop network (DESIGN.md, "Hop network"): rates ``k = prefactor · exp(−barrier / k_B T)``,
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
    >>> from landscape.synthetic import cubic_lattice_network
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
