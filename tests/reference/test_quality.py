"""Close-pair consistency of energies and forces (landscape.reference.quality)."""

from __future__ import annotations

import numpy as np
import pytest

from landscape.errors import InputError
from landscape.reference.dataset import load_dataset
from landscape.reference.quality import _close_pairs, pair_consistency
from tests.helpers.morse import random_host, write_morse_db


@pytest.fixture(scope="module")
def smooth(tmp_path_factory):
    path = tmp_path_factory.mktemp("quality") / "morse.db"
    return load_dataset(write_morse_db(path, [random_host(1)], [400], forces=True))


def test_a_smooth_surface_is_consistent_and_a_jump_is_caught(smooth) -> None:
    c = pair_consistency(smooth, max_distance=0.5)["random-1"]
    assert c["pairs"] >= 20
    # the trapezoid rule errs by O(d^3) only: well below the energy differences themselves
    assert c["relative_residual"] < 0.2, c
    assert c["relative_residual"] == pytest.approx(c["rms_residual_eV"] / c["rms_difference_eV"])
    # shift a quarter of the points by 0.5 eV (a host "rearrangement" the forces know nothing of)
    jumped = smooth.subset(np.arange(len(smooth)))
    jumped.e_insert = smooth.e_insert.copy()
    jumped.e_insert[::4] += 0.5
    j = pair_consistency(jumped, max_distance=0.5)["random-1"]
    assert j["pairs"] == c["pairs"]
    # pairs with exactly one shifted point (2 * 1/4 * 3/4 = 3/8 of them) now miss by about 0.5 eV
    assert j["jump_fraction"] > c["jump_fraction"] + 0.15, (j, c)
    assert j["rms_residual_eV"] > 1.5 * c["rms_residual_eV"]


def test_pairs_are_counted_per_sample_through_the_periodic_boundary(smooth) -> None:
    one = smooth.subset(np.array([0, 1]))
    cell = one.hosts["random-1"].cell.array
    one.positions = np.array([[0.05, 4.0, 4.0], [cell[0, 0] - 0.05, 4.0, 4.0]])  # 0.1 Å apart
    one.forces = np.zeros((2, 3))
    one.e_insert = np.array([0.0, 0.3])
    c = pair_consistency(one, max_distance=0.2)
    assert c["random-1"]["pairs"] == 1 and c["random-1"]["jump_fraction"] == 1.0
    assert c["all"]["rms_residual_eV"] == pytest.approx(0.3)
    far = pair_consistency(one, max_distance=0.05)["random-1"]
    assert far["pairs"] == 0 and far["rms_residual_eV"] is None


@pytest.mark.parametrize(
    "cell",
    [
        [[6.0, 0, 0], [0, 7.0, 0], [0, 0, 8.0]],
        [[6.0, 0, 0], [2.5, 6.0, 0], [1.0, -1.5, 7.0]],  # triclinic
    ],
)
def test_close_pairs_are_the_minimum_image_pairs_of_ase(cell) -> None:
    from ase import Atoms
    from ase.geometry import get_distances

    host = Atoms("O", positions=[[0, 0, 0]], cell=cell, pbc=True)
    rng = np.random.default_rng(3)
    # points crowded near faces, edges and corners, some outside the cell (unwrapped)
    frac = np.concatenate([rng.random((300, 3)), rng.choice([0.01, 0.99, 1.02, -0.03], (60, 3))])
    pos = frac @ host.cell.array + rng.normal(0, 0.05, (360, 3))
    for r in (0.3, 1.0, 2.5, 3.2):  # the last beyond half the triclinic cell's smallest height
        vec, dist = get_distances(pos, pos, cell=host.cell, pbc=host.pbc)
        a, b = np.triu_indices(len(pos), 1)
        close = dist[a, b] < r
        got_a, got_b, got_vec = _close_pairs(host, pos, r)
        order = np.lexsort((got_b, got_a))
        assert close.sum() > 20
        np.testing.assert_array_equal(got_a[order], a[close])
        np.testing.assert_array_equal(got_b[order], b[close])
        np.testing.assert_allclose(got_vec[order], vec[a[close], b[close]], atol=1e-9)
    slab = Atoms("O", positions=[[0, 0, 0]], cell=cell, pbc=[True, False, True])
    with pytest.raises(InputError, match="periodic in 3D"):
        _close_pairs(slab, pos, 0.3)


def test_bad_input(smooth, tmp_path) -> None:
    no_forces = load_dataset(write_morse_db(tmp_path / "n.db", [random_host(1)], [5]))
    with pytest.raises(InputError, match="no forces"):
        pair_consistency(no_forces)
    with pytest.raises(InputError, match="max_distance"):
        pair_consistency(smooth, max_distance=0.0)
    with pytest.raises(InputError, match="threshold"):
        pair_consistency(smooth, threshold=-1.0)


def test_cli_reports_consistency(smooth, tmp_path) -> None:
    from typer.testing import CliRunner

    from landscape.cli import app

    db = write_morse_db(tmp_path / "m.db", [random_host(1)], [400], forces=True)
    res = CliRunner().invoke(app, ["reference", "info", str(db), "--consistency", "0.5"])
    assert res.exit_code == 0, res.output
    assert "consistency random-1:" in res.output and "pairs closer than 0.5 Å" in res.output
