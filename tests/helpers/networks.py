"""Hop networks with exact answers, shared by the kinetics tests (imported, not collected)."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np

from landscape.kinetics import HopArrays, hop_arrays
from landscape.kinetics.synthetic import empty_network
from landscape.units import ANGSTROM2_PER_S_TO_CM2_PER_S, K_B

NU = 1.0e13  # Hz


def add_bond(G, i, j, shift, saddle, *, prefactor=NU):
    """Both directed hops of one bond i -> j(+shift) with one saddle energy (eV)."""
    ei, ej = G.nodes[i]["energy"], G.nodes[j]["energy"]
    G.add_edge(i, j, barrier=saddle - ei, shift=list(shift), prefactor=prefactor)
    G.add_edge(j, i, barrier=saddle - ej, shift=[-s for s in shift], prefactor=prefactor)


def chain(energies, saddles, *, length=6.0, positions=None, prefactor=NU) -> nx.MultiDiGraph:
    """A 1-D periodic chain along x: site n at x_n, bond n -> n+1 with saddle energy saddles[n].

    The last bond wraps to site 0 of the next cell. Exact (Einstein relation over one period):
    D_xx = L² ν / (Z Σ_n exp(S_n / kT)), Z = Σ_n exp(−E_n / kT); D_yy = D_zz = 0.
    """
    N = len(energies)
    if positions is None:
        positions = np.arange(N) * length / N
    G = empty_network(np.diag([length, 10.0, 10.0]), sample_id="chain")
    for n in range(N):
        G.add_node(n, position=[float(positions[n]), 5.0, 5.0], energy=float(energies[n]))
    for n in range(N):
        add_bond(
            G,
            n,
            (n + 1) % N,
            (1 if n == N - 1 else 0, 0, 0),
            float(saddles[n]),
            prefactor=prefactor,
        )
    return G


def chain_D_xx(energies, saddles, T, *, length=6.0, prefactor=NU) -> float:
    """Exact D_xx (cm²/s) of :func:`chain`."""
    kT = K_B * T
    e0 = min(energies)
    Z = np.exp(-(np.asarray(energies) - e0) / kT).sum()
    S = np.exp((np.asarray(saddles) - e0) / kT).sum()
    return length**2 * prefactor / (Z * S) * ANGSTROM2_PER_S_TO_CM2_PER_S


def x_only(n=4, a=2.0, *, ex=0.4, ey=0.3) -> nx.MultiDiGraph:
    """An n×n square grid in the xy plane: x bonds wrap (barrier ex), y bonds stop at the cell edge.

    Each plane component wraps only along x: D_xx = ν exp(−ex/kT) a², D_yy = D_zz = 0; the
    percolation barrier is ex along x (and any), never along y or z.
    """
    G = empty_network(np.diag([n * a, n * a, 10.0]), sample_id="x-only")
    idx = {}
    for k, (x, y) in enumerate(itertools.product(range(n), repeat=2)):
        idx[x, y] = k
        G.add_node(k, position=[x * a, y * a, 0.0], energy=0.0)
    for (x, y), i in idx.items():
        add_bond(G, i, idx[(x + 1) % n, y], (1 if x == n - 1 else 0, 0, 0), ex)
        if y < n - 1:
            add_bond(G, i, idx[x, y + 1], (0, 0, 0), ey)
    return G


def lattice_arrays(n, saddle_of_bond, *, a=1.0, energies=None) -> HopArrays:
    """Simple-cubic n³ lattice as HopArrays; bond b (3 per site: +x, +y, +z) has saddle saddle_of_bond[b]."""
    coords = np.array(list(itertools.product(range(n), repeat=3)))  # (n³, 3)
    N = len(coords)
    energies = np.zeros(N) if energies is None else np.asarray(energies, float)
    index = lambda c: (c[:, 0] * n + c[:, 1]) * n + c[:, 2]  # noqa: E731
    src, dst, shift, saddle = [], [], [], []
    for axis in range(3):
        nb = coords.copy()
        nb[:, axis] += 1
        s = np.zeros((N, 3), dtype=np.int64)
        s[:, axis] = nb[:, axis] // n
        nb[:, axis] %= n
        j = index(nb)
        sad = np.asarray(saddle_of_bond)[axis * N : (axis + 1) * N]
        src += [np.arange(N), j]
        dst += [j, np.arange(N)]
        shift += [s, -s]
        saddle += [sad, sad]
    src, dst = np.concatenate(src), np.concatenate(dst)
    shift, saddle = np.concatenate(shift), np.concatenate(saddle)
    order = np.argsort(src, kind="stable")
    src, dst, shift, saddle = src[order], dst[order], shift[order], saddle[order]
    pos = coords * a
    cell = np.eye(3) * n * a
    indptr = np.zeros(N + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=N), out=indptr[1:])
    return HopArrays(
        node_ids=list(range(N)),
        positions=pos.astype(float),
        energies=energies,
        cell=cell,
        src=src,
        dst=dst,
        shift=shift,
        barrier=saddle - energies[src],
        prefactor=np.full(len(src), NU),
        displacement=pos[dst] + shift @ cell - pos[src],
        indptr=indptr,
    )


def bloch_D(G, T, sites, axis, q=(0.02, 0.01)) -> float:
    """D_aa (cm²/s) of one closed component from the top eigenvalue of the Bloch generator.

    λ(q) = −D q² + O(q⁴) for a reversible walk; Richardson over two q removes the q⁴ term.
    Independent of the corrector solve (dense eigenvalues of the sqrt(π)-symmetrised matrix).
    """
    net = hop_arrays(G)
    loc = -np.ones(net.n_sites, dtype=np.int64)
    loc[sites] = np.arange(len(sites))
    k = net.rates(T)
    m = (loc[net.src] >= 0) & (loc[net.dst] >= 0)
    a, b, kk, d = loc[net.src[m]], loc[net.dst[m]], k[m], net.displacement[m]
    e = net.energies[sites]
    pi = np.exp(-(e - e.min()) / (K_B * T))
    s = np.sqrt(pi / pi.sum())
    ktot = np.zeros(len(sites))
    np.add.at(ktot, a, kk)
    vals = []
    for h in q:
        qv = np.zeros(3)
        qv[axis] = h
        M = np.zeros((len(sites), len(sites)), dtype=complex)
        np.add.at(M, (a, b), kk * np.exp(1j * (d @ qv)))
        M -= np.diag(ktot)
        H = s[:, None] * M / s[None, :]
        vals.append(-np.linalg.eigvalsh(0.5 * (H + H.conj().T)).max() / h**2)
    ratio = (q[0] / q[1]) ** 2
    return (ratio * vals[1] - vals[0]) / (ratio - 1) * ANGSTROM2_PER_S_TO_CM2_PER_S


def trap_lattice(n=3, a=2.0, *, hop=0.5, trap_depth=0.2, trap_saddle=0.05, delta=0.6):
    """Simple-cubic n³ lattice of sites A (energy 0) whose every site carries a trap B.

    B sits ``delta`` Å from its A along x+y+z, at energy ``−trap_depth``, joined to it by a saddle at
    ``trap_saddle`` eV (a tiny barrier); A–A hops between neighbouring cells have saddle ``hop``.
    Node ``2c`` is A and ``2c + 1`` is B of cell ``c``. B only delays the walker, so the exact
    D = π_A ν exp(−hop/kT) a², with π_A = 1 / (1 + exp(trap_depth / kT)) (see :func:`trap_D`).
    """
    G = empty_network(np.eye(3) * n * a, sample_id="trap-lattice")
    cells = list(itertools.product(range(n), repeat=3))
    index = {c: k for k, c in enumerate(cells)}
    for k, c in enumerate(cells):
        G.add_node(2 * k, position=[ci * a for ci in c], energy=0.0)
        G.add_node(2 * k + 1, position=[ci * a + delta for ci in c], energy=-trap_depth)
    for k, c in enumerate(cells):
        add_bond(G, 2 * k, 2 * k + 1, (0, 0, 0), trap_saddle)
        for axis in range(3):
            nb = list(c)
            nb[axis] += 1
            shift = [0, 0, 0]
            if nb[axis] == n:
                nb[axis], shift[axis] = 0, 1
            add_bond(G, 2 * k, 2 * index[tuple(nb)], shift, hop)
    return G


def trap_D(T, *, a=2.0, hop=0.5, trap_depth=0.2) -> float:
    """Exact D (cm²/s) of :func:`trap_lattice`."""
    kT = K_B * T
    pi_a = 1.0 / (1.0 + np.exp(trap_depth / kT))
    return pi_a * NU * np.exp(-hop / kT) * a**2 * ANGSTROM2_PER_S_TO_CM2_PER_S


def x_ring(a=2.0, *, fast=0.1, slow=0.6) -> nx.MultiDiGraph:
    """Three equal sites on a ring along x that wraps the cell (3a × a × a) through fast hops.

    The x bonds 0–1, 1–2 and 2–0 (the last into the next cell) have saddle ``fast``; every site
    also hops to its own images along y and z with saddle ``slow``. Exact: D_xx = ν e^(−fast/kT) a²,
    D_yy = D_zz = ν e^(−slow/kT) a². Merging all fast hops into one basin would wrap the cell.
    """
    G = empty_network(np.diag([3 * a, a, a]), sample_id="x-ring")
    for i in range(3):
        G.add_node(i, position=[i * a, 0.0, 0.0], energy=0.0)
    for i in range(3):
        add_bond(G, i, (i + 1) % 3, (1 if i == 2 else 0, 0, 0), fast)
        add_bond(G, i, i, (0, 1, 0), slow)
        add_bond(G, i, i, (0, 0, 1), slow)
    return G
