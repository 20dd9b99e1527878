"""The cross-check of the reference (lower method's relaxed geometries, upper method's single
points): choice of points and hops, resume after a crash, failed rows, and the summary's maths.

Cheap methods throughout: ASE's EMT relaxes H in a 32-atom Pd host (the lower method and its
reference database), and :class:`ScaledEMT` (1.1 × EMT + 0.3 eV per atom) is the upper method, so
every figure of the summary has a closed form in the lower method's energies.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.db import connect

from landscape.errors import InputError
from landscape.reference import InsertionPoints, Relaxation, run_reference
from landscape.reference.crosscheck import CrosscheckMethods, run_crosscheck
from landscape.reference.crosscheck_plan import (
    choose_hops,
    choose_points,
    load_validation,
    plan_crosscheck,
)
from landscape.reference.crosscheck_summary import (
    crosscheck_summary,
    describe_crosscheck,
    link_errors,
)
from tests.helpers.cli import run_cli

LOWER = "ase.calculators.emt:EMT"
SCALE, PER_ATOM = 1.1, 0.3


class SimulatedKill(BaseException):
    """What a kill looks like to the run: not an ``Exception``, so nothing catches it."""


class ScaledEMT(EMT):
    """The upper method of these tests: ``1.1 E_EMT + 0.3 eV × atoms`` (forces scaled alike).

    With ``fail_after=k`` its ``k + 1``-th calculation raises ``error`` instead (a crash, or a
    kill: :class:`SimulatedKill`); neither is one of its parameters, so the label and the
    parameters a row records are those of the plain method.
    """

    def __init__(self, fail_after: int | None = None, error: BaseException | None = None, **kw):
        super().__init__(**kw)
        self.fail_after, self.error, self.calls = fail_after, error, 0

    def calculate(self, *args, **kwargs):
        self.calls += 1
        if self.fail_after is not None and self.calls == self.fail_after + 1:
            raise self.error
        super().calculate(*args, **kwargs)
        self.results["energy"] = SCALE * self.results["energy"] + PER_ATOM * len(self.atoms)
        self.results["free_energy"] = self.results["energy"]
        self.results["forces"] = SCALE * self.results["forces"]


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict:
    """A reference database of 12 points of H in Pd (EMT) and a validation file of 4 hops (hop
    2 unconverged) whose images run straight between reference points."""
    root = tmp_path_factory.mktemp("crosscheck")
    host = bulk("Pd", "fcc", a=3.89, cubic=True) * (2, 2, 2)
    host.rattle(0.02, seed=1)
    host.info["sample_id"] = "pd"
    db = root / "ref.db"
    run_reference(
        host,
        db,
        InsertionPoints(n_points=12, seed=3, min_distance=1.2),
        species="H",
        relaxation=Relaxation(fmax=0.05, relax_radius=3.0),
        calculator=LOWER,
        progress=False,
    )
    pts = [np.asarray(r.positions[0]) for r in connect(db).select(kind="point", sort="point_id")]
    hops = [
        {
            "i": h,
            "j": h + 1,
            "images": [(pts[h] + (pts[h + 1] - pts[h]) * t).tolist() for t in np.linspace(0, 1, 4)],
            "barrier_reference": [0.3, 0.1, 0.0, 0.2][h],
            "barrier_nnp": 0.05,
            "converged": h != 2,
        }
        for h in range(4)
    ]
    validation = root / "v.json"
    validation.write_text(json.dumps({"sample_id": "pd", "hops": hops}))
    return {"db": db, "validation": validation, "root": root}


def _plan(reference: dict, **kw):
    kw = {"n_points": 5, "validation": reference["validation"], "n_hops": 2} | kw
    return plan_crosscheck("pd", reference["db"], **kw)


def _rows(path: Path) -> dict[tuple, dict]:
    """Every row by ``(kind, ids)``: energies and the mobile atom's position."""
    out = {}
    for r in connect(path).select():
        key = (r.kind, r.get("point_id"), r.get("hop"), r.get("image"))
        out[key] = {
            "status": r.status,
            "e_lower": r.get("e_lower"),
            "e_upper": r.get("e_upper"),
            "positions": r.positions.copy(),
        }
    return out


def test_link_errors_against_hand_computed_values():
    # estimate - target = [1, 0.5, 1.5]: offset 1; errors [0, -0.5, 0.5]
    r = link_errors([1.0, 1.5, 3.5], [0.0, 1.0, 2.0])
    assert r["n"] == 3
    assert r["offset"] == pytest.approx(1.0, abs=1e-15)
    assert r["mae"] == pytest.approx(1 / 3, abs=1e-15)
    assert r["rmse"] == pytest.approx(np.sqrt(0.5 / 3), abs=1e-15)
    assert r["max_abs_error"] == pytest.approx(0.5, abs=1e-15)
    assert r["mae_raw"] == pytest.approx(1.0, abs=1e-15)
    # a constant shift (a chemical potential, MP corrections) is no error at all
    shifted = link_errors(np.arange(5.0) - 7.25, np.arange(5.0))
    assert shifted["offset"] == pytest.approx(-7.25) and shifted["mae"] == pytest.approx(
        0, abs=1e-12
    )
    assert link_errors([], [])["mae"] is None
    with pytest.raises(InputError, match="one length"):
        link_errors([1.0], [1.0, 2.0])


def test_points_are_quantile_midpoints_of_e_insert():
    rows = [
        SimpleNamespace(
            e_insert=float(e),
            point_id=100 + k,
            positions=np.zeros((1, 3)),
            target_fmax=0.05,
            max_steps=300,
            optimizer="BFGS",
            get=lambda key, default=None: None,
        )
        for k, e in enumerate(np.arange(40.0)[::-1])  # point 100 + k has e_insert 39 - k
    ]
    chosen = choose_points(rows, 4)
    # 40 rows in 4 bins of 10: ranks 5, 15, 25, 35 -> e_insert 5, 15, 25, 35
    assert [t.extra["e_insert_reference"] for t in chosen] == [5.0, 15.0, 25.0, 35.0]
    assert [t.key["point_id"] for t in chosen] == [134, 124, 114, 104]
    assert [t.key for t in choose_points(rows[::-1], 4)] == [t.key for t in chosen]
    with pytest.raises(InputError, match="41 points asked for"):
        choose_points(rows, 41)


def test_hops_lowest_median_highest_of_the_converged(reference):
    hops = load_validation(reference["validation"], "pd")
    rx = Relaxation()
    tasks = choose_hops(hops, 3, rx)
    # converged hops 0 (0.3 eV), 1 (0.1), 3 (0.2): lowest, median, highest = 1, 3, 0
    assert [t.key["hop"] for t in tasks[::4]] == [1, 3, 0]
    assert [t.key["image"] for t in tasks[:4]] == [0, 1, 2, 3]
    assert [t.key["hop"] for t in choose_hops(hops, 2, rx)[::4]] == [1, 0]
    assert len(choose_hops(hops, 10, rx)) == 12  # all three converged hops, 4 images each


def test_bad_validation_files_are_refused(reference, tmp_path):
    bad = tmp_path / "bad.json"
    for text, match in (
        ("{not json", "not a readable JSON"),
        ('{"hops": []}', "no list 'hops'"),
        ('{"sample_id": "other", "hops": [{"images": [[0,0,0],[1,1,1]]}]}', "'other', not 'pd'"),
        ('{"hops": [{"images": [[0,0,0],[1,1,1]]}]}', "lacks numeric"),
        ('{"hops": [{"images": [[0,0,0]], "barrier_reference": 1}]}', r"shape \(1, 3\)"),
    ):
        bad.write_text(text)
        with pytest.raises(InputError, match=match):
            load_validation(bad, "pd")
    with pytest.raises(InputError, match="does not exist"):
        load_validation(tmp_path / "none.json", "pd")
    with pytest.raises(InputError, match=r"sample 'nosuch'.*\['pd'\]"):
        plan_crosscheck("nosuch", reference["db"], n_points=2)


def test_summary_has_the_closed_form_of_the_scaled_upper_method(reference, tmp_path):
    plan = _plan(reference)
    out = tmp_path / "x.db"
    counts = run_crosscheck(plan, out, CrosscheckMethods(LOWER, ScaledEMT()), progress=False)
    assert counts | {"seconds": 0} == {
        "sample_id": "pd",
        "tasks": 13,
        "skipped": 0,
        "done": 13,
        "failed": 0,
        "remaining": 0,
        "seconds": 0,
    }
    s = crosscheck_summary(out)["samples"]["pd"]
    n_host = len(plan.host)
    # e_insert_upper = 1.1 e_insert_lower + 0.3 (one atom more): the offset and errors follow
    e_low = np.array([p["e_insert_lower"] for p in s["points"]])
    e_up = np.array([p["e_insert_upper"] for p in s["points"]])
    np.testing.assert_allclose(e_up, SCALE * e_low + PER_ATOM, rtol=0, atol=1e-9)
    link = s["links"]["lower_vs_upper"]
    assert link["n"] == 5
    assert link["offset"] == pytest.approx(-0.1 * e_low.mean() - PER_ATOM, abs=1e-9)
    assert link["mae"] == pytest.approx(0.1 * np.abs(e_low - e_low.mean()).mean(), abs=1e-9)
    assert link["max_abs_error"] == pytest.approx(
        0.1 * np.abs(e_low - e_low.mean()).max(), abs=1e-9
    )
    # the lower relaxations reproduce the reference rows
    assert s["lower_vs_reference_max_abs"] < 1e-9
    assert s["host"]["e_upper"] == pytest.approx(
        SCALE * s["host"]["e_lower"] + PER_ATOM * n_host, abs=1e-9
    )
    # barriers along one path: 1.1 x, no offset
    assert [h["hop"] for h in s["hops"]] == [0, 1]  # by hop index
    for h in s["hops"]:
        assert h["complete"] and h["converged"]
        assert h["barrier_upper"] == pytest.approx(SCALE * h["barrier_lower"], abs=1e-9)
        assert h["difference"] == pytest.approx(-0.1 * h["barrier_lower"], abs=1e-9)
    b = s["barriers"]["lower_vs_upper"]
    assert b["n"] == 2
    assert b["mae"] == pytest.approx(0.1 * np.mean([h["barrier_lower"] for h in s["hops"]]))
    assert s["timing"]["all"]["n"] == 14  # host, 5 points, 2 hops x 4 images
    # an NNP that is the lower method plus a constant: no error after the offset, raw = constant
    nnp = SimpleNamespace(predict=lambda host, x: (_lookup(s["points"], x) + 0.2, None))
    s2 = crosscheck_summary(out, nnp=nnp)["samples"]["pd"]
    assert s2["links"]["nnp_vs_lower"]["mae"] == pytest.approx(0, abs=1e-9)
    assert s2["links"]["nnp_vs_lower"]["mae_raw"] == pytest.approx(0.2, abs=1e-9)
    assert s2["links"]["nnp_vs_upper"]["mae"] == pytest.approx(link["mae"], abs=1e-9)
    for h in s2["hops"]:  # the NNP's profile along the same images, from their first
        assert h["profile_nnp"][0] == 0.0 and h["barrier_nnp"] == max(h["profile_nnp"])
    lines = describe_crosscheck({"samples": {"pd": s2}})
    assert any("NNP vs lower: MAE 0.000 eV" in line for line in lines), lines


def test_a_hop_missing_its_last_image_is_not_complete(reference, tmp_path):
    """Complete means every one of the hop's images, not every image up to the last written:
    the profile of images 0..n-2 has its maximum where the path was cut off."""
    plan = _plan(reference, n_points=1, n_hops=1)  # 1 point, 4 images
    out = tmp_path / "x.db"
    run_crosscheck(plan, out, CrosscheckMethods(LOWER, ScaledEMT()), progress=False)
    with connect(out) as db:
        images = sorted((r for r in db.select(kind="image")), key=lambda r: r.image)
        assert [r.n_images for r in images] == [4, 4, 4, 4]
        db.delete([images[-1].id])
    (h,) = crosscheck_summary(out)["samples"]["pd"]["hops"]
    assert (h["images_done"], h["n_images"], h["complete"]) == (3, 4, False)
    s = crosscheck_summary(out)
    assert s["samples"]["pd"]["barriers"]["lower_vs_upper"]["n"] == 0
    assert any("3 of 4 images so far" in line for line in describe_crosscheck(s))
    # rows written before n_images was recorded: never complete (how many are missing is unknown)
    with connect(out) as db:
        for r in images[:-1]:
            db.update(r.id, delete_keys=["n_images"])
    (h,) = crosscheck_summary(out)["samples"]["pd"]["hops"]
    assert (h["images_done"], h["n_images"], h["complete"]) == (3, None, False)


def _lookup(points: list[dict], positions: np.ndarray) -> np.ndarray:
    """The lower method's e_insert of the point at each of ``positions`` (0 elsewhere), eV."""
    known = {tuple(np.round(p["position"], 6)): p["e_insert_lower"] for p in points}
    return np.array([known.get(tuple(np.round(x, 6)), 0.0) for x in positions])


def test_crash_then_resume_gives_the_same_rows(reference, tmp_path):
    plan = _plan(reference, n_points=3, n_hops=1)  # 3 points, 4 images
    whole = tmp_path / "whole.db"
    run_crosscheck(plan, whole, CrosscheckMethods(LOWER, ScaledEMT()), progress=False)
    resumed = tmp_path / "resumed.db"
    # killed during the 5th upper calculation: the host and 3 geometries are written, no more
    with pytest.raises(SimulatedKill):
        run_crosscheck(
            plan, resumed, CrosscheckMethods(LOWER, ScaledEMT(4, SimulatedKill())), progress=False
        )
    assert len(_rows(resumed)) == 4
    counts = run_crosscheck(plan, resumed, CrosscheckMethods(LOWER, ScaledEMT()), progress=False)
    assert (counts["skipped"], counts["done"], counts["remaining"]) == (3, 4, 0)
    a, b = _rows(whole), _rows(resumed)
    assert a.keys() == b.keys() and len(a) == 8
    for key in a:
        assert a[key]["status"] == b[key]["status"] == "ok"
        assert a[key]["e_lower"] == pytest.approx(b[key]["e_lower"], abs=1e-10)
        assert a[key]["e_upper"] == pytest.approx(b[key]["e_upper"], abs=1e-10)
        np.testing.assert_allclose(a[key]["positions"], b[key]["positions"], atol=1e-10)
    again = run_crosscheck(plan, resumed, CrosscheckMethods(LOWER, ScaledEMT()), progress=False)
    assert (again["skipped"], again["done"]) == (7, 0) and len(_rows(resumed)) == 8
    # limit: at most N geometries per run (the host not counted)
    limited = tmp_path / "limited.db"
    first = run_crosscheck(
        plan, limited, CrosscheckMethods(LOWER, ScaledEMT()), limit=2, progress=False
    )
    assert (first["done"], first["remaining"]) == (2, 5) and len(_rows(limited)) == 3


def test_a_failed_upper_calculation_is_written_and_retried(reference, tmp_path):
    plan = _plan(reference, validation=None, n_points=3)
    out = tmp_path / "x.db"
    failing = ScaledEMT(2, RuntimeError("SCF exploded\nmore text"))  # host, point, then fails
    counts = run_crosscheck(plan, out, CrosscheckMethods(LOWER, failing), progress=False)
    assert (counts["done"], counts["failed"]) == (2, 1)
    failed = [r for r in connect(out).select(status="failed")]
    assert len(failed) == 1 and failed[0].error == "RuntimeError: SCF exploded"
    assert failed[0].stage == "upper" and failed[0].get("e_lower") is not None
    assert crosscheck_summary(out)["samples"]["pd"]["n_failed"] == 1
    skip = run_crosscheck(plan, out, CrosscheckMethods(LOWER, ScaledEMT()), progress=False)
    assert (skip["done"], skip["failed"], skip["skipped"]) == (0, 0, 3)
    retry = run_crosscheck(
        plan, out, CrosscheckMethods(LOWER, ScaledEMT()), retry_failed=True, progress=False
    )
    assert (retry["done"], retry["skipped"]) == (1, 2)
    rows = _rows(out)
    assert len(rows) == 4 and all(r["status"] == "ok" for r in rows.values())


def test_other_methods_or_points_are_refused(reference, tmp_path):
    plan = _plan(reference, validation=None, n_points=2)
    out = tmp_path / "x.db"
    run_crosscheck(plan, out, CrosscheckMethods(LOWER, ScaledEMT()), progress=False)
    with pytest.raises(InputError, match="upper_params"):
        run_crosscheck(
            plan, out, CrosscheckMethods(LOWER, ScaledEMT(asap_cutoff=True)), progress=False
        )
    with pytest.raises(InputError, match="not the reference's"):
        run_crosscheck(
            plan, tmp_path / "y.db", CrosscheckMethods(ScaledEMT(), ScaledEMT()), progress=False
        )
    moved = plan.tasks[0].__class__(
        plan.tasks[0].kind,
        plan.tasks[0].key,
        plan.tasks[0].position + 0.1,
        plan.tasks[0].relaxation,
    )
    other = plan.__class__(plan.sample_id, plan.species, plan.host, plan.relaxation, [moved])
    with pytest.raises(InputError, match="from where this run puts it"):
        run_crosscheck(other, out, CrosscheckMethods(LOWER, ScaledEMT()), progress=False)


def test_cli_runs_resumes_and_summarises(reference, tmp_path, capsys):
    out, summary = tmp_path / "x.db", tmp_path / "s.json"
    argv = [
        "reference",
        "crosscheck",
        "pd",
        "--out",
        out,
        "--reference-db",
        reference["db"],
        "--points",
        "3",
        "--hops",
        reference["validation"],
        "--n-hops",
        "1",
        "--lower",
        LOWER,
        "--upper",
        "tests.reference.test_crosscheck:ScaledEMT",
        "--quiet",
    ]
    code, text, err = run_cli(capsys, argv)
    assert code == 0, err
    counts = json.loads(text.splitlines()[0])
    assert (counts["done"], counts["remaining"]) == (7, 0)
    assert "e_insert lower vs upper: MAE" in text
    code, text, err = run_cli(capsys, argv)
    assert code == 0, err
    assert json.loads(text.splitlines()[0])["skipped"] == 7
    code, text, err = run_cli(
        capsys, ["reference", "crosscheck-summary", out, "--json", summary, "--sample", "pd"]
    )
    assert code == 0, err
    data = json.loads(summary.read_text())["samples"]["pd"]
    assert data["links"]["lower_vs_upper"]["n"] == 3 and len(data["hops"]) == 1
    code, _, err = run_cli(capsys, ["reference", "crosscheck-summary", out, "--sample", "nosuch"])
    assert code == 2 and "no row of sample 'nosuch'" in err
