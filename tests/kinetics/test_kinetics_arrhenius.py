"""Arrhenius fit recovers a known activation energy; effective Ea(T) of two competing paths."""

from __future__ import annotations

import numpy as np
import pytest

from landscape.errors import InputError
from landscape.kinetics import arrhenius
from landscape.units import K_B


def test_exact_data_recovers_ea_and_d0():
    T = np.array([500.0, 600.0, 700.0, 800.0])
    fit = arrhenius(T, 2.5e-3 * np.exp(-0.63 / (K_B * T)))
    assert fit.Ea == pytest.approx(0.63, rel=1e-10)
    assert fit.D0 == pytest.approx(2.5e-3, rel=1e-9)
    assert fit.Ea_stderr < 1e-10 and fit.r_squared == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(fit.Ea_effective, 0.63, rtol=1e-9)
    np.testing.assert_allclose(
        fit.predict(650.0), 2.5e-3 * np.exp(-0.63 / (K_B * 650.0)), rtol=1e-9
    )


def test_noisy_data_recovers_ea_within_its_stderr():
    rng = np.random.default_rng(0)
    T = np.linspace(450.0, 900.0, 12)
    hits = 0
    for _ in range(50):
        D = 1e-3 * np.exp(-0.5 / (K_B * T)) * np.exp(rng.normal(0.0, 0.05, size=T.size))
        fit = arrhenius(T, D)
        hits += abs(fit.Ea - 0.5) < 2 * fit.Ea_stderr
    assert hits >= 42  # ~95 % coverage of a 2-sigma interval, with slack for 50 draws
    # weighted fit with known errors: stderr from sigma alone
    D = 1e-3 * np.exp(-0.5 / (K_B * T))
    fit = arrhenius(T, D, D_stderr=0.05 * D)
    x = 1 / (K_B * T)
    expected_se = 0.05 / np.sqrt(((x - x.mean()) ** 2).sum())
    assert fit.Ea == pytest.approx(0.5, rel=1e-9)
    assert fit.Ea_stderr == pytest.approx(expected_se, rel=1e-6)


def test_effective_ea_of_two_paths():
    T = np.linspace(400.0, 1000.0, 61)
    beta = 1 / (K_B * T)
    a1, e1, a2, e2 = 1e-4, 0.4, 1e-1, 0.9
    D = a1 * np.exp(-e1 * beta) + a2 * np.exp(-e2 * beta)
    exact = (e1 * a1 * np.exp(-e1 * beta) + e2 * a2 * np.exp(-e2 * beta)) / D
    fit = arrhenius(T, D)
    np.testing.assert_allclose(fit.Ea_effective[1:-1], exact[1:-1], rtol=2e-3)
    assert e1 < fit.Ea < e2


@pytest.mark.parametrize(
    ("T", "D", "match"),
    [
        ([500.0], [1e-8], "one D per|two distinct"),
        ([500.0, 600.0], [1e-8], "one D per"),
        ([500.0, 600.0], [1e-8, 0.0], "> 0"),
        ([500.0, -600.0], [1e-8, 1e-7], "> 0 K"),
        ([500.0, 600.0], [1e-8, float("nan")], "finite"),
    ],
)
def test_bad_input(T, D, match):
    with pytest.raises(InputError, match=match):
        arrhenius(T, D)
