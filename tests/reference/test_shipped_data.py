"""The shipped CHGNet reference data: its provenance, and that its points are the documented ones.

``scripts/make_reference.sh`` (``make reference-data``) made it; these checks tie each row to that
protocol, so a regenerated or extended file that departs from it fails here.
"""

from __future__ import annotations

import collections

import numpy as np
import pytest
from ase.db import connect

from landscape.reference import bundled_reference_db
from landscape.reference.dataset import load_dataset
from landscape.reference.points import distance_to_host, random_points
from landscape.samples import load_sample
from landscape.study import STUDY_RANDOM_FIRST_ID

#: point set -> (first id, seed, minimum distance in Å), as in scripts/make_reference.sh
POINT_SETS = {"sites": (0, 0, 1.6), "wall": (100000, 1, 1.2)}
#: the same for the further uniform points of the training sample only (steps 5 and 10)
MORE_POINT_SETS = {
    "more sites": (500000, 2, 1.6),
    "more wall": (600000, 3, 1.2),
    "extra sites": (1000000, 4, 1.6),
    "extra wall": (1100000, 5, 1.2),
}
NETWORK_FIRST_ID = 200000
#: the fourth round of targeted points (step 6), after the further uniform points
LATE_NETWORK_IDS = range(700000, 800000)
#: targeted points of the other two samples (step 7), made with step 6's potential
OTHER_NETWORK_IDS = range(800000, 900000)
#: targeted points of all three samples, made with a potential trained on all of them: step 8,
#: then step 9 with that potential retrained on step 8's points too, then step 11 on all the
#: above (step 10's uniform points included), then step 12 with 96x96 members, then step 13
#: with the demo's 48x48 members on everything before it
ALL_NETWORK_ROUNDS = (
    range(900000, 950000),
    range(950000, 1000000),
    range(1200000, 1300000),
    range(1300000, 1400000),
    range(1400000, 1500000),
)


@pytest.fixture(scope="module")
def rows():
    db = connect(str(bundled_reference_db()))
    return list(db.select(kind="point")), {r.sample_id: r for r in db.select(kind="host")}


def test_every_row_records_the_protocol(rows):
    points, hosts = rows
    assert set(hosts) == {"a-Ta2O5-1a", "a-Ta2O5-2a", "a-Ta2O5-3a"}
    assert len(points) >= 2400
    for r in points:
        assert r.sample_id in hosts
        assert r.calculator_label.startswith("CHGNet") and r.calculator_version
        assert (r.optimizer, r.target_fmax, r.max_steps, r.relax_radius) == ("BFGS", 0.05, 300, 5.0)
        assert r.status == "ok" and r.symbols == ["Cu"]
        assert r.e_insert == pytest.approx(r.energy - hosts[r.sample_id].e_host, abs=1e-9)
    # below the ids a study gives the points it adds to the bundled data (study/studyfile.py)
    assert max(r.point_id for r in points) < STUDY_RANDOM_FIRST_ID
    by = collections.Counter((r.sample_id, r.get("origin", "random")) for r in points)
    assert set(k[1] for k in by) <= {"random", "network"}
    # targeted points on every sample, each round in its own id block: a-Ta2O5-1a's rounds of
    # steps 2-4 and 6, the other samples' of step 7, every sample's of steps 8, 9, 11, 12 and 13
    assert {sid for sid, o in by if o == "network"} == set(hosts)
    more = min(first for first, _, _ in MORE_POINT_SETS.values())

    def targeted_block(r) -> bool:
        if any(r.point_id in block for block in ALL_NETWORK_ROUNDS):
            return True
        if r.sample_id == "a-Ta2O5-1a":
            return NETWORK_FIRST_ID <= r.point_id < more or r.point_id in LATE_NETWORK_IDS
        return r.point_id in OTHER_NETWORK_IDS

    # exactly the points of those id blocks are targeted ones
    assert all((r.get("origin") == "network") == targeted_block(r) for r in points)
    for block in ALL_NETWORK_ROUNDS:
        assert {r.sample_id for r in points if r.point_id in block} == set(hosts)


@pytest.mark.parametrize("sample_id", ["a-Ta2O5-1a", "a-Ta2O5-2a", "a-Ta2O5-3a"])
def test_random_points_are_the_seeded_ones(rows, sample_id):
    points, _ = rows
    host = load_sample(sample_id)
    sets = list(POINT_SETS.values())
    if sample_id == "a-Ta2O5-1a":
        sets += list(MORE_POINT_SETS.values())
    for first, seed, dmin in sets:
        ids = sorted(
            r.point_id
            for r in points
            if r.sample_id == sample_id and first <= r.point_id < first + 100000
        )
        assert ids == list(range(first, first + len(ids))) and ids  # no gaps
        expected = random_points(host, len(ids), seed=seed, min_distance=dmin)
        got = {r.point_id: r for r in points if r.sample_id == sample_id and r.point_id in ids}
        for pid in ids:
            r = got[pid]
            assert r.get("origin", "random") == "random"
            assert r.seed == seed and r.min_distance == dmin
            np.testing.assert_allclose(r.positions[0], expected[pid - first], atol=1e-6)


@pytest.mark.parametrize("sample_id", ["a-Ta2O5-1a", "a-Ta2O5-2a", "a-Ta2O5-3a"])
def test_network_points_are_sites_and_saddles_inside_the_host(sample_id):
    ds = load_dataset(bundled_reference_db(), [sample_id])
    net = ds.origin == "network"
    assert net.sum() >= 100
    d, _ = distance_to_host(ds.hosts[sample_id], ds.positions[net])
    assert d.min() >= 1.0  # the --network default minimum distance
