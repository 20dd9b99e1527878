"""The batched CI-NEB against ase.mep.NEB on the same surface, images and tolerance: barriers ≤ 1 meV."""

from __future__ import annotations

import numpy as np
import torch
from ase.mep import NEB
from ase.optimize import FIRE

from landscape.explore import (
    CosineSurface,
    GaussianSumSurface,
    SurfaceCalculator,
    find_hops,
    find_sites,
)

N_IMAGES, FMAX, SPRING = 9, 0.02, 0.5


def ase_barrier(surface, start, end) -> tuple[float, bool]:
    """Climbing-image NEB of ASE (improved tangent, FIRE) from start to end (Å); barrier in eV."""
    images = [SurfaceCalculator.atoms_at(surface, start)]
    for _ in range(N_IMAGES - 2):
        images.append(SurfaceCalculator.atoms_at(surface, start))
    images.append(SurfaceCalculator.atoms_at(surface, end))
    neb = NEB(images, k=SPRING, climb=True, method="improvedtangent")
    neb.interpolate()
    converged = FIRE(neb, logfile=None).run(fmax=FMAX, steps=2000)
    energies = [im.get_potential_energy() for im in images]
    return max(energies) - energies[0], bool(converged)


def compare_with_ase(surface, G, edges, atol: float = 1e-3) -> list[float]:
    """ASE's barrier minus the network's for each of ``edges`` (eV), each band converged, all
    within ``atol`` eV."""
    cell = np.asarray(G.graph["cell"])
    assert edges
    deviations = []
    for i, j, d in edges:
        start = np.asarray(G.nodes[i]["position"])
        end = np.asarray(G.nodes[j]["position"]) + np.asarray(d["shift"]) @ cell
        barrier, converged = ase_barrier(surface, start, end)
        assert converged
        deviations.append(barrier - d["barrier"])
    np.testing.assert_allclose(deviations, 0.0, atol=atol)
    return deviations


def test_cosine_hops_match_ase():
    s = CosineSurface(2.5, 0.1, 2)
    sites = find_sites(s, progress=False)
    G = find_hops(s, sites, spring=SPRING, fmax=FMAX, n_images=N_IMAGES, progress=False)
    compare_with_ase(s, G, list(G.edges(data=True))[:2])


def test_irregular_surface_hops_match_ase():
    s = GaussianSumSurface.random(40, 7.0, width=(0.45, 0.6), random_state=4)
    sites = find_sites(s, progress=False)
    G = find_hops(s, sites, spring=SPRING, fmax=FMAX, n_images=N_IMAGES, progress=False)
    # curved paths: the hops whose band is furthest from a straight line, in both directions
    edges = sorted(G.edges(data=True), key=lambda e: e[2]["path_length"] - e[2]["length"])
    chosen = edges[-4:]
    assert chosen[0][2]["path_length"] > 1.05 * chosen[0][2]["length"]
    compare_with_ase(s, G, chosen)


if __name__ == "__main__":  # print the deviations
    torch.set_num_threads(1)
    s = GaussianSumSurface.random(40, 7.0, width=(0.45, 0.6), random_state=4)
    sites = find_sites(s, progress=False)
    G = find_hops(s, sites, spring=SPRING, fmax=FMAX, n_images=N_IMAGES, progress=False)
    edges = sorted(G.edges(data=True), key=lambda e: e[2]["path_length"] - e[2]["length"])
    print([(d["path_length"] / d["length"], d["barrier"]) for *_, d in edges[-4:]])
    print(compare_with_ase(s, G, edges[-4:]))
