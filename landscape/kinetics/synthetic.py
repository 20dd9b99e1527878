"""Synthetic hop networks with known answers, for tests, benchmarks and the demo.

Every network follows the hop-network contract and is built with its builder
(:mod:`landscape.contracts`): graph attributes ``sample_id``, ``cell`` (3×3 list, Å), ``species``,
``energy_unit``; nodes with ``position`` (Å) and ``energy`` (eV); one edge per direction with
``barrier`` (eV), ``shift`` (integer lattice image of the target), ``prefactor`` (Hz), ``saddle``,
``profile`` and ``length``.
"""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np

from ..config import DEFAULTS
from ..contracts import add_hop, add_site, new_network
from ..errors import InputError

__all__ = ["empty_network", "cubic_lattice_network", "random_network"]


#: An empty hop network with the contract's graph attributes: :func:`landscape.contracts.new_network`.
empty_network = new_network


def _add_hop(
    G: nx.MultiDiGraph,
    i: int,
    j: int,
    shift: tuple[int, int, int],
    saddle_energy: float,
    prefactor: float,
    cell: np.ndarray,
) -> None:
    """Add the two directed edges of one hop i -> j (+shift) with a three-point profile, the
    saddle half-way."""
    pi = np.asarray(G.nodes[i]["position"])
    pj = np.asarray(G.nodes[j]["position"]) + np.asarray(shift) @ cell
    ei, ej = G.nodes[i]["energy"], G.nodes[j]["energy"]
    add_hop(
        G, i, j, shift, saddle_energy,
        saddle=0.5 * (pi + pj),
        profile=[float(ei), float(saddle_energy), float(ej)],
        cell=cell,
        prefactor=prefactor,
        length=float(np.linalg.norm(pj - pi)),
    )  # fmt: skip


def cubic_lattice_network(
    n: int = 4,
    *,
    a: float = 2.0,
    barrier: float = 0.5,
    prefactor: float = DEFAULTS.prefactor_hz,
    sample_id: str = "cubic",
    species: str = "Cu",
) -> nx.MultiDiGraph:
    """Simple-cubic lattice of ``n³`` sites, spacing ``a`` (Å), nearest-neighbour hops.

    All sites have energy 0 eV and every hop the same ``barrier`` (eV), so the exact diffusion
    coefficient is ``D = k a²`` with ``k = prefactor · exp(−barrier / k_B T)`` (Å²/s).

    Parameters
    ----------
    n : int
        Sites per edge of the periodic supercell (``n >= 1``; for ``n <= 2`` a site is its own
        neighbour's neighbour through different images, which the ``shift`` keeps apart).
    a : float
        Lattice spacing, Å.
    barrier : float
        Barrier of every hop, eV.
    prefactor : float
        Attempt frequency, Hz.
    """
    if n < 1 or a <= 0:
        raise InputError(f"need n >= 1 and a > 0 Å, got n={n}, a={a}")
    cell = np.eye(3) * n * a
    G = empty_network(cell, sample_id=sample_id, species=species)
    index = {}
    for k, (x, y, z) in enumerate(itertools.product(range(n), repeat=3)):
        index[(x, y, z)] = k
        add_site(G, k, [x * a, y * a, z * a], 0.0)
    for (x, y, z), i in index.items():
        for axis in range(3):
            c = [x, y, z]
            c[axis] += 1
            shift = [0, 0, 0]
            if c[axis] == n:
                c[axis] = 0
                shift[axis] = 1
            _add_hop(G, i, index[tuple(c)], tuple(shift), barrier, prefactor, cell)
    return G


def random_network(
    n_sites: int = 300,
    *,
    density: float = 0.04,
    max_distance: float = 3.2,
    energy_spread: float = 0.1,
    base_barrier: float = 0.25,
    barrier_slope: float = 0.15,
    barrier_noise: float = 0.05,
    prefactor: float = DEFAULTS.prefactor_hz,
    random_state: int | None = 0,
    sample_id: str = "synthetic",
    species: str = "Cu",
) -> nx.MultiDiGraph:
    """An amorphous-like network: random sites in a cubic cell, distance-dependent barriers.

    Sites are uniform in a periodic cube of side ``(n_sites / density)^(1/3)`` Å with energies
    drawn from N(0, ``energy_spread``) eV. Every pair closer than ``max_distance`` (periodic images
    included) is a hop whose saddle energy is ``max(E_i, E_j) + base_barrier + barrier_slope·(d −
    d_min) + |noise|`` eV, with ``d`` the hop length (Å) and ``d_min`` the shortest one; the
    barriers are therefore consistent with one saddle energy per hop (detailed balance holds).

    Parameters
    ----------
    n_sites : int
        Number of sites.
    density : float
        Sites per Å³.
    max_distance : float
        Longest hop, Å.
    energy_spread, base_barrier, barrier_slope, barrier_noise : float
        eV, eV, eV/Å and eV.
    prefactor : float
        Attempt frequency of every hop, Hz.
    random_state : int or None
        Seed of every random draw.
    """
    if n_sites < 2 or density <= 0 or max_distance <= 0:
        raise InputError(
            f"need n_sites >= 2, density > 0 /Å³ and max_distance > 0 Å, got {n_sites}, {density}, {max_distance}"
        )
    rng = np.random.default_rng(random_state)
    side = (n_sites / density) ** (1.0 / 3.0)
    cell = np.eye(3) * side
    pos = rng.uniform(0.0, side, size=(n_sites, 3))
    energy = rng.normal(0.0, energy_spread, size=n_sites)
    G = empty_network(cell, sample_id=sample_id, species=species)
    for k in range(n_sites):
        add_site(G, k, pos[k], energy[k])
    shifts = np.array(list(itertools.product((-1, 0, 1), repeat=3)))  # (27, 3)
    pairs = []
    for i in range(n_sites):
        d = pos[None, :, :] + (shifts @ cell)[:, None, :] - pos[i]  # (27, n, 3)
        dist = np.linalg.norm(d, axis=-1)  # (27, n)
        for s, j in zip(*np.nonzero(dist < max_distance), strict=True):
            if j > i or (j == i and tuple(shifts[s]) > (0, 0, 0)):
                pairs.append((i, int(j), tuple(int(v) for v in shifts[s]), float(dist[s, j])))
    if not pairs:
        raise InputError(f"no pair of sites closer than max_distance={max_distance} Å")
    d_min = min(p[3] for p in pairs)
    noise = np.abs(rng.normal(0.0, barrier_noise, size=len(pairs)))
    for (i, j, shift, d), eps in zip(pairs, noise, strict=True):
        saddle = max(energy[i], energy[j]) + base_barrier + barrier_slope * (d - d_min) + eps
        _add_hop(G, i, j, shift, saddle, prefactor, cell)
    return G
