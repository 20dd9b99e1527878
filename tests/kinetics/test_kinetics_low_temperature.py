"""The exact solver at every temperature: analytic models whose rates span hundreds of decades.

A plain sparse solve of the corrector equation gives a D 70 orders of magnitude too large at 300 K
on a lattice with barriers of 0.05-2.8 eV, an Eₐ of −0.27 eV at 100-120 K on a demo network, and a
SuperLU traceback at 1-2 K. These tests hold the solver to closed-form answers from 50 K to 3000 K
(relative 1e-9, far inside the 1 % required), and check that a D outside double precision is
refused in one line.
"""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pytest
from scipy.special import logsumexp

from landscape.cli import main
from landscape.errors import ConvergenceError
from landscape.kinetics import (
    arrhenius,
    exact_diffusion,
    kmc,
    percolation_barrier,
)
from landscape.kinetics.synthetic import random_network
from landscape.units import ANGSTROM2_PER_S_TO_CM2_PER_S, K_B
from tests.helpers.networks import NU, chain, lattice_arrays

TEMPS = np.array([50.0, 100.0, 150.0, 200.0, 300.0, 500.0, 700.0, 1000.0, 3000.0])


def _trap_lattice(depth: float, n: int = 4, a: float = 2.0, seed: int = 0):
    rng = np.random.default_rng(seed)
    energies = -rng.uniform(0.0, depth, size=n**3)  # eV, every E_i <= 0
    energies[0] = -depth  # the deepest trap is as deep as asked
    net = lattice_arrays(n, np.zeros(3 * n**3), a=a, energies=energies)  # every saddle at 0 eV
    return net, energies


@pytest.mark.parametrize("depth", [0.5, 1.5])
def test_random_trap_model_D_is_a2_nu_over_mean_boltzmann_factor(depth):
    # random-trap model: D = a² ν / <exp(−E_i / kT)> over sites, exactly (no correlation effects)
    a = 2.0
    net, energies = _trap_lattice(depth, a=a)
    res = exact_diffusion(net, TEMPS)
    for t, T in enumerate(TEMPS):
        log_mean = logsumexp(-energies / (K_B * T)) - np.log(len(energies))
        expected = a**2 * NU * np.exp(-log_mean) * ANGSTROM2_PER_S_TO_CM2_PER_S
        np.testing.assert_allclose(
            res.D_tensor[t], expected * np.eye(3), rtol=1e-9, atol=1e-12 * expected
        )
        assert res.D[t] == pytest.approx(expected, rel=1e-9)
        # the occupation is Boltzmann, to full relative accuracy even 1e150 below the deepest trap
        log_boltz = -energies / (K_B * T) - logsumexp(-energies / (K_B * T))
        tiny = res.occupation[t] > 0
        np.testing.assert_allclose(np.log(res.occupation[t][tiny]), log_boltz[tiny], atol=1e-9)


@pytest.mark.parametrize("seed", [1, 2])
def test_random_barrier_ring_D_is_a2_over_mean_inverse_rate(seed):
    # 1-D ring, equal site energies, barriers 0.05-2.8 eV: D_xx = a² / <1/k_i> exactly
    rng = np.random.default_rng(seed)
    N, L = 24, 36.0
    barriers = rng.uniform(0.05, 2.8, size=N)
    barriers[:2] = 0.05, 2.8
    res = exact_diffusion(chain(np.zeros(N), barriers, length=L), TEMPS)
    a = L / N
    for t, T in enumerate(TEMPS):
        log_mean_inv = logsumexp(barriers / (K_B * T)) - np.log(N) - np.log(NU)  # ln <1/k> (s)
        expected = a**2 * np.exp(-log_mean_inv) * ANGSTROM2_PER_S_TO_CM2_PER_S
        assert res.D_tensor[t, 0, 0] == pytest.approx(expected, rel=1e-9), T
        assert res.D[t] == pytest.approx(expected / 3, rel=1e-9)
        np.testing.assert_allclose(res.D_tensor[t, 1:, :], 0.0, atol=1e-12 * expected)


def test_low_temperature_activation_energy_approaches_the_percolation_barrier():
    # At T -> 0, D ~ exp(−E*/kT) with E* the percolation barrier (the lowest saddle energy at which
    # the open hops wrap the cell, above the lowest site): the Arrhenius slope must approach it.
    G = random_network(150, random_state=4, energy_spread=0.15, barrier_noise=0.1)
    e_star = percolation_barrier(G).any
    temps = np.array([50.0, 60.0])
    fit = arrhenius(temps, exact_diffusion(G, temps).D)
    assert fit.Ea == pytest.approx(e_star, abs=0.02)
    fit_hot = arrhenius(np.array([100.0, 120.0]), exact_diffusion(G, [100.0, 120.0]).D)
    assert fit_hot.Ea == pytest.approx(e_star, abs=0.05) and fit_hot.Ea > 0


@pytest.mark.parametrize("T", [250.0, 300.0, 400.0])
def test_superbasin_kmc_agrees_with_the_exact_solver_at_low_temperature(T):
    # a trap-rich network: barriers of 0.1-0.8 eV in a spread of site energies
    G = random_network(120, random_state=7, energy_spread=0.2, barrier_noise=0.15)
    exact = exact_diffusion(G, T).D[0]
    res = kmc(G, T, walkers=400, steps=2000, superbasins=True, random_state=1)
    lo, hi = res.D_ci[0]
    assert lo <= exact <= hi or res.D[0] == pytest.approx(exact, rel=0.1), (exact, res.D[0], lo, hi)


def test_d_below_double_precision_is_refused_in_one_line(tmp_path, capsys):
    G = random_network(60, random_state=3)
    with pytest.raises(ConvergenceError, match=r"exact D at 1 K is .* below"):
        exact_diffusion(G, [1.0, 2.0])
    path = tmp_path / "net.json"
    path.write_text(json.dumps(nx.node_link_data(G, edges="edges")))
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(SystemExit) as exc:
        main(["kinetics", str(path), "--method", "exact", "-T", "1", "2"])
    err = capsys.readouterr().err.strip().splitlines()
    assert exc.value.code == 2
    assert len(err) == 1 and "1 K" in err[0] and "Traceback" not in err[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == before


@pytest.mark.parametrize("T", [300.0, 600.0, 1200.0])
def test_kron_reduction_and_lu_solve_agree_where_both_apply(T, monkeypatch):
    # where conductances span little, the solver takes the (fast) LU solve; the Kron reduction
    # must give the same tensor there
    import landscape.kinetics.exact as exact_module

    G = random_network(200, random_state=5)
    fast = exact_diffusion(G, T)
    monkeypatch.setattr(exact_module, "_LU_MAX_SPREAD", 0.5)  # always the Kron reduction
    kron = exact_diffusion(G, T)
    np.testing.assert_allclose(kron.D_tensor, fast.D_tensor, rtol=1e-8, atol=1e-10 * fast.D[0])
    np.testing.assert_allclose(kron.occupation, fast.occupation, rtol=1e-10)
