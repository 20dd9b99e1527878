"""KMC against the exact answers: every estimate within its own 99 % interval of the exact value."""

from __future__ import annotations

import numpy as np
import pytest

from landscape.errors import InputError
from landscape.kinetics import exact_diffusion, kmc
from landscape.kinetics.synthetic import cubic_lattice_network, random_network
from tests.helpers.networks import chain, chain_D_xx, x_only

CONF = 0.99


def _inside(res, exact):
    lo, hi = res.D_ci[:, 0], res.D_ci[:, 1]
    assert np.all((lo <= exact) & (exact <= hi)), (res.D, res.D_ci, exact)


def test_simple_cubic_kmc_within_ci():
    G = cubic_lattice_network(3, a=2.0, barrier=0.5)
    T = [500.0, 800.0]
    exact = exact_diffusion(G, T).D
    res = kmc(G, T, walkers=3000, steps=400, random_state=1, confidence=CONF)
    _inside(res, exact)
    np.testing.assert_allclose(res.D, exact, rtol=0.08)  # ~ 4 standard errors
    assert np.all(res.D_stderr / exact < 0.03)
    # endpoint estimator too (no offset on a lattice)
    res = kmc(G, T, walkers=3000, steps=400, random_state=2, confidence=CONF, fit_from=None)
    _inside(res, exact)


def test_two_site_chain_kmc_within_ci():
    G = chain([0.0, 0.05], [0.3, 0.45], length=6.0, positions=[0.0, 2.0])
    T = 600.0
    exact = chain_D_xx([0.0, 0.05], [0.3, 0.45], T, length=6.0)
    res = kmc(G, T, walkers=3000, steps=2000, random_state=3, confidence=CONF)
    _inside(res, exact / 3)
    assert res.D_tensor[0, 0, 0] == pytest.approx(exact, rel=0.1)
    assert abs(res.D_tensor[0, 1, 1]) < 1e-12 * exact and abs(res.D_tensor[0, 2, 2]) < 1e-12 * exact


def test_x_only_kmc_is_anisotropic():
    G = x_only(4, ex=0.4, ey=0.3)
    ex = exact_diffusion(G, 700.0)
    res = kmc(G, 700.0, walkers=2000, steps=1000, random_state=4, confidence=CONF)
    _inside(res, ex.D)
    # y hops happen but never carry the walker across the cell: the y variance stays bounded
    assert res.D_tensor[0, 1, 1] < 0.05 * res.D_tensor[0, 0, 0]


@pytest.mark.slow
def test_amorphous_network_kmc_within_ci():
    G = random_network(150, random_state=4)
    T = [600.0, 800.0]
    exact = exact_diffusion(G, T).D
    res = kmc(G, T, walkers=3000, steps=20_000, random_state=5, confidence=CONF)
    _inside(res, exact)


def test_reproducible_with_seed_and_counts_hops():
    G = cubic_lattice_network(2)
    a = kmc(G, 600.0, walkers=500, steps=100, random_state=7)
    b = kmc(G, 600.0, walkers=500, steps=100, random_state=7)
    np.testing.assert_array_equal(a.displacements[0], b.displacements[0])
    assert a.D[0] == b.D[0]
    # Poisson number of hops with mean walkers * steps
    assert a.hops[0] == pytest.approx(500 * 100, rel=5 * (500 * 100) ** -0.5)
    # displacements are sums of lattice vectors of length a = 2 Å
    assert np.allclose(a.displacements[0] / 2.0, np.round(a.displacements[0] / 2.0))


def test_duration_and_bad_parameters():
    G = cubic_lattice_network(2)
    res = kmc(G, 600.0, walkers=100, duration=1e-9, random_state=0)
    assert res.duration[0] == 1e-9
    with pytest.raises(InputError, match="walkers"):
        kmc(G, 600.0, walkers=1)
    with pytest.raises(InputError, match="not both"):
        kmc(G, 600.0, steps=10, duration=1e-9)
    with pytest.raises(InputError, match="> 0 K"):
        kmc(G, -5.0)
