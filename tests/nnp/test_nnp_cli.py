"""``landscape nnp train|eval`` end to end on the analytic Morse data set."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from landscape.cli import main


def _run(args: list[str]) -> None:
    """Run the CLI; typer ends a successful command with SystemExit(0)."""
    try:
        main(args)
    except SystemExit as exc:
        assert exc.code in (0, None), exc.code


def test_train_then_eval(morse_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "model"
    figs = tmp_path / "figs"
    _run(
        [
            "nnp", "train", str(morse_db), "--samples", "random-1", "--out", str(out),
            "--figures", str(figs), "--n-models", "2", "--hidden", "8,8", "--max-epochs", "40",
            "--lbfgs-steps", "20", "--seed", "3",
        ]
    )  # fmt: skip
    text = capsys.readouterr().out
    assert "test (held out)" in text and "RMSE (meV)" in text
    doc = json.loads((tmp_path / "model.json").read_text())
    assert doc["architecture"]["hidden"] == [8, 8] and doc["architecture"]["n_models"] == 2
    assert doc["params"]["random_state"] == 3 and doc["metrics"]["n_test"] == 40
    for name in ("model_parity.png", "model_learning_curve.png"):
        assert (figs / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    _run(["nnp", "eval", str(out) + ".json", str(morse_db)])
    text = capsys.readouterr().out
    assert "random-2" in text and "no" in text  # the sample not trained on
    assert "held-out test points of the training data: n=40" in text


def test_train_on_forces_then_eval_reports_force_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    from tests.helpers.morse import random_host, write_morse_db

    db = write_morse_db(tmp_path / "f.db", [random_host(1)], [40], forces=True)
    out = tmp_path / "model"
    _run(
        [
            "nnp", "train", str(db), "--out", str(out), "--n-models", "2", "--hidden", "8,8",
            "--max-epochs", "30", "--lbfgs-steps", "20", "--force-weight", "0.5",
            "--patience", "30", "--n-jobs", "2",
        ]
    )  # fmt: skip
    assert "test force RMSE per component" in capsys.readouterr().out
    doc = json.loads((tmp_path / "model.json").read_text())
    assert doc["params"]["force_weight"] == 0.5 and doc["metrics"]["rmse_force_test"] > 0
    # Adam ran to the end in both members (patience = max epochs); n_jobs is not saved
    assert doc["params"]["patience"] == 30 and "n_jobs" not in doc["params"]
    _run(["nnp", "eval", str(out), str(db)])
    row = next(line for line in capsys.readouterr().out.splitlines() if "random-1" in line)
    assert row.rstrip(" │|").split()[-1].isdigit()  # the force RMSE column is filled


def test_train_with_max_host_displacement(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """Points whose host moved an atom farther than the limit are counted and not trained on; the
    table and eval report the RMSE on the test points within the limit too."""
    from ase.db import connect

    from tests.helpers.morse import random_host, write_morse_db

    db = write_morse_db(tmp_path / "m.db", [random_host(1)], [60])
    with connect(str(db)) as con:
        for row in con.select(kind="point"):
            if row.point_id % 4 == 0:  # 15 of 60 points "rearranged"
                con.update(row.id, max_displacement=1.2)
    out = tmp_path / "model"
    _run(
        [
            "nnp", "train", str(db), "--out", str(out), "--n-models", "2", "--hidden", "8,8",
            "--max-epochs", "30", "--lbfgs-steps", "20", "--max-host-displacement", "0.6",
            "--figures", str(tmp_path / "figs"),
        ]
    )  # fmt: skip
    text = capsys.readouterr().out
    assert "15 of 60 points moved a host atom farther than 0.6 Å" in text
    assert "test, host moved <= 0.6 Å" in text
    doc = json.loads((tmp_path / "model.json").read_text())
    assert doc["params"]["max_host_displacement"] == 0.6 and doc["metrics"]["n_excluded"] == 15
    m = doc["metrics"]
    assert m["n_train"] + m["n_validation"] == 45 - m["n_test_kept"]  # trained: kept, not test
    _run(["nnp", "eval", str(out), str(db)])
    text = capsys.readouterr().out
    assert "(n=45)" in text  # the 45 points within the limit, on the sample's row
    assert "host moved <= limit: n=" in text
    with pytest.raises(SystemExit) as exc:
        main(["nnp", "train", str(db), "--out", str(out), "--max-host-displacement", "-1"])
    assert exc.value.code == 2
    assert "--max-host-displacement must be" in capsys.readouterr().err
    _run(
        [
            "nnp", "train", str(db), "--out", str(out), "--n-models", "1", "--hidden", "8,8",
            "--max-epochs", "5", "--lbfgs-steps", "0", "--network-weight", "3",
        ]
    )  # fmt: skip
    assert json.loads((tmp_path / "model.json").read_text())["params"]["network_weight"] == 3.0
    with pytest.raises(SystemExit) as exc:
        main(["nnp", "train", str(db), "--out", str(out), "--network-weight", "0"])
    assert exc.value.code == 2
    assert "--network-weight must be a finite number > 0" in capsys.readouterr().err


def test_errors_are_one_line(morse_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["nnp", "eval", str(tmp_path / "nope"), str(morse_db)])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: model file") and err.count("\n") == 1
    with pytest.raises(SystemExit) as exc:
        main(["nnp", "train", str(morse_db), "--out", str(tmp_path / "m"), "--hidden", "a,b"])
    assert exc.value.code == 2
    assert "--hidden" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["nnp", "train", str(morse_db), "--out", str(tmp_path / "m"), "--n-jobs", "0"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "--n-jobs must be >= 1 or -1" in err and err.count("\n") == 1
    assert not (tmp_path / "m.json").exists()


def test_train_selects_points_by_origin(morse_db: Path, tmp_path: Path, capsys) -> None:
    # rows written before origins were recorded count as "random"; there are no network points
    base = ["nnp", "train", str(morse_db), "--out", str(tmp_path / "m")]
    with pytest.raises(SystemExit) as exc:
        main([*base, "--origin", "network"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "holds no successful points of origins ['network']" in err and err.count("\n") == 1
    with pytest.raises(SystemExit) as exc:
        main([*base, "--origin", "random,nope"])
    assert exc.value.code == 2
    assert "unknown point origins ['nope']" in capsys.readouterr().err
    assert not (tmp_path / "m.json").exists()


def test_eval_selects_points_by_origin(tmp_path: Path, capsys) -> None:
    """eval --origin random scores the uniform points alone (transfer without targeted points)."""
    from ase.db import connect

    from tests.helpers.morse import random_host, write_morse_db

    db = write_morse_db(tmp_path / "o.db", [random_host(1), random_host(2)], [40, 30])
    with connect(str(db)) as con:
        for row in con.select(kind="point", sample_id="random-2"):
            if row.point_id % 3 == 0:  # 10 of the 30 points of random-2 targeted
                con.update(row.id, origin="network")
    out = tmp_path / "model"
    _run(
        [
            "nnp", "train", str(db), "--samples", "random-1", "--out", str(out),
            "--n-models", "2", "--hidden", "8,8", "--max-epochs", "20", "--lbfgs-steps", "5",
        ]
    )  # fmt: skip
    capsys.readouterr()

    def points(*extra: str) -> int:
        _run(["nnp", "eval", str(out), str(db), "--samples", "random-2", *extra])
        row = next(line for line in capsys.readouterr().out.splitlines() if "random-2" in line)
        return int(row.strip(" │|").split("│" if "│" in row else "|")[2])

    assert points() == 30
    assert points("--origin", "random") == 20
    assert points("--origin", "network") == 10
    with pytest.raises(SystemExit) as exc:
        main(["nnp", "eval", str(out), str(db), "--origin", "nope"])
    assert exc.value.code == 2
    assert "unknown point origins ['nope']" in capsys.readouterr().err


def test_train_with_descriptor_grid_options(morse_db: Path, tmp_path: Path, capsys) -> None:
    """--r-cut/--n-radial/--r-min/--angular-radii/--zetas set the model's symmetry functions (the
    grids of :func:`propose_grids`); bad values are one-line errors and write no model."""
    from landscape.nnp import propose_grids

    out = tmp_path / "model"
    _run(
        [
            "nnp", "train", str(morse_db), "--samples", "random-1", "--out", str(out),
            "--n-models", "1", "--hidden", "8,8", "--max-epochs", "5", "--lbfgs-steps", "0",
            "--r-cut", "5", "--n-radial", "6", "--r-min", "1.4", "--angular-radii", "2,3.5",
            "--zetas", "1,4",
        ]
    )  # fmt: skip
    desc = json.loads((tmp_path / "model.json").read_text())["descriptor"]
    g2, g4 = propose_grids(5.0, n_radial=6, r_min=1.4, angular_radii=(2.0, 3.5), zetas=(1.0, 4.0))
    assert desc["r_cut"] == 5.0
    np.testing.assert_allclose(desc["g2_params"], g2)
    np.testing.assert_allclose(desc["g4_params"], g4)
    capsys.readouterr()
    for option, value, message in [
        ("--zetas", "0.5,2", "ζ must be >= 1"),
        ("--angular-radii", "2,-1", "angular radii must be positive"),
        ("--angular-radii", "2;3", "--angular-radii '2;3' must be comma-separated numbers"),
        ("--r-min", "7", "r_cut > r_min"),
    ]:
        bad = tmp_path / "bad"
        with pytest.raises(SystemExit) as exc:
            main(["nnp", "train", str(morse_db), "--out", str(bad), option, value])
        assert exc.value.code == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err
        assert not bad.with_suffix(".json").exists()
