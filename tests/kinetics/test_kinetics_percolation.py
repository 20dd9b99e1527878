"""Percolation barrier: lattices with known thresholds and a wrapping only along x."""

from __future__ import annotations

import numpy as np
import pytest

from landscape.kinetics import percolation_barrier
from landscape.kinetics.synthetic import cubic_lattice_network
from tests.helpers.networks import chain, lattice_arrays, x_only

#: Bond-percolation threshold of the simple-cubic lattice (Lorenz & Ziff 1998: 0.2488126).
P_C_SC = 0.2488126


def test_uniform_cubic_lattice_percolates_at_its_barrier():
    res = percolation_barrier(cubic_lattice_network(3, barrier=0.45))
    for e in (res.any, res.x, res.y, res.z):
        assert e == pytest.approx(0.45, abs=1e-12)
    assert [d for _, d in res.dimensionality] == [1, 2, 3]


def test_x_only_network_wraps_only_along_x():
    res = percolation_barrier(x_only(5, ex=0.4, ey=0.3))
    assert res.any == pytest.approx(0.4, abs=1e-12) and res.x == pytest.approx(0.4, abs=1e-12)
    assert res.y is None and res.z is None
    assert res.dimensionality == [(pytest.approx(0.4, abs=1e-12), 1)]
    assert res.as_dict() == {"any": res.any, "x": res.x, "y": None, "z": None}


def test_chain_barrier_is_highest_saddle_minus_lowest_site():
    E, S = [0.0, -0.1, 0.05], [0.3, 0.5, 0.35]
    res = percolation_barrier(chain(E, S))
    assert res.any == pytest.approx(0.5 - (-0.1), abs=1e-12)
    assert res.x == res.any and res.y is None and res.z is None


@pytest.mark.slow
def test_random_uniform_barriers_percolate_near_bond_threshold():
    # saddles uniform in [0, 1) on a periodic 20³ simple-cubic lattice: the open fraction at the
    # first wrapping is the bond-percolation threshold up to finite-size shifts and fluctuations
    # (width ~ L^(-1/nu) ~ 0.03 times a prefactor below 1; measured spread here ~0.01).
    n, seeds = 20, range(8)
    fractions = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        res = percolation_barrier(lattice_arrays(n, rng.uniform(size=3 * n**3)))
        assert res.fraction_any == pytest.approx(res.any, abs=0.02)  # uniform saddles: E* ≈ p
        assert abs(res.fraction_any - P_C_SC) < 0.04
        assert res.any <= min(res.x, res.y, res.z)
        fractions.append(res.fraction_any)
    assert np.mean(fractions) == pytest.approx(P_C_SC, abs=0.01)
