"""Model uncertainty of the kinetics: the hop network re-read on every member of an NNP ensemble.

The hop network of a sample is found on the ensemble-mean surface. Each member of the ensemble is
another fit of the same data; where the members disagree, the data did not pin the surface down
(a sample not trained on, a region without reference points). This module re-reads the network's
site energies and saddle energies on each member at the *same* positions, computes each member's
exact diffusion coefficient and Arrhenius activation energy, and reports their spread.

It is first order: sites and saddles are not re-optimised on each member (a site's energy error is
then second order in the shift of the member's minimum; a saddle's energy on a member is a lower
bound of that member's barrier along the same path), and prefactors are kept. The spread measures
how well the reference data determine the result, not the reference method's own error (CHGNet vs
DFT) — compare with validated hops for that.

Units: eV, Å, K; D in cm²/s.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np

from ..config import DEFAULTS
from ..errors import InputError
from .arrhenius import arrhenius
from .exact import exact_diffusion
from .network import as_temperatures

__all__ = ["EnsembleActivation", "member_networks", "ensemble_activation_energy"]


@dataclass(frozen=True)
class EnsembleActivation:
    """Activation energies of the members of an ensemble on one hop network.

    Attributes
    ----------
    temperatures : numpy.ndarray
        Temperatures of the Arrhenius fits, K.
    Ea_members : numpy.ndarray, shape (M,)
        Each member's activation energy (exact diffusion coefficient, Arrhenius slope), eV.
    D_members : numpy.ndarray, shape (M, n_T)
        Each member's exact diffusion coefficient, cm²/s.
    n_raised : int
        Directed hops, summed over members, whose saddle came out below one of their two sites on
        a member (the saddle energy raised to that site's there).
    """

    temperatures: np.ndarray
    Ea_members: np.ndarray
    D_members: np.ndarray
    n_raised: int

    @property
    def Ea_mean(self) -> float:
        """Mean of the members' activation energies, eV."""
        return float(np.mean(self.Ea_members))

    @property
    def Ea_std(self) -> float:
        """Standard deviation (``ddof = 1``) of the members' activation energies, eV."""
        return float(np.std(self.Ea_members, ddof=1))

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: ``Ea_members_eV``, ``Ea_model_std_eV``, ``Ea_members_mean_eV``, ...."""
        return {
            "temperatures_K": self.temperatures.tolist(),
            "Ea_members_eV": self.Ea_members.tolist(),
            "Ea_members_mean_eV": self.Ea_mean,
            "Ea_model_std_eV": self.Ea_std,
            "D_members_cm2_s": self.D_members.tolist(),
            "n_raised": int(self.n_raised),
        }


def _member_energies(surface: Any, positions: np.ndarray, chunk: int) -> np.ndarray:
    """(M, n) member energies, eV, of ``surface`` at ``positions`` (n, 3), Å, in chunks."""
    import torch

    out = []
    with torch.no_grad():
        for k in range(0, len(positions), chunk):
            p = torch.as_tensor(positions[k : k + chunk], dtype=torch.float64)
            out.append(np.asarray(surface.member_energies(p).detach().cpu().numpy(), dtype=float))
    return np.concatenate(out, axis=1)


def member_networks(
    G: nx.MultiDiGraph, surface: Any, *, chunk_size: int = 2048
) -> tuple[list[nx.MultiDiGraph], int]:
    """The hop network with each ensemble member's site energies and barriers.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        A hop network (docs/design.md "Hop network") whose every edge has its ``saddle`` [x, y, z], Å.
    surface : EnergySurface with ``member_energies``
        An ensemble surface, such as :meth:`landscape.nnp.SimplifiedNNP.surface`:
        ``member_energies(positions: Tensor[n, 3]) -> Tensor[M, n]`` (eV), ``M >= 2``.
    chunk_size : int
        Positions per call of ``member_energies``.

    Returns
    -------
    networks : list of networkx.MultiDiGraph
        ``M`` copies of ``G``: node ``energy`` = the member's energy at the site's position (eV),
        edge ``barrier`` = the member's energy at the edge's ``saddle``, or at the higher of its
        two sites where that is higher, minus that at its start site (eV, >= 0; both directions
        of a hop share one saddle energy, so the rates keep detailed balance); every other
        attribute as in ``G``.
    n_raised : int
        Directed hops, summed over members, whose saddle energy was raised to a site's.

    Raises
    ------
    InputError
        ``surface`` is not an ensemble of at least two members, ``G`` has no sites, or an edge
        has no ``saddle``.

    Notes
    -----
    Sites and saddles are those of ``G`` (found on the ensemble mean), not re-optimised on each
    member: first order in the members' differences. Cost: one ensemble evaluation of the
    ``n_sites + n_hops`` positions.
    """
    if not callable(getattr(surface, "member_energies", None)):
        raise InputError(
            f"an ensemble surface is needed (with member_energies(positions) -> (M, n) eV), got "
            f"{type(surface).__name__}"
        )
    if not isinstance(G, nx.MultiDiGraph) or G.number_of_nodes() == 0:
        raise InputError("a hop network (networkx.MultiDiGraph) with at least one site is needed")
    nodes = list(G.nodes)
    where = {n: k for k, n in enumerate(nodes)}
    edges = list(G.edges(keys=True, data=True))
    for u, v, key, d in edges:
        s = d.get("saddle")
        if s is None or np.shape(s) != (3,):
            raise InputError(
                f"edge {u} -> {v} (key {key!r}) has no saddle [x, y, z] Å; the ensemble reads "
                "each member's energy there"
            )
    sites = np.array([G.nodes[n]["position"] for n in nodes], dtype=float).reshape(-1, 3)
    saddles = np.array([d["saddle"] for *_, d in edges], dtype=float).reshape(-1, 3)
    e = _member_energies(surface, np.concatenate([sites, saddles]), int(chunk_size))  # (M, n+h)
    if e.ndim != 2 or e.shape[0] < 2:
        raise InputError(
            f"the surface has {e.shape[0] if e.ndim == 2 else 1} member(s); an ensemble spread "
            "needs at least 2"
        )
    e_sites, e_saddles = e[:, : len(nodes)], e[:, len(nodes) :]
    start = np.array([where[u] for u, *_ in edges], dtype=int)
    end = np.array([where[v] for _, v, *_ in edges], dtype=int)
    e_start, e_end = e_sites[:, start], e_sites[:, end]  # (M, h)
    # a transition state no lower than either end: both directions of a hop keep one saddle
    # energy, so the rates stay in detailed balance with the member's site energies
    n_raised = int((e_saddles < np.maximum(e_start, e_end)).sum())
    barriers = np.maximum(e_saddles, np.maximum(e_start, e_end)) - e_start  # (M, h)
    out = []
    for m in range(e.shape[0]):
        H = copy.deepcopy(G)
        for n, k in where.items():
            H.nodes[n]["energy"] = float(e_sites[m, k])
        for (u, v, key, _), b in zip(edges, barriers[m], strict=True):
            H.edges[u, v, key]["barrier"] = float(b)
        out.append(H)
    return out, n_raised


def ensemble_activation_energy(
    G: nx.MultiDiGraph,
    surface: Any,
    temperatures: Any = None,
) -> EnsembleActivation:
    """Each ensemble member's activation energy on the hop network ``G``, and their spread.

    Each member's network (:func:`member_networks`) gets its exact diffusion coefficient
    (:func:`landscape.kinetics.exact_diffusion`) at ``temperatures`` and an Arrhenius fit
    (:func:`landscape.kinetics.arrhenius`). :attr:`EnsembleActivation.Ea_std` is then the model
    uncertainty of the activation energy found on the ensemble mean.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        A hop network with a ``saddle`` on every edge, one that wraps the cell (D > 0).
    surface : EnergySurface with ``member_energies``
        The ensemble the network was found on (``SimplifiedNNP.surface(sample)``).
    temperatures : array_like, optional
        K; default ``DEFAULTS.temperatures`` (500, 600, 700, 800 K).

    Returns
    -------
    EnsembleActivation

    Raises
    ------
    InputError
        As :func:`member_networks`; or the network does not wrap the cell (D = 0, no activation
        energy).

    Examples
    --------
    >>> from landscape.kinetics.synthetic import cubic_lattice_network
    >>> G = cubic_lattice_network(3, a=2.0, barrier=0.5)
    >>> class TwoMembers:  # member k puts every saddle 0.1 k eV higher
    ...     def member_energies(self, p):
    ...         import torch
    ...         mid = (p / 2.0 - torch.round(p / 2.0)).abs().amax(1) > 0.25  # (n,)
    ...         return torch.stack([mid * (0.5 + 0.1 * k) for k in range(2)]).double()
    >>> r = ensemble_activation_energy(G, TwoMembers())
    >>> r.Ea_members.round(6).tolist()
    [0.5, 0.6]

    Notes
    -----
    Cost: :func:`member_networks`, then ``M`` exact solves per temperature (a sparse linear solve
    each, milliseconds for hundreds of sites).
    """
    T = as_temperatures(DEFAULTS.temperatures if temperatures is None else temperatures)
    nets, n_raised = member_networks(G, surface)
    eas, ds = [], []
    for H in nets:
        D = np.asarray(exact_diffusion(H, T).D, dtype=float)
        if not np.all(D > 0):
            raise InputError(
                f"network {G.graph.get('sample_id', '')!r} does not wrap the cell (D = 0 at some "
                "temperature): no activation energy to spread"
            )
        eas.append(arrhenius(T, D).Ea)
        ds.append(D)
    return EnsembleActivation(
        temperatures=np.asarray(T, dtype=float),
        Ea_members=np.asarray(eas, dtype=float),
        D_members=np.asarray(ds, dtype=float),
        n_raised=n_raised,
    )
