"""Analytic surfaces: forces are −∇E, periodicity, finite-difference Hessians, the ASE calculator."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from landscape.errors import InputError
from landscape.explore import (
    CosineSurface,
    DoubleWellSurface,
    GaussianSumSurface,
    SurfaceCalculator,
    harmonic_frequencies,
    hessians,
)

SURFACES = [
    lambda: CosineSurface(2.0, 0.1, 3),
    lambda: DoubleWellSurface(5.0, 0.2, 0.15, 0.3),
    lambda: GaussianSumSurface.random(30, 7.0, width=(0.5, 0.7), random_state=1),
]


def _autograd(surface, x):
    x = x.clone().requires_grad_(True)
    e, _ = surface.energy_and_forces(x)
    (g,) = torch.autograd.grad(e.sum(), x)
    return -g


@pytest.mark.parametrize("make", SURFACES)
def test_forces_are_minus_gradient(make):
    s = make()
    x = torch.rand(50, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0)) * 7.0
    _, f = s.energy_and_forces(x)
    np.testing.assert_allclose(f.numpy(), _autograd(s, x).numpy(), atol=1e-12)


@pytest.mark.parametrize("make", SURFACES)
def test_periodic_in_the_cell(make):
    s = make()
    x = torch.rand(20, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1)) * 7.0
    e0, f0 = s.energy_and_forces(x)
    for k in range(3):
        e1, f1 = s.energy_and_forces(x + s.cell[k] - 2 * s.cell[(k + 1) % 3])
        np.testing.assert_allclose(e1.numpy(), e0.numpy(), atol=1e-12)
        np.testing.assert_allclose(f1.numpy(), f0.numpy(), atol=1e-12)


@pytest.mark.parametrize("make", SURFACES)
def test_finite_difference_hessian_matches_autograd(make):
    s = make()
    x = torch.rand(5, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(2)) * 7.0
    H = hessians(s, x)
    for k in range(len(x)):
        exact = torch.autograd.functional.hessian(
            lambda p: s.energy_and_forces(p[None])[0][0], x[k]
        )
        np.testing.assert_allclose(H[k].numpy(), exact.numpy(), atol=2e-6)


def test_cosine_frequency_is_textbook():
    # E ≈ −3A + ½ A (2π/a)² |r|² near a minimum: ν = sqrt(A (2π/a)² / m) / 2π
    a, A, m = 2.0, 0.1, 63.546
    s = CosineSurface(a, A, 2)
    H = hessians(s, torch.zeros(1, 3, dtype=torch.float64)).numpy()
    nu = harmonic_frequencies(H, m)[0]
    k = A * (2 * math.pi / a) ** 2  # eV/Å²
    expected = math.sqrt(k * 1.602176634e-19 / 1e-20 / (m * 1.66053906660e-27)) / (2 * math.pi)
    np.testing.assert_allclose(nu * 1e12, expected, rtol=1e-6)


def test_double_well_closed_form():
    s = DoubleWellSurface(5.0, 0.2, 0.15, 0.3)
    pos, e = s.minima
    e_num, f_num = s.energy_and_forces(torch.as_tensor(pos))
    np.testing.assert_allclose(e_num.numpy(), e, atol=1e-14)
    np.testing.assert_allclose(f_num.numpy(), 0.0, atol=1e-14)
    x_saddle = math.acos(-s.A / (4 * s.B)) / (2 * math.pi) * s.length
    es, fs = s.energy_and_forces(torch.tensor([[x_saddle, 0.0, 0.0]], dtype=torch.float64))
    assert float(es[0]) == pytest.approx(s.saddle_energy, abs=1e-14)
    np.testing.assert_allclose(fs.numpy(), 0.0, atol=1e-14)


def test_surface_calculator_matches_surface():
    s = GaussianSumSurface.random(30, 7.0, random_state=3)
    atoms = SurfaceCalculator.atoms_at(s, [1.0, 2.0, 3.0])
    e, f = s.energy_and_forces(torch.tensor([[1.0, 2.0, 3.0]], dtype=torch.float64))
    assert atoms.get_potential_energy() == pytest.approx(float(e[0]), abs=1e-14)
    np.testing.assert_allclose(atoms.get_forces(), f.numpy(), atol=1e-14)
    two = atoms + atoms
    two.calc = SurfaceCalculator(s)
    with pytest.raises(InputError, match="exactly one atom"):
        two.get_potential_energy()


def test_bad_parameters():
    with pytest.raises(InputError):
        CosineSurface(a=-1.0)
    with pytest.raises(InputError, match="B > A/4"):
        DoubleWellSurface(5.0, 0.2, 0.01)
