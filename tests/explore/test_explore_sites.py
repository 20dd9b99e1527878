"""find_sites on surfaces with exact answers: every minimum, its energy and frequencies; bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from ase import Atoms

from landscape.errors import InputError
from landscape.explore import CosineSurface, DoubleWellSurface, GaussianSumSurface, find_sites
from landscape.units import EV_A2_AMU_TO_THZ


def _periodic_distance(x, y, L):
    d = np.asarray(x) - np.asarray(y)
    d -= L * np.round(d / L)
    return np.linalg.norm(d, axis=-1)


@pytest.mark.parametrize("a,n", [(2.0, 3), (2.5, 2)])
def test_cosine_all_minima(a, n):
    A = 0.1
    s = CosineSurface(a, A, n)
    sites = find_sites(s, progress=False)
    assert len(sites) == n**3
    lattice = a * np.array(np.meshgrid(*[np.arange(n)] * 3, indexing="ij")).reshape(3, -1).T
    L = n * a
    # every lattice point is found once, every site is a lattice point
    d = _periodic_distance(sites.positions[:, None, :], lattice[None], L)  # (sites, lattice)
    np.testing.assert_allclose(d.min(axis=1), 0.0, atol=1e-6)
    assert sorted(d.argmin(axis=1)) == list(range(n**3))
    # wrapped into the cell
    assert np.all(sites.positions >= 0) and np.all(sites.positions < L)
    np.testing.assert_allclose(sites.energies, -3 * A, atol=1e-12)
    nu = math.sqrt(A * (2 * math.pi / a) ** 2 / sites.mass) * EV_A2_AMU_TO_THZ
    np.testing.assert_allclose(sites.frequencies, nu, rtol=1e-5)
    assert sites.converged.all()
    assert sites.hessians.shape == (n**3, 3, 3)


def test_double_well_both_minima():
    s = DoubleWellSurface(5.0, 0.2, 0.15, 0.3)
    sites = find_sites(s, progress=False)
    pos, e = s.minima
    assert len(sites) == 2
    order = np.argsort(sites.energies)
    np.testing.assert_allclose(_periodic_distance(sites.positions[order], pos, 5.0), 0, atol=1e-6)
    np.testing.assert_allclose(sites.energies[order], e, atol=1e-12)


def test_minimisation_reaches_fmax_on_irregular_surface():
    s = GaussianSumSurface.random(40, 7.0, width=(0.45, 0.6), random_state=4)
    sites = find_sites(s, progress=False, fmax=1e-4)
    _, f = s.energy_and_forces(torch.as_tensor(sites.positions))
    assert sites.converged.all()
    assert f.norm(dim=1).max() < 1e-4
    # minima: positive-definite Hessians, distinct beyond the merge distance
    assert np.all(np.linalg.eigvalsh(sites.hessians)[:, 0] > 0)
    d = _periodic_distance(sites.positions[:, None], sites.positions[None], 7.0)
    assert d[~np.eye(len(sites), dtype=bool)].min() >= 0.3


def test_host_points_skipped_with_periodic_distance():
    s = CosineSurface(2.0, 0.1, 3)
    host = Atoms("O2", positions=[[0.1, 5.9, 0.2], [3.0, 3.0, 3.0]], cell=[6, 6, 6], pbc=True)
    s.host = host
    sites = find_sites(s, progress=False, min_host_distance=1.0)
    g = np.arange(24) * 0.25
    grid = np.stack(np.meshgrid(g, g, g, indexing="ij"), -1).reshape(-1, 3)
    d = _periodic_distance(grid[:, None], host.positions[None], 6.0).min(axis=1)
    assert sites.info["n_skipped"] == int((d < 1.0).sum())
    assert sites.info["n_grid"] == 24**3


class _NaNSurface(CosineSurface):
    def energy_and_forces(self, positions):
        e, f = super().energy_and_forces(positions)
        bad = positions[:, 0] < 0.3
        return torch.where(bad, torch.nan, e), f


def test_nan_surface_is_a_clear_error():
    s = _NaNSurface(2.0, 0.1, 2)  # grid 16³, x < 0.3 Å on 2 of 16 planes
    with pytest.raises(InputError, match=r"NaN or inf at 512 of 4096 grid points"):
        find_sites(s, progress=False)


def test_bad_parameters():
    with pytest.raises(InputError):
        find_sites(CosineSurface(), grid_spacing=0.0, progress=False)
    with pytest.raises(InputError, match="cell"):
        find_sites(object(), progress=False)
