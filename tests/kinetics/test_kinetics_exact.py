"""Exact diffusion tensor against closed-form answers (explicit relative tolerances)."""

from __future__ import annotations

import numpy as np
import pytest

from landscape.kinetics import exact_diffusion, hop_arrays, stationary_occupation
from landscape.kinetics.synthetic import cubic_lattice_network, empty_network, random_network
from landscape.units import ANGSTROM2_PER_S_TO_CM2_PER_S, K_B
from tests.helpers.networks import NU, bloch_D, chain, chain_D_xx, lattice_arrays, x_only

TEMPS = np.array([500.0, 600.0, 700.0, 800.0])


@pytest.mark.parametrize("n", [1, 2, 4])
def test_simple_cubic_D_equals_nu_a2_exp(n):
    a, E = 2.0, 0.5
    res = exact_diffusion(cubic_lattice_network(n, a=a, barrier=E), TEMPS)
    k = NU * np.exp(-E / (K_B * TEMPS))
    expected = k * a**2 * ANGSTROM2_PER_S_TO_CM2_PER_S
    np.testing.assert_allclose(res.D, expected, rtol=1e-10)
    for t in range(len(TEMPS)):  # isotropic tensor (off-diagonal: rounding of sums of ± terms)
        np.testing.assert_allclose(
            res.D_tensor[t], expected[t] * np.eye(3), rtol=1e-10, atol=1e-14 * expected[t]
        )
    assert len(res.components) == 1 and res.components[0].dimensionality == 3
    np.testing.assert_allclose(res.drift, 0.0, atol=1e-20)


def test_scalar_temperature_gives_one_row():
    res = exact_diffusion(cubic_lattice_network(2), 650.0)
    assert res.D.shape == (1,) and res.D_tensor.shape == (1, 3, 3)


def test_x_only_network_is_anisotropic():
    ex, a = 0.4, 2.0
    res = exact_diffusion(x_only(4, a, ex=ex, ey=0.3), TEMPS)
    kx = NU * np.exp(-ex / (K_B * TEMPS))
    Dxx = kx * a**2 * ANGSTROM2_PER_S_TO_CM2_PER_S
    np.testing.assert_allclose(res.D_tensor[:, 0, 0], Dxx, rtol=1e-10)
    np.testing.assert_allclose(res.D_tensor[:, 1:, :], 0.0, atol=1e-12 * Dxx.max())
    np.testing.assert_allclose(res.D, Dxx / 3, rtol=1e-10)
    assert all(c.wraps == (True, False, False) and c.dimensionality == 1 for c in res.components)


def test_two_site_basis_chain_harmonic_mean():
    L, e1, e2 = 6.0, 0.3, 0.5
    for b in (0.5 * L, 0.2 * L):  # D does not depend on where the second site sits
        G = chain([0.0, 0.0], [e1, e2], length=L, positions=[0.0, b])
        res = exact_diffusion(G, TEMPS)
        k1, k2 = NU * np.exp(-e1 / (K_B * TEMPS)), NU * np.exp(-e2 / (K_B * TEMPS))
        harmonic = 2 * k1 * k2 / (k1 + k2)
        expected = (L / 2) ** 2 * harmonic * ANGSTROM2_PER_S_TO_CM2_PER_S
        np.testing.assert_allclose(res.D_tensor[:, 0, 0], expected, rtol=1e-10)
        np.testing.assert_allclose(res.D, expected / 3, rtol=1e-10)


def test_chain_with_unequal_site_energies():
    rng = np.random.default_rng(3)
    E = rng.normal(0.0, 0.1, size=7)
    S = np.maximum(E, np.roll(E, -1)) + rng.uniform(0.2, 0.6, size=7)
    G = chain(E, S, length=9.0)
    res = exact_diffusion(G, TEMPS)
    expected = [chain_D_xx(E, S, T, length=9.0) for T in TEMPS]
    np.testing.assert_allclose(res.D_tensor[:, 0, 0], expected, rtol=1e-10)
    boltzmann = np.exp(-E[None, :] / (K_B * TEMPS[:, None]))
    np.testing.assert_allclose(
        res.occupation, boltzmann / boltzmann.sum(1, keepdims=True), rtol=1e-12
    )


def test_unequal_energies_3d_detailed_balance_and_occupation():
    rng = np.random.default_rng(11)
    n = 3
    E = rng.normal(0.0, 0.1, size=n**3)
    bond_saddle = rng.uniform(0.6, 1.0, size=3 * n**3)  # one saddle per bond, above every site
    net = lattice_arrays(n, bond_saddle, energies=E)
    assert np.all(net.barrier > 0)
    T = 600.0
    pi = stationary_occupation(net, T)
    boltz = np.exp(-E / (K_B * T))
    np.testing.assert_allclose(pi, boltz / boltz.sum(), rtol=1e-12)
    k = net.rates(T)
    flux = pi[net.src] * k
    # reverse edge of every hop: same bond, opposite direction
    key = {
        (int(i), int(j), tuple(s)): f
        for i, j, s, f in zip(net.src, net.dst, net.shift, flux, strict=True)
    }
    back = np.array(
        [
            key[(int(j), int(i), tuple(-s))]
            for i, j, s in zip(net.src, net.dst, net.shift, strict=True)
        ]
    )
    np.testing.assert_allclose(flux, back, rtol=1e-12)
    res = exact_diffusion(net, T)
    comp = res.components[0]
    for axis in range(3):
        assert res.D_tensor[0, axis, axis] == pytest.approx(
            bloch_D(net, T, comp.sites, axis), rel=1e-5
        )


@pytest.mark.parametrize("T", [500.0, 800.0])
def test_amorphous_network_matches_bloch_eigenvalue(T):
    G = random_network(150, random_state=4)
    res = exact_diffusion(G, T)
    comp = res.components[0]
    assert comp.dimensionality == 3 and comp.closed
    for axis in range(3):
        D_bloch = bloch_D(G, T, comp.sites, axis, q=(0.01, 0.005))
        assert res.component_D_tensor[0, 0, axis, axis] == pytest.approx(D_bloch, rel=2e-5)
    # the sample's D is the component's, weighted by its occupation
    w = res.component_weight[0]
    weighted = np.einsum("c,cab->ab", w, res.component_D_tensor[0])
    np.testing.assert_allclose(res.D_tensor[0], weighted, rtol=1e-12)
    assert w.sum() == pytest.approx(1.0, rel=1e-12)


def test_non_wrapping_component_contributes_zero():
    # a wrapping chain plus an isolated pair of sites that rattle inside the cell
    G = chain([0.0, 0.0], [0.3, 0.3], length=6.0)
    G.add_node(2, position=[1.0, 2.0, 2.0], energy=0.0)
    G.add_node(3, position=[2.0, 2.0, 2.0], energy=0.0)
    G.add_edge(2, 3, barrier=0.1, shift=[0, 0, 0])
    G.add_edge(3, 2, barrier=0.1, shift=[0, 0, 0])
    res = exact_diffusion(G, 600.0)
    dims = sorted(c.dimensionality for c in res.components)
    assert dims == [0, 1]
    k = NU * np.exp(-0.3 / (K_B * 600.0))
    # half the occupation sits in the pair, which contributes exactly zero
    expected = 0.5 * (3.0**2) * k * ANGSTROM2_PER_S_TO_CM2_PER_S
    assert res.D_tensor[0, 0, 0] == pytest.approx(expected, rel=1e-10)
    assert res.wrapping_fraction[0] == pytest.approx(0.5, rel=1e-12)


def test_non_reversible_ring_drift_and_diffusion():
    # a ring with forward rate kf and backward rate kb (no detailed balance): D = (kf + kb) a² / 2,
    # drift (kf − kb) a; and a 3-site ring with unequal rates whose occupation is not Boltzmann
    N, a, ef, eb, T = 5, 1.5, 0.3, 0.4, 700.0
    G = empty_network(np.diag([N * a, 10.0, 10.0]), sample_id="ring")
    for n in range(N):
        G.add_node(n, position=[n * a, 0.0, 0.0], energy=0.0)
    for n in range(N):
        s = [1 if n == N - 1 else 0, 0, 0]
        G.add_edge(n, (n + 1) % N, barrier=ef, shift=s)
        G.add_edge((n + 1) % N, n, barrier=eb, shift=[-v for v in s])
    kf, kb = NU * np.exp(-ef / (K_B * T)), NU * np.exp(-eb / (K_B * T))
    res = exact_diffusion(G, T)
    assert res.D_tensor[0, 0, 0] == pytest.approx((kf + kb) * a**2 / 2 * 1e-16, rel=1e-10)
    assert res.drift[0, 0] == pytest.approx((kf - kb) * a * 1e-8, rel=1e-10)

    G3 = empty_network(np.diag([3.0, 10.0, 10.0]), sample_id="ring3")
    for n in range(3):
        G3.add_node(n, position=[float(n), 0.0, 0.0], energy=0.0)
    barriers = [(0.2, 0.5), (0.3, 0.25), (0.45, 0.35)]
    for n, (f, b) in enumerate(barriers):
        s = [1 if n == 2 else 0, 0, 0]
        G3.add_edge(n, (n + 1) % 3, barrier=f, shift=s)
        G3.add_edge((n + 1) % 3, n, barrier=b, shift=[-v for v in s])
    pi = stationary_occupation(G3, T)
    net = hop_arrays(G3)
    k = net.rates(T)
    inflow = np.bincount(net.dst, weights=pi[net.src] * k, minlength=3)
    outflow = np.bincount(net.src, weights=pi[net.src] * k, minlength=3)
    np.testing.assert_allclose(inflow, outflow, rtol=1e-12)
    assert np.ptp(pi) > 0.05  # genuinely not uniform (Boltzmann would be)


def _ring_out_of_balance(T: float):
    """A periodic chain whose two directions of a bond have unrelated barriers (no detailed
    balance) and whose site 0 is left at once and entered rarely: rates spanning ~1e15."""
    rng = np.random.default_rng(7)
    n, length = 10, 10.0
    G = empty_network(np.diag([length, 10.0, 10.0]), sample_id="ring")
    for i in range(n):
        G.add_node(i, position=[i * length / n, 5.0, 5.0], energy=float(rng.uniform(0.0, 0.3)))
    fwd, bwd = rng.uniform(0.1, 0.6, n), rng.uniform(0.1, 0.6, n)
    fwd[0], bwd[-1] = 0.0, 0.0  # out of site 0: immediate
    fwd[-1], bwd[0] = 0.9, 0.9  # into site 0: rare
    for i in range(n):
        j, wrap = (i + 1) % n, [1 if i == n - 1 else 0, 0, 0]
        G.add_edge(i, j, barrier=float(fwd[i]), shift=wrap, prefactor=NU)
        G.add_edge(j, i, barrier=float(bwd[i]), shift=[-s for s in wrap], prefactor=NU)
    return G


def test_stationary_occupation_out_of_detailed_balance_matches_high_precision():
    # the occupation of a network without detailed balance solves pi Q = 0; computed here in
    # 60-digit arithmetic (mpmath) as the reference. Fixing pi at site 0 in double precision gave
    # entries 8x off and a negative one on a similar network (the ensemble's member networks).
    import mpmath

    T = 300.0
    G = _ring_out_of_balance(T)
    net = hop_arrays(G)
    rates = net.rates(T)
    mpmath.mp.dps = 60
    n = net.n_sites
    Q = mpmath.zeros(n, n)
    for a, b, k in zip(net.src, net.dst, rates, strict=True):
        Q[int(a), int(b)] += mpmath.mpf(float(k))
        Q[int(a), int(a)] -= mpmath.mpf(float(k))
    A = Q.T
    for c in range(n):
        A[n - 1, c] = 1  # normalisation replaces one balance equation
    ref = mpmath.lu_solve(A, mpmath.matrix([0] * (n - 1) + [1]))
    ref = np.array([float(x) for x in ref])
    assert ref.min() / ref.max() < 1e-12  # the case that needs care
    pi = stationary_occupation(G, T)
    assert pi.min() > 0
    np.testing.assert_allclose(pi, ref, rtol=1e-6)
    D = exact_diffusion(G, [300.0, 400.0, 500.0]).D
    assert np.all(D > 0)


def test_gth_matches_high_precision_on_random_generators():
    from landscape.kinetics.exact import _gth

    rng = np.random.default_rng(1)
    for n in (2, 5, 12):
        K = np.exp(-rng.uniform(0, 30, (n, n)))  # rates over 13 orders of magnitude
        np.fill_diagonal(K, 0.0)
        Q = K - np.diag(K.sum(1))
        pi = _gth(Q)
        assert pi.min() > 0 and pi.sum() == pytest.approx(1.0)
        # every balance equation holds to the precision of its own terms
        np.testing.assert_allclose(pi @ K, pi * K.sum(1), rtol=1e-10)
