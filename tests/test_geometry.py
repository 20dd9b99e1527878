"""landscape.geometry.nearest_distances against ASE's minimum-image distances (exact answers)."""

import numpy as np
import pytest
from ase.geometry import get_distances

from landscape.geometry import nearest_distances

CELLS = {
    "orthorhombic": np.diag([10.0, 11.0, 12.0]),
    "triclinic": np.array([[8.0, 0.0, 0.0], [5.5, 7.0, 0.0], [3.0, 2.5, 6.0]]),
    # heights of 1 Å and less: most nearest distances lie beyond the 27 images' reach, so the
    # exact every-pair path answers them
    "skewed": np.array([[3.0, 0.0, 0.0], [2.9, 1.0, 0.0], [0.0, 0.0, 3.0]]),
}


@pytest.mark.parametrize("name", sorted(CELLS))
def test_nearest_distances_match_ase(name):
    cell = CELLS[name]
    rng = np.random.default_rng(7)
    others = rng.uniform(-5.0, 15.0, (2 if name == "skewed" else 40, 3))
    points = rng.uniform(-20.0, 20.0, (200, 3))  # outside the cell too: wrapped first
    ref = get_distances(points, others, cell=cell, pbc=True)[1].min(1)
    got = nearest_distances(points, others, cell)
    assert got.shape == (200,)
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-10)
    heights = abs(np.linalg.det(cell)) / np.linalg.norm(
        np.cross(cell[[1, 2, 0]], cell[[2, 0, 1]]), axis=1
    )
    if name == "skewed":
        assert (ref >= heights.min()).sum() > 20  # the fallback path was taken


def test_nearest_distances_empty():
    cell = np.eye(3) * 5.0
    assert nearest_distances(np.zeros((0, 3)), np.ones((3, 3)), cell).shape == (0,)
    assert np.isinf(nearest_distances(np.zeros((2, 3)), np.zeros((0, 3)), cell)).all()
