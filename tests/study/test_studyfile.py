"""The study file: strict keys and types, one-line errors naming the key and the expected type."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from landscape.errors import InputError
from landscape.study import load_study, parse_study

GOOD = """
[study]
name = "t"
out = "res"

[[samples]]
source = "a.extxyz"

[kinetics]
temperatures = [500, 600.0]
methods = ["exact"]
"""


def test_good_file_resolves_paths(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text(GOOD)
    cfg = load_study(f)
    assert cfg.kinetics.temperatures == [500.0, 600.0]
    assert all(isinstance(t, float) for t in cfg.kinetics.temperatures)
    assert cfg.resolve(cfg.study.out) == tmp_path / "res"
    assert cfg.samples[0].source == "a.extxyz"
    assert cfg.sites.grid_spacing == 0.25  # docs/design.md default
    # missing points and validation relax the host by the shipped data's protocol
    ref = cfg.reference
    assert (ref.seed, ref.min_distance, ref.relax_radius, ref.fmax, ref.max_steps) == (
        0,
        1.6,
        5.0,
        0.05,
        300,
    )
    assert ref.optimizer == "BFGS" and ref.calculator_kwargs == {}
    assert cfg.validate.hops == 0


def test_calculator_kwargs_table(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text(GOOD + '\n[reference]\ncalculator = "cp2k"\ncalculator_kwargs = {cutoff = 400}\n')
    assert load_study(f).reference.calculator_kwargs == {"cutoff": 400}


def test_validate_samples_must_be_samples_of_the_study(tmp_path):
    from landscape.study import run_study

    cfg = parse_study(
        {
            "study": {"out": str(tmp_path / "out")},
            "samples": [{"source": "a-Ta2O5-1"}],
            "validate": {"hops": 2, "samples": ["a-Ta2O5-9"]},
        }
    )
    with pytest.raises(InputError, match=r"validate.samples \['a-Ta2O5-9'\] are not samples"):
        run_study(cfg, progress=False, store=False)
    assert not (tmp_path / "out").exists()  # nothing computed, no empty folder left


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (
            {"samples": [{"source": "x"}], "nnp": {"n_models": "5"}},
            r"'nnp.n_models' must be an integer, got str",
        ),
        (
            {"samples": [{"source": "x"}], "nnp": {"n_models": True}},
            r"'nnp.n_models' must be an integer",
        ),
        (
            {"samples": [{"source": "x"}], "kinetics": {"temperatures": [500, "a"]}},
            r"temperatures\[1\]' must be a number",
        ),
        ({"samples": [{"source": "x", "foo": 1}]}, r"unknown key 'samples\[0\].foo'"),
        ({"samples": [{"source": "x"}], "sites": {"grid": 0.2}}, r"unknown key 'sites.grid'"),
        ({"samples": [{"source": "x"}], "extra": {}}, r"unknown section 'extra'"),
        ({}, r"no \[\[samples\]\]"),
        ({"samples": [{"source": "x"}], "kinetics": {"methods": ["mc"]}}, r"kinetics.methods"),
        ({"samples": [{"source": "x"}], "kinetics": {"temperatures": [500, -1]}}, r"> 0 K"),
        ({"samples": [{"source": "x"}], "hops": {"prefactor": "tst"}}, r"hops.prefactor"),
        ({"samples": [{"source": "x"}], "hops": {"candidates": "all"}}, r"hops.candidates"),
        (
            {"samples": [{"source": "x"}], "reference": {"calculator_kwargs": "{}"}},
            r"'reference.calculator_kwargs' must be a table, got str",
        ),
        ({"samples": [{"source": "x"}], "reference": {"optimizer": "CG"}}, r"reference.optimizer"),
        ({"samples": [{"source": "x"}], "reference": {"fmax": 0}}, r"reference.fmax"),
        ({"samples": [{"source": "x"}], "reference": {"relax_radius": -1}}, r"relax_radius >= 0"),
        ({"samples": [{"source": "x"}], "reference": {"points": -5}}, r"reference.points"),
        ({"samples": [{"source": "x"}], "reference": {"seed": 400}}, r"reference.seed.*below 400"),
        ({"samples": [{"source": "x"}], "validate": {"hops": -1}}, r"validate.hops must be >= 0"),
        (
            {"samples": [{"source": "x"}], "validate": {"samples": "a"}},
            r"'validate.samples' must be a list of strings",
        ),
        ({"samples": [{"source": "x"}], "hops": {"guide": "yes"}}, r"hops.guide"),
        ({"samples": [{"source": "x"}], "kinetics": {"kmc_hop_budget": 0}}, r"kmc_hop_budget"),
        (
            {"samples": [{"source": "x"}], "nnp": {"max_host_displacement": -0.5}},
            r"nnp.max_host_displacement must be >= 0 Å",
        ),
        (
            {"samples": [{"source": "x"}], "nnp": {"network_weight": 0.0}},
            r"nnp.network_weight must be a finite number > 0",
        ),
        ({"samples": [{"source": "x"}], "nnp": {"patience": 0}}, r"nnp.patience must be >= 1"),
        ({"samples": [{"source": "x"}], "nnp": {"n_jobs": 0}}, r"nnp.n_jobs >= 1 or -1.*, 0$"),
        ({"samples": [{"source": "x"}], "nnp": {"n_jobs": -3}}, r"nnp.n_jobs >= 1 or -1"),
        ({"samples": [{"source": "x"}], "nnp": {"max_epochs": 0}}, r"nnp.max_epochs and"),
    ],
)
def test_bad_input_is_one_line(data, match):
    with pytest.raises(InputError, match=match) as info:
        parse_study(data)
    assert "\n" not in str(info.value)


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_study(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[study\nname=")
    with pytest.raises(InputError, match="not valid TOML"):
        load_study(bad)


def test_cli_bad_study_exits_2_without_traceback(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text(GOOD.replace('name = "t"', "name = 3"))
    r = subprocess.run(
        [sys.executable, "-m", "landscape.cli", "study", str(f)], capture_output=True, text=True
    )
    assert r.returncode == 2
    assert "study.name" in r.stderr and "must be a string" in r.stderr
    assert "Traceback" not in r.stderr


def test_demo_study_is_the_three_annealed_samples_without_rearranged_points_with_forces(tmp_path):
    from landscape.study import demo_config

    cfg = demo_config(tmp_path / "out")
    assert [s.source for s in cfg.samples] == ["a-Ta2O5-1a", "a-Ta2O5-2a", "a-Ta2O5-3a"]
    assert cfg.nnp.train_samples == ["a-Ta2O5-1a", "a-Ta2O5-2a", "a-Ta2O5-3a"]
    assert cfg.nnp.max_host_displacement == 0.6
    assert cfg.nnp.hidden == [48, 48] and cfg.nnp.network_weight == 4.0
    assert cfg.nnp.force_weight == 1.0  # the forces on Cu are trained on too
    # Adam to the end
    assert cfg.nnp.max_epochs == cfg.nnp.patience == 400
    assert cfg.nnp.lbfgs_steps == 600  # then L-BFGS on the whole training set
    # all members at once, float32, mini-batches of 512 (benchmarks/bench_training.py)
    assert cfg.nnp.train_together and cfg.nnp.precision == "float32"
    assert (cfg.nnp.batch_size, cfg.nnp.learning_rate) == (512, 0.03)
    assert cfg.reference.db == "bundled"


def test_demo_validation_option(tmp_path):
    from landscape.study import demo_config

    cfg = demo_config(tmp_path / "out", validate_hops=10)
    assert cfg.validate.hops == 10 and cfg.validate.samples == ["a-Ta2O5-1a"]
    assert demo_config(tmp_path / "out").validate.hops == 0  # the plain demo stays within minutes
    r = subprocess.run(
        [sys.executable, "-m", "landscape.cli", "demo", "--validate-hops", "-1", "--out", "x"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip().endswith("--validate-hops must be >= 0, got -1")
    assert not (tmp_path / "x").exists()


def test_the_readme_study_example_parses():
    """The study file shown in README.md is valid, and its [nnp] keys arrive as written."""
    import tomllib

    text = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    block = text[text.index("```toml\n[study]") + len("```toml\n") :]
    cfg = parse_study(tomllib.loads(block[: block.index("```")]))
    assert cfg.nnp.patience == 400 and cfg.nnp.n_jobs == -1 and cfg.nnp.network_weight == 4.0
    assert cfg.reference.targeted_rounds == 3 and cfg.validate.hops == 10


def test_training_bar_of_a_study_takes_a_last_call_after_it_is_full() -> None:
    """The training bar disappears when full; the trainer may report the total once more."""
    from landscape.study.pipeline import _Stages

    stages = _Stages(total=3, enabled=True)
    try:
        update = stages.sub_progress("NNP: 2 members x 3 epochs")
        for done in (1, 4, 6, 6):
            update(done, 6)
        assert len(stages._progress.tasks) == 1  # only the study's own bar is left
    finally:
        stages.close()


def test_lbfgs_steps_reaches_the_model_and_its_default_keeps_the_cache_key() -> None:
    """``nnp.lbfgs_steps`` is a model setting (in the cache key), except at its default, where
    the key is the one of the study files written before the key existed."""
    from landscape.config import DEFAULTS
    from landscape.study.cache import sha
    from landscape.study.stages import nnp_key

    cfg = parse_study({"samples": [{"source": "x"}]})
    assert cfg.nnp.lbfgs_steps == DEFAULTS.nnp_lbfgs_steps == 200
    before = {k: v for k, v in vars(cfg.nnp).items() if k not in ("n_jobs", "lbfgs_steps")}
    assert nnp_key(cfg, "h", [[1.0]]) == sha("nnp", "h", before, cfg.study.seed, [[1.0]])
    other = parse_study({"samples": [{"source": "x"}], "nnp": {"lbfgs_steps": 600}})
    assert other.nnp.lbfgs_steps == 600
    assert nnp_key(other, "h", [[1.0]]) != nnp_key(cfg, "h", [[1.0]])
    assert nnp_key(other, "h", [[1.0]]) != nnp_key(other, "h2", [[1.0]])
