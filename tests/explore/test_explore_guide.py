"""The spline guide and the basin candidates of find_hops, against exact answers and the exact search."""

from __future__ import annotations

import collections
import math

import numpy as np
import pytest
import torch

from landscape.errors import InputError
from landscape.explore import (
    CosineSurface,
    DoubleWellSurface,
    GaussianSumSurface,
    SplineSurface,
    basin_pairs,
    batched_neb,
    find_hops,
    find_sites,
    grid_energies,
    grid_points,
)

A, a = 0.1, 2.5


def _table(surface, spacing):
    shape, points = grid_points(surface.cell, spacing)
    return grid_energies(surface, points, 65536).reshape(shape).numpy()


def test_spline_passes_through_the_grid_and_its_forces_are_its_gradient():
    s = GaussianSumSurface.random(60, 8.0, width=(0.6, 0.9), random_state=3)
    table = _table(s, 0.2)
    sp = SplineSurface(s.cell.numpy(), table, ceiling=50.0)  # ceiling far away: exact nodes
    n = sp.shape
    nodes = torch.tensor([[3, 5, 7], [0, 0, 0], [n[0] - 1, 2, n[2] - 1]], dtype=torch.float64)
    x = (nodes / torch.tensor(n, dtype=torch.float64)) @ sp.cell
    ref = torch.as_tensor(table[[3, 0, n[0] - 1], [5, 0, 2], [7, 0, n[2] - 1]])
    assert torch.allclose(sp.energy(x), ref, atol=1e-10)
    # forces are -grad E: central differences (error O(h^2) ~ 1e-10)
    y = torch.rand(20, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0)) @ sp.cell
    _, f = sp.energy_and_forces(y)
    h = 1e-5
    for k in range(3):
        d = torch.zeros(3, dtype=torch.float64)
        d[k] = h
        fd = -(sp.energy(y + d) - sp.energy(y - d)) / (2 * h)
        assert torch.allclose(fd, f[:, k], atol=1e-7)
    # periodic: one lattice vector away gives the same energy
    assert torch.allclose(sp.energy(y + sp.cell[1]), sp.energy(y), atol=1e-10)


def test_spline_error_is_small_on_a_smooth_surface():
    s = GaussianSumSurface.random(250, 11.0, width=(0.4, 0.55), random_state=0)
    sp = SplineSurface.from_surface(s, spacing=0.2)
    x = torch.rand(2000, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1)) * 11.0
    err = sp.interpolation_error(s, x)
    assert err["energy_mae"] < 5e-4 and err["energy_max"] < 5e-3  # eV
    assert err["force_mae"] < 5e-3  # eV/Å


def test_spline_fills_holes_without_ringing():
    s = CosineSurface(a, A, 2)
    table = _table(s, 0.25)
    holes = table > 0.25  # the maxima of the cosine lattice, as if inside host atoms
    table[holes] = np.inf
    sp = SplineSurface(s.cell.numpy(), table)
    ok = ~holes
    sh = sp.shape
    frac = np.stack(np.meshgrid(*(np.arange(n) / n for n in sh), indexing="ij"), -1)[ok]
    e = sp.energy(torch.as_tensor(frac @ s.cell.numpy()))
    assert np.allclose(e.numpy(), table[ok], atol=2e-3)  # soft ceiling only: 6 eV far
    with pytest.raises(InputError, match="no finite energy"):
        SplineSurface(s.cell.numpy(), np.full((5, 5, 5), np.inf))
    with pytest.raises(InputError, match="3D grid"):
        SplineSurface(s.cell.numpy(), np.zeros((5, 5)))


def test_basin_pairs_of_the_cosine_lattice_are_its_nearest_neighbours():
    s = CosineSurface(a, A, 3)  # 27 sites, 7.5 Å cell
    sites = find_sites(s, progress=False)
    i, j, shift, via = basin_pairs(sites.grid, sites.cell, sites.positions, 4.5)
    start = sites.positions[i]
    end = sites.positions[j] + shift @ sites.cell
    d = np.linalg.norm(end - start, axis=1)
    assert len(i) == 27 * 6 // 2 and np.allclose(d, a)  # 6 neighbours each, no diagonals
    assert collections.Counter(np.concatenate([i, j]).tolist()) == {k: 6 for k in range(27)}
    # the pass lies on the segment's midpoint plane, between both ends
    mid = 0.5 * (start + end)
    assert np.all(np.abs(np.einsum("pk,pk->p", via - mid, end - start)) / d < 0.2)
    assert np.all(np.linalg.norm(via - mid, axis=1) < 0.5 * a)
    # an empty selection and a short max_distance
    assert len(basin_pairs(sites.grid, sites.cell, sites.positions, 1.0)[0]) == 0


def test_batched_neb_through_a_via_point():
    s = CosineSurface(a, A, 2)
    start = torch.tensor([[0.0, 0.0, 0.0]], dtype=torch.float64)
    end = torch.tensor([[a, 0.0, 0.0]], dtype=torch.float64)
    via = torch.tensor([[a / 2, 0.4, 0.0]], dtype=torch.float64)
    r = batched_neb(s, start, end, via=via, n_images=9)
    assert bool(r.converged[0])
    # the band started bent through y = 0.4 Å and relaxed onto the straight path over the saddle
    # at (a/2, 0, 0); unpolished, the climbing image is within fmax = 0.02 eV/Å of it
    top = r.images[0, int(r.climbing[0])]
    assert float(top[1].abs()) < 0.05 and float((top[0] - a / 2).abs()) < 0.05
    assert float(r.energies[0].max() - r.energies[0, 0]) == pytest.approx(2 * A, abs=1e-3)


@pytest.mark.parametrize("candidates", ["distance", "basins"])
def test_guided_search_gives_the_exact_barriers(candidates):
    s = CosineSurface(a, A, 2)
    sites = find_sites(s, progress=False)
    G = find_hops(s, sites, guide=True, candidates=candidates, progress=False)
    assert G.number_of_edges() == 8 * 6  # every site, its six neighbours
    barriers = np.array([d["barrier"] for _, _, d in G.edges(data=True)])
    assert np.allclose(barriers, 2 * A, atol=1e-6)
    assert G.graph["search"]["candidates"] == (8 * 13 if candidates == "distance" else 8 * 3)


def test_guided_search_gives_forward_and_backward_barriers():
    s = DoubleWellSurface()
    sites = find_sites(s, progress=False)
    exact = find_hops(s, sites, progress=False)
    guided = find_hops(s, sites, guide=True, candidates="basins", progress=False)
    key = lambda G: sorted(  # noqa: E731
        (u, v, tuple(d["shift"]), round(d["barrier"], 5)) for u, v, d in G.edges(data=True)
    )
    assert key(guided) == key(exact) and guided.number_of_edges() > 0


def test_guided_search_agrees_with_the_exact_search_on_an_irregular_surface():
    s = GaussianSumSurface.random(120, 9.0, width=(0.45, 0.6), random_state=2)
    sites = find_sites(s, progress=False)
    exact = find_hops(s, sites, progress=False, max_passes=1)
    guided = find_hops(s, sites, guide=True, progress=False, max_passes=1)
    h0 = {(u, v, tuple(d["shift"])): d["barrier"] for u, v, d in exact.edges(data=True)}
    h1 = {(u, v, tuple(d["shift"])): d["barrier"] for u, v, d in guided.edges(data=True)}
    common = set(h0) & set(h1)
    assert len(common) >= 0.9 * len(h0)  # a few pairs relax to another of their paths
    same = [abs(h0[k] - h1[k]) < 1e-5 for k in common]
    assert np.mean(same) >= 0.9  # identical saddles, polished on the surface itself


def test_guided_site_search_finds_the_same_sites():
    s = GaussianSumSurface.random(120, 9.0, width=(0.45, 0.6), random_state=2)
    exact = find_sites(s, progress=False)
    guided = find_sites(s, progress=False, guide=True)
    assert len(guided) == len(exact) > 20
    order = lambda S: np.lexsort(S.positions.T[::-1])  # noqa: E731
    np.testing.assert_allclose(
        guided.positions[order(guided)], exact.positions[order(exact)], atol=1e-3
    )
    np.testing.assert_allclose(
        guided.energies[order(guided)], exact.energies[order(exact)], atol=1e-6
    )
    assert guided.converged.all()


def test_minima_outside_the_model_domain_are_dropped():
    from ase import Atoms

    s = GaussianSumSurface(np.eye(3) * 8.0, [[2.0, 2.0, 2.0], [6.0, 6.0, 6.0]], [1.0, 0.8], 0.7)
    everything = find_sites(s, progress=False)
    assert len(everything) == 2
    # a host atom 0.5 Å from the deeper well: a network trained no closer than 1.2 Å to host
    # atoms would be extrapolating there, so that minimum is not a site
    s.host = Atoms("O", positions=[[2.5, 2.0, 2.0]], cell=np.eye(3) * 8.0, pbc=True)
    s.min_host_distance = 1.2
    sites = find_sites(s, progress=False, min_host_distance=0.1)
    assert len(sites) == 1 and np.allclose(sites.positions[0], 6.0, atol=1e-3)
    assert sites.info["domain_min_host_distance"] == 1.2


def test_unknown_candidates_is_an_input_error():
    s = CosineSurface(a, A, 2)
    sites = find_sites(s, progress=False)
    with pytest.raises(InputError, match="unknown candidates"):
        find_hops(s, sites, candidates="voronoi", progress=False)
    assert math.isfinite(float(sites.grid[np.isfinite(sites.grid)].min()))
