"""Superbasin (mean-rate) KMC against exact answers: trap lattices, a ring that would wrap, the
subtraction-free absorbing-chain solve, and the parameters."""

from __future__ import annotations

import numpy as np
import pytest

from landscape.errors import InputError
from landscape.kinetics import exact_diffusion, hop_arrays, kinetics_summary, kmc, superbasins
from landscape.kinetics.superbasin import _absorb
from landscape.kinetics.synthetic import cubic_lattice_network, empty_network, random_network
from landscape.units import ANGSTROM2_PER_S_TO_CM2_PER_S, K_B
from tests.helpers.networks import NU, trap_D, trap_lattice, x_ring

CONF = 0.99


def _inside(res, exact):
    lo, hi = res.D_ci[:, 0], res.D_ci[:, 1]
    assert np.all((lo <= exact) & (exact <= hi)), (res.D, res.D_ci, exact)


def test_trap_lattice_basins_rates_and_kmc_within_ci():
    T = 600.0
    kT = K_B * T
    G = trap_lattice(3, a=2.0)
    exact = exact_diffusion(G, T).D[0]
    assert exact == pytest.approx(trap_D(T), rel=1e-10)
    sb = superbasins(G, T)
    # every cell's A–B pair is one basin, nothing bigger
    assert sb.n_basins == 27 and sb.n_basin_sites == 54
    assert all(len(s) == 2 and s[0] // 2 == s[1] // 2 for s in sb.sites)
    pi_a = 1.0 / (1.0 + np.exp(0.2 / kT)) / 27
    k = NU * np.exp(-0.5 / kT)
    # moves are the A–A hops out of the pairs: 6 k from A, at occupation π_A
    assert sb.move_rate == pytest.approx(27 * pi_a * 6 * k, rel=1e-10)
    k_ab, k_ba = NU * np.exp(-0.05 / kT), NU * np.exp(-0.25 / kT)
    pi_b = 1.0 / 27 - pi_a
    assert sb.hop_rate == pytest.approx(27 * (pi_a * (6 * k + k_ab) + pi_b * k_ba), rel=1e-10)
    # from A the pair is left after a mean time (1 + e^{β·0.2}) / 6k (Boltzmann weight of B)
    out_rate = np.add.reduceat(sb.rate, sb.indptr[:-1])  # (54,) Hz, no site without moves
    np.testing.assert_allclose(1.0 / out_rate[0::2], (1 + np.exp(0.2 / kT)) / (6 * k), rtol=1e-9)
    # from B one more hop, back to A, first
    np.testing.assert_allclose(1.0 / out_rate[1::2], (1 + np.exp(0.2 / kT)) / (6 * k) + 1 / k_ba)
    res = kmc(G, T, walkers=3000, steps=400, random_state=11, confidence=CONF, superbasins=True)
    _inside(res, exact)
    np.testing.assert_allclose(res.D, exact, rtol=0.1)
    assert res.basins[0] == 27 and res.basin_sites[0] == 54
    # each move stands for hop_rate / move_rate elementary hops (~2000 here)
    assert res.elementary_hops[0] / res.hops[0] == pytest.approx(
        sb.hop_rate / sb.move_rate, rel=0.03
    )
    assert sb.hop_rate / sb.move_rate > 1000


def test_random_traps_kmc_within_ci_of_exact():
    # an amorphous-like network whose every third site carries a deep satellite (tiny barrier)
    G = random_network(40, random_state=3)
    rng = np.random.default_rng(0)
    n0 = G.number_of_nodes()
    for i in range(0, n0, 3):
        j = n0 + i
        p = np.asarray(G.nodes[i]["position"]) + rng.normal(0.0, 0.3, 3)
        e = G.nodes[i]["energy"] - rng.uniform(0.1, 0.3)
        G.add_node(j, position=p.tolist(), energy=float(e))
        saddle = G.nodes[i]["energy"] + rng.uniform(0.0, 0.05)
        G.add_edge(i, j, barrier=saddle - G.nodes[i]["energy"], shift=[0, 0, 0])
        G.add_edge(j, i, barrier=saddle - e, shift=[0, 0, 0])
    T = [600.0, 800.0]
    exact = exact_diffusion(G, T).D
    res = kmc(G, T, walkers=2000, steps=3000, random_state=12, confidence=CONF, superbasins=True)
    _inside(res, exact)
    assert np.all(res.basins > 0)
    assert np.all(res.elementary_hops > 5 * res.hops)


def test_basin_that_would_wrap_is_refused():
    # the fast hops 0–1, 1–2, 2–0 close a ring around the cell along x
    a = 2.0
    G = x_ring(a, fast=0.1, slow=0.6)
    T = 600.0
    net = hop_arrays(G)
    ex = exact_diffusion(G, T)
    k_fast, k_slow = NU * np.exp(-0.1 / (K_B * T)), NU * np.exp(-0.6 / (K_B * T))
    np.testing.assert_allclose(
        np.diag(ex.D_tensor[0]),
        np.array([k_fast, k_slow, k_slow]) * a**2 * ANGSTROM2_PER_S_TO_CM2_PER_S,
        rtol=1e-10,
    )
    # at the default ratio the ring is no basin (each link carries half the flux out of it) ...
    assert superbasins(G, T).n_basins == 0
    # ... and merging everything possible still leaves one link out: the basin does not wrap
    sb = superbasins(G, T, fast_ratio=1e-6)
    assert sb.n_basins == 1 and sb.sites[0].tolist() == [0, 1, 2]
    u = net.positions + sb.offset @ net.cell  # unwrapped positions in the basin, Å
    assert np.ptp(u[:, 0]) == pytest.approx(2 * a)  # three sites in a row, not around the ring
    internal = (sb.basin[net.src] == 0) & np.all(
        sb.offset[net.src] + net.shift - sb.offset[net.dst] == 0, axis=1
    )
    # every hop inside the basin moves between the members' unwrapped positions; 1–2 is not one
    assert internal.sum() == 4 and not np.any(internal & (net.src + net.dst == 3))
    np.testing.assert_allclose(
        net.displacement[internal], u[net.dst[internal]] - u[net.src[internal]], atol=1e-12
    )
    # the refused link (1–2) is the way out along x: from site 0 the walker lands on 2 at +2a or
    # on 1 at −2a, i.e. a whole cell (±3a) away from where those sites lie in the basin
    moves = slice(sb.indptr[0], sb.indptr[1])
    along_x = np.abs(sb.displacement[moves, 1:]).sum(axis=1) == 0
    dst, dx = sb.dst[moves][along_x], sb.displacement[moves][along_x, 0]
    order = np.argsort(dst)
    assert dst[order].tolist() == [1, 2]
    np.testing.assert_allclose(dx[order], [-2 * a, 2 * a])
    np.testing.assert_allclose(np.abs(dx - (u[dst, 0] - u[0, 0])), 3 * a)
    res = kmc(G, T, walkers=3000, steps=300, random_state=13, confidence=CONF, superbasins=1e-6)
    _inside(res, ex.D)
    assert res.D_tensor[0, 0, 0] == pytest.approx(ex.D_tensor[0, 0, 0], rel=0.1)


def test_no_traps_is_the_plain_walk_bit_for_bit():
    G = cubic_lattice_network(3)
    plain = kmc(G, 600.0, walkers=300, steps=200, random_state=5)
    fast = kmc(G, 600.0, walkers=300, steps=200, random_state=5, superbasins=True)
    assert fast.basins[0] == 0 and fast.fast_ratio == 1.0 and plain.fast_ratio is None
    np.testing.assert_array_equal(plain.displacements[0], fast.displacements[0])
    assert plain.hops[0] == fast.hops[0] == fast.elementary_hops[0]


def test_closed_pocket_basin_never_moves():
    # a pair that does not wrap and has no way out: one basin without exits, walkers stay put
    G = empty_network(np.eye(3) * 10.0, sample_id="pocket")
    G.add_node(0, position=[1.0, 1.0, 1.0], energy=0.0)
    G.add_node(1, position=[2.0, 1.0, 1.0], energy=-0.1)
    G.add_edge(0, 1, barrier=0.2, shift=[0, 0, 0])
    G.add_edge(1, 0, barrier=0.3, shift=[0, 0, 0])
    sb = superbasins(G, 600.0)
    assert [s.tolist() for s in sb.sites] == [[0, 1]]
    assert sb.indptr.tolist() == [0, 0, 0] and sb.move_rate == 0.0 and sb.hop_rate > 0
    res = kmc(G, 600.0, walkers=50, steps=100, random_state=0, superbasins=True)
    assert res.hops[0] == 0 and res.D[0] == 0.0 and exact_diffusion(G, 600.0).D[0] == 0.0
    assert res.duration[0] == pytest.approx(100 / sb.hop_rate)  # timed by the hops it stands for


def test_absorbing_chain_keeps_accuracy_where_lu_cannot():
    # two sites joined at 1e13 Hz, one exit at 1e-7 Hz: 1 + 1e-20 is 1 in floating point
    k, r = 1e13, 1e-7
    A = np.array([[0.0, k], [k, 0.0]])
    X = _absorb(A, np.array([r, 0.0]), np.array([[1.0, 1.0], [0.0, 1.0]]))  # (N e₀, N 1)
    # exact: N = M⁻¹ with M = [[k + r, −k], [−k, k]]; τ = N·1 = (2/r, 2/r + 1/k)
    np.testing.assert_allclose(X[:, 1], [2 / r, 2 / r + 1 / k], rtol=1e-12)
    np.testing.assert_allclose(X[:, 0] * r, [1.0, 1.0], rtol=1e-12)  # leaves by the exit for sure
    M = np.array([[k + r, -k], [-k, k]])  # what a plain solve sees: k + r == k
    assert M[0, 0] == k and np.linalg.matrix_rank(M) == 1
    # a general case against a dense solve
    rng = np.random.default_rng(1)
    A = rng.uniform(0, 2, (6, 6)) * (rng.uniform(size=(6, 6)) < 0.6)
    np.fill_diagonal(A, 0.0)
    A[np.arange(5), np.arange(1, 6)] += 1.0  # connected
    A[np.arange(1, 6), np.arange(5)] += 1.0
    r = rng.uniform(0, 0.3, 6)
    B = rng.uniform(0, 1, (6, 3))
    M = np.diag(A.sum(axis=1) + r) - A
    np.testing.assert_allclose(_absorb(A, r, B), np.linalg.solve(M, B), rtol=1e-10)


def test_summary_sizes_basin_level_moves_from_the_exact_D():
    # trap lattice: the pairs only slow the clock, so the moves needed for an RMS displacement of
    # 3 cells are those of the bare lattice, (9a)² / (6 D) · 6 π_A k = 81, however deep the traps
    G = trap_lattice(3, a=2.0)
    T = [500.0, 800.0]
    on = kinetics_summary(G, temperatures=T, walkers=200, steps=10, kmc_hop_budget=1e6)
    assert on["kmc_steps"] == pytest.approx([81.0, 81.0], rel=1e-9)
    assert on["kmc_diffusive"] == [True, True] and on["Ea_eV"]["kmc"] is not None
    sb = on["kmc_superbasins"]
    assert sb["fast_ratio"] == 1.0 and sb["basins"] == [27, 27] and sb["basin_sites"] == [54, 54]
    ratio = np.array([superbasins(G, t).hop_rate / superbasins(G, t).move_rate for t in T])
    # hops per move: π_A (6k + 2 k_AB) / (π_A 6k) = 1 + e^{β·0.45} / 3 (11430 and 229)
    assert ratio == pytest.approx(1 + np.exp(0.45 / (K_B * np.array(T))) / 3, rel=1e-10)
    assert sb["hops_per_move"] == pytest.approx(ratio, rel=0.05)
    off = kinetics_summary(
        G, temperatures=T, walkers=200, steps=10, kmc_hop_budget=1e6, kmc_superbasins=False
    )
    assert off["kmc_superbasins"] is None
    assert off["kmc_steps"] == pytest.approx(np.minimum(81.0 * ratio, 1e6 / 200))
    assert off["kmc_diffusive"] == [False, False]  # 81 · >= 229 hops per walker > 5000


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda G: kmc(G, 600.0, superbasins=-1.0), "superbasins"),
        (lambda G: kmc(G, 600.0, superbasins="yes"), "superbasins"),
        (lambda G: kmc(G, 600.0, superbasins=True, max_basin_sites=1), "max_basin_sites"),
        (lambda G: superbasins(G, 600.0, fast_ratio=0.0), "fast_ratio"),
        (lambda G: superbasins(G, 600.0, fast_ratio=float("nan")), "fast_ratio"),
        (lambda G: superbasins(G, 600.0, max_sites=2.5), "max_sites"),
        (lambda G: superbasins(G, -1.0), "> 0 K"),
        (lambda G: kinetics_summary(G, kmc_superbasins=-2), "superbasins"),
    ],
)
def test_bad_parameters_are_one_line_input_errors(call, match):
    with pytest.raises(InputError, match=match) as info:
        call(cubic_lattice_network(2))
    assert "\n" not in str(info.value)
