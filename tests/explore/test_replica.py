"""A 2×2×2 replica of a cell is the same material: eight times the sites and hops, the same
barriers, the same D (issue 38). Checked on an analytic surface through the whole landscape
(sites, hops, exact D), and on the NNP through its energies and forces (descriptors of a host
replicated 2×2×2 must see the same neighbourhoods)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from landscape.explore import find_hops, find_sites
from landscape.explore.surfaces import GaussianSumSurface
from landscape.kinetics import exact_diffusion

L = 6.0  # Å, the original cube
#: the eight lattice translations of the replica, Å
SHIFTS = np.array([[i, j, k] for i in range(2) for j in range(2) for k in range(2)], float) * L


def _wells() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """14 random wells in the 6 Å cube; widths ≤ 0.5 Å keep the minimum image exact (σ ≤ w/12)."""
    rng = np.random.default_rng(4)
    return rng.uniform(0, L, (14, 3)), rng.uniform(0.3, 1.0, 14), rng.uniform(0.42, 0.5, 14)


def _landscape(surface):
    sites = find_sites(surface, grid_spacing=0.25, progress=False)
    G = find_hops(surface, sites, max_distance=3.0, progress=False)
    return sites, G


def test_replica_has_eight_times_the_sites_and_hops_and_the_same_barriers_and_D():
    centres, depths, widths = _wells()
    original = GaussianSumSurface(np.eye(3) * L, centres, depths, widths)
    replica = GaussianSumSurface(
        np.eye(3) * 2 * L,
        (centres[None] + SHIFTS[:, None]).reshape(-1, 3),
        np.tile(depths, 8),
        np.tile(widths, 8),
    )
    s1, G1 = _landscape(original)
    s8, G8 = _landscape(replica)
    assert len(s1) >= 10 and G1.number_of_edges() >= 30  # a network worth the name
    assert len(s8) == 8 * len(s1) and G8.number_of_edges() == 8 * G1.number_of_edges()
    # every site of the original, translated by each of the eight shifts, is a site of the
    # replica (periodic distance < 1e-4 Å), with the same energy
    pos8 = np.asarray(s8.positions)
    e8 = np.asarray(s8.energies)
    for p, e in zip(np.asarray(s1.positions), np.asarray(s1.energies), strict=True):
        for shift in SHIFTS:
            d = pos8 - (p + shift)
            d -= np.round(d / (2 * L)) * 2 * L
            k = int(np.argmin(np.linalg.norm(d, axis=1)))
            assert np.linalg.norm(d[k]) < 1e-4 and e8[k] == pytest.approx(e, abs=1e-8)
    # the same barriers, each eight times (rounded to 1e-5 eV)
    b1 = Counter(round(d["barrier"], 5) for *_, d in G1.edges(data=True))
    b8 = Counter(round(d["barrier"], 5) for *_, d in G8.edges(data=True))
    assert b8 == Counter({b: 8 * n for b, n in b1.items()})
    # the same exact D, to the solver's precision
    T = np.array([300.0, 600.0])
    np.testing.assert_allclose(exact_diffusion(G8, T).D, exact_diffusion(G1, T).D, rtol=1e-6)


def test_nnp_energies_and_forces_are_those_of_the_original_in_the_replica(fitted, hosts):
    """The NNP of the 2×2×2 replicated host at a point and its seven images equals the NNP of
    the original host at that point (energies to 1e-9 eV, forces to 1e-8 eV/Å, float64)."""
    model, _ = fitted
    host = hosts[0]
    big = host.repeat((2, 2, 2))
    rng = np.random.default_rng(0)
    pts = rng.random((20, 3)) @ np.asarray(host.cell)
    e1, f1 = (np.asarray(x) for x in model.surface(host).energy_and_forces(pts))
    cell = np.asarray(host.cell)
    images = np.array([[i, j, k] for i in range(2) for j in range(2) for k in range(2)]) @ cell
    e8, f8 = (
        np.asarray(x)
        for x in model.surface(big).energy_and_forces((pts[None] + images[:, None]).reshape(-1, 3))
    )
    np.testing.assert_allclose(e8.reshape(8, -1), np.broadcast_to(e1, (8, len(pts))), atol=1e-9)
    np.testing.assert_allclose(f8.reshape(8, -1, 3), np.broadcast_to(f1, (8, *f1.shape)), atol=1e-8)


@pytest.mark.slow
def test_whole_nnp_landscape_of_a_2x2x2_replica_is_eight_copies(fitted, hosts):
    """Sites, hops and D on the NNP (the session's Morse-fitted ensemble) of a 28-atom host and
    of its 2×2×2 replica (224 atoms): 8× the sites and directed hops, each barrier eight times
    (to 1e-5 eV), the same exact D (rtol 1e-6). 4-7 min on 2 cores."""
    model, _ = fitted
    results = []
    for reps in ((1, 1, 1), (2, 2, 2)):
        host = hosts[0].repeat(reps)
        host.info["sample_id"] = "replica"
        surface = model.surface(host)
        sites = find_sites(surface, grid_spacing=0.3, progress=False)
        G = find_hops(surface, sites, max_distance=3.5, progress=False)
        results.append((sites, G))
    (s1, G1), (s8, G8) = results  # each barrier eight times, to 1e-5 eV
    assert len(s1) >= 20 and G1.number_of_edges() >= 80
    assert len(s8) == 8 * len(s1) and G8.number_of_edges() == 8 * G1.number_of_edges()
    np.testing.assert_allclose(np.sort(np.repeat(s1.energies, 8)), np.sort(s8.energies), atol=1e-6)
    b1 = np.array([d["barrier"] for *_, d in G1.edges(data=True)])
    b8 = np.array([d["barrier"] for *_, d in G8.edges(data=True)])
    np.testing.assert_allclose(np.sort(b8), np.sort(np.repeat(b1, 8)), atol=1e-5)
    T = np.array([600.0, 1000.0])
    np.testing.assert_allclose(exact_diffusion(G8, T).D, exact_diffusion(G1, T).D, rtol=1e-6)
