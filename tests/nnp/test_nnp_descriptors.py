"""Symmetry functions: invariances, cutoff, gradients, periodic images and equality with dscribe."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from ase import Atoms

from landscape.errors import InputError
from landscape.nnp import SymmetryFunctions, propose_grids


def _random_host(rng: np.random.Generator, cell: np.ndarray, n: int) -> Atoms:
    return Atoms(
        symbols=rng.choice(["O", "Ta"], n), scaled_positions=rng.random((n, 3)), cell=cell, pbc=True
    )


def _triclinic(length: float) -> np.ndarray:
    return np.array([[length, 0.0, 0.0], [1.3, 1.1 * length, 0.0], [-0.7, 0.9, 0.95 * length]])


@pytest.mark.parametrize("length", [4.5, 9.0, 13.0])
def test_equal_to_dscribe_acsf(length: float) -> None:
    """Our features equal dscribe's ACSF columns (mobile atom as centre), relative 1e-6."""
    rng = np.random.default_rng(int(length * 10))
    cell = _triclinic(length)
    host = _random_host(rng, cell, max(4, int(0.07 * abs(np.linalg.det(cell)))))
    sf = SymmetryFunctions(g4_params=[[0.01, 1.0, 1.0], [0.02, 2.0, -1.0], [0.005, 4.0, 1.0]])
    positions = rng.random((6, 3)) @ cell * 1.4 - 1.0  # some outside the cell
    ours = sf.compute(host, positions)
    acsf, columns = sf.dscribe_equivalent()
    assert acsf.get_number_of_features() > len(columns) == sf.n_features
    ref = np.array(
        [
            acsf.create(host + Atoms("Cu", positions=[p]), centers=[len(host)])[0][columns]
            for p in positions
        ]
    )
    assert np.abs(ref).max() > 1.0  # non-trivial values
    np.testing.assert_allclose(ours, ref, rtol=1e-6, atol=1e-10)


def test_translation_and_periodic_image_invariance() -> None:
    rng = np.random.default_rng(3)
    cell = _triclinic(8.0)
    host = _random_host(rng, cell, 30)
    sf = SymmetryFunctions()
    p = rng.random((5, 3)) @ cell
    base = sf.compute(host, p)
    # a lattice image of the position gives the same features
    shift = np.array([1, -2, 3]) @ cell
    np.testing.assert_allclose(sf.compute(host, p + shift), base, rtol=1e-10, atol=1e-12)
    # translating host and position together changes nothing
    t = np.array([0.37, -1.2, 2.9])
    moved = host.copy()
    moved.translate(t)
    np.testing.assert_allclose(sf.compute(moved, p + t), base, rtol=1e-10, atol=1e-12)
    # wrapping the host atoms into the cell changes nothing either
    moved.wrap()
    np.testing.assert_allclose(sf.compute(moved, p + t), base, rtol=1e-10, atol=1e-12)


def test_cell_shorter_than_twice_the_cutoff_counts_every_image() -> None:
    """One O atom in a 3 Å cubic cell: G2 equals the explicit lattice sum over all images."""
    length, r_cut = 3.0, 6.0
    host = Atoms("O", positions=[[0.0, 0.0, 0.0]], cell=np.eye(3) * length, pbc=True)
    eta, rs = 0.7, 2.5
    sf = SymmetryFunctions(species=["O"], r_cut=r_cut, g2_params=[[eta, rs]], g4_params=[])
    p = np.array([[0.4, 1.1, 1.7]])
    n = math.ceil(r_cut / length) + 1
    grid = np.arange(-n, n + 1)
    images = np.stack(np.meshgrid(grid, grid, grid, indexing="ij"), -1).reshape(-1, 3) * length
    r = np.linalg.norm(images - p, axis=1)
    r = r[r < r_cut]
    expected = np.sum(np.exp(-eta * (r - rs) ** 2) * 0.5 * (np.cos(np.pi * r / r_cut) + 1))
    assert len(r) > 30  # many images of the one atom
    np.testing.assert_allclose(sf.compute(host, p)[0, 0], expected, rtol=1e-12)


def test_no_nan_exactly_at_cutoff_and_continuity() -> None:
    r_cut = 6.0
    host = Atoms("OTa", positions=[[10, 10, 10], [10, 10 + r_cut, 10]], cell=[30] * 3, pbc=True)
    sf = SymmetryFunctions(r_cut=r_cut)
    ht = sf.host_tensors(host)
    # mobile atom exactly r_cut from both atoms: nothing contributes, gradient finite
    p = torch.tensor([[10.0 + r_cut, 10.0, 10.0]], dtype=torch.float64, requires_grad=True)
    x = sf(ht, p)
    (g,) = torch.autograd.grad(x.sum(), p)
    assert torch.isfinite(x).all() and torch.isfinite(g).all()
    np.testing.assert_allclose(x.detach().numpy(), 0.0, atol=1e-12)
    # just inside: tiny, continuous with zero
    q = np.array([[10.0 + r_cut - 1e-4, 10.0, 10.0]])
    assert np.abs(sf.compute(host, q)).max() < 1e-6


def test_gradient_matches_finite_differences() -> None:
    rng = np.random.default_rng(7)
    cell = _triclinic(7.0)
    host = _random_host(rng, cell, 25)
    sf = SymmetryFunctions()
    ht = sf.host_tensors(host)
    p = torch.tensor(rng.random((3, 3)) @ cell, dtype=torch.float64, requires_grad=True)
    w = torch.tensor(rng.normal(size=sf.n_features), dtype=torch.float64)
    (g,) = torch.autograd.grad((sf(ht, p) @ w).sum(), p)
    h = 1e-5
    fd = np.zeros((3, 3))
    for i in range(3):
        for k in range(3):
            d = torch.zeros_like(p)
            d[i, k] = h
            with torch.no_grad():
                fd[i, k] = float(((sf(ht, p + d) - sf(ht, p - d)) @ w)[i]) / (2 * h)
    np.testing.assert_allclose(g.numpy(), fd, rtol=1e-6, atol=1e-7)


def test_jacobian_matches_finite_differences_and_the_features() -> None:
    rng = np.random.default_rng(5)
    cell = _triclinic(7.0)
    host = _random_host(rng, cell, 25)
    sf = SymmetryFunctions(chunk_size=4)  # several chunks in neighbour order
    p = rng.random((9, 3)) @ cell + np.array([0.0, 0.0, 3 * cell[2, 2]])  # an outer image too
    x, jac = sf.compute_with_jacobian(host, p)
    assert x.shape == (9, sf.n_features) and jac.shape == (9, sf.n_features, 3)
    np.testing.assert_allclose(x, sf.compute(host, p), rtol=1e-12, atol=1e-14)
    h = 1e-5
    for k in range(3):
        d = np.zeros(3)
        d[k] = h
        fd = (sf.compute(host, p + d) - sf.compute(host, p - d)) / (2 * h)  # (9, F)
        np.testing.assert_allclose(jac[:, :, k], fd, rtol=1e-5, atol=1e-8)
    assert np.abs(jac).max() > 0.1  # the features do move with the atom
    with pytest.raises(InputError, match="NaN"):
        sf.compute_with_jacobian(host, [[np.nan, 0.0, 0.0]])


def test_batching_and_chunks_agree() -> None:
    rng = np.random.default_rng(11)
    host = _random_host(rng, np.eye(3) * 9.0, 40)
    p = rng.random((50, 3)) * 9.0
    a = SymmetryFunctions(chunk_size=7).compute(host, p)
    b = np.vstack([SymmetryFunctions().compute(host, q[None]) for q in p])
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_module_buffers_and_names() -> None:
    sf = SymmetryFunctions(species=["Ta", "O"])
    assert sf.species == ["O", "Ta"]  # sorted by atomic number as in dscribe
    assert {"g2_eta", "g2_rs", "g4_eta", "g4_zeta", "g4_lambda"} <= set(sf.state_dict())
    assert len(sf.feature_names()) == sf.n_features
    assert sf.to(torch.float32).g2_eta.dtype == torch.float32


def test_propose_grids_shapes_and_overlap() -> None:
    g2, g4 = propose_grids(6.0, n_radial=10, r_min=1.0)
    assert g2.shape == (10, 2) and g4.shape == (3 * 4 * 2, 3)  # radii x zetas x lambdas
    assert set(g4[:, 1]) == {1.0, 2.0, 4.0, 16.0}
    spacing = np.diff(g2[:, 1])
    np.testing.assert_allclose(spacing, 0.5)
    # neighbouring Gaussians cross at exp(-eta (spacing/2)^2) = exp(-1/8)
    np.testing.assert_allclose(np.exp(-g2[:, 0] * (spacing[0] / 2) ** 2), np.exp(-1 / 8))
    assert set(g4[:, 2]) == {-1.0, 1.0}


def test_bad_input() -> None:
    with pytest.raises(InputError, match="unknown chemical symbol"):
        SymmetryFunctions(species=["O", "Xx"])
    with pytest.raises(InputError, match="must not be a host species"):
        SymmetryFunctions(species=["O", "Cu"], mobile="Cu")
    sf = SymmetryFunctions()
    host = Atoms("OCu", positions=[[0, 0, 0], [1, 1, 1]], cell=[5] * 3, pbc=True)
    with pytest.raises(InputError, match=r"species \['Cu'\]"):
        sf.compute(host, [[2.0, 2.0, 2.0]])
