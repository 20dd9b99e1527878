"""Several samples as a distribution (landscape.kinetics.distribution): worked numbers."""

from __future__ import annotations

import math

import pytest

from landscape.kinetics import describe_distribution, distribution, sample_distribution


def test_distribution_of_three_values_leaves_out_missing_ones():
    d = distribution([1.0, None, 2.0, float("nan"), 3.0])
    assert d["n"] == 3 and d["mean"] == pytest.approx(2.0)
    assert d["std"] == pytest.approx(1.0)  # ddof = 1: sqrt((1 + 0 + 1) / 2)
    assert d["stderr"] == pytest.approx(1.0 / math.sqrt(3.0))
    assert (d["min"], d["max"]) == (1.0, 3.0)


def test_one_value_has_no_spread_and_none_no_distribution():
    one = distribution([0.7])
    assert (one["n"], one["mean"], one["std"], one["stderr"]) == (1, 0.7, None, None)
    assert distribution([None, float("nan")]) is None
    assert distribution([]) is None


def test_sample_distribution_and_its_line():
    rows = [{"Ea": 0.75, "p": 0.8}, {"Ea": 0.30, "p": None}, {"Ea": 0.60, "p": 0.7}]
    dist = sample_distribution(rows, {"Ea_eV": "Ea", "perc_eV": "p"})
    assert dist["n_samples"] == 3
    assert dist["Ea_eV"]["mean"] == pytest.approx(0.55)
    assert dist["Ea_eV"]["std"] == pytest.approx(math.sqrt((0.04 + 0.0625 + 0.0025) / 2))
    assert dist["perc_eV"]["n"] == 2 and dist["perc_eV"]["mean"] == pytest.approx(0.75)
    line = describe_distribution(dist, {"Ea_eV": "Eₐ exact", "perc_eV": "percolation barrier"})
    assert line == (
        "over 3 samples (mean ± standard deviation, range): Eₐ exact 0.550 ± 0.229 eV "
        "(0.300–0.750), percolation barrier 0.750 ± 0.071 eV (0.700–0.800, 2 samples)"
    )
    # one sample with a value: no distribution to speak of
    assert (
        describe_distribution(sample_distribution(rows[:1], {"Ea_eV": "Ea"}), {"Ea_eV": "E"}) == ""
    )
