"""``[compare]``: a measurement beside the computed Eₐ (study file, summary, table, report), and the
D column at the study's highest temperature.

Numbers: a simple-cubic lattice (spacing 2 Å, barrier 0.30 eV, 10¹³ Hz) has D = 4·10⁻³ cm²/s ·
exp(−0.30 eV / k_B T) exactly; the hand-made kinetics dict gives it Eₐ = 0.30 eV with a fit
standard error of 0.03 eV and an ensemble spread of 0.04 eV, set beside a measured 0.23 ± 0.02 eV.
"""

from __future__ import annotations

import inspect
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from landscape.errors import InputError
from landscape.kinetics.synthetic import cubic_lattice_network
from landscape.study import parse_study
from landscape.study.report import Figure, experiment_arrhenius, write_report
from landscape.study.studyfile import CompareSection
from landscape.study.summary import d_tmax_label, experiment_comparison, study_summary
from landscape.units import K_B

CITATION = "A. Author & B. Author, J. Test. 1, 2 (2000)"
GOOD = {
    "Ea_eV": 0.23,
    "Ea_err_eV": 0.02,
    "D0_cm2_s": 2.0e-3,
    "temperatures": [250, 700.0],
    "citation": CITATION,
    "label": "Cu in a test host",
}
TEMPS = [300.0, 400.0, 500.0, 600.0]
D0_LATTICE = 1e13 * (2.0e-8) ** 2  # cm²/s: prefactor (Hz) × spacing² (cm²)


def _study(compare: object) -> dict:
    return {"samples": [{"source": "x"}], "compare": compare}


# --------------------------------------------------------------------------- parse
def test_good_section_loads_and_stays_out_of_the_stage_keys():
    cfg = parse_study(_study(GOOD))
    c = cfg.compare
    assert (c.Ea_eV, c.Ea_err_eV, c.D0_cm2_s) == (0.23, 0.02, 2.0e-3)
    assert c.temperatures == [250.0, 700.0] and all(isinstance(t, float) for t in c.temperatures)
    assert (c.citation, c.label) == (CITATION, "Cu in a test host")
    assert cfg.to_dict()["compare"]["citation"] == CITATION
    minimal = parse_study(_study({"Ea_eV": 1, "citation": "x"})).compare
    assert (minimal.Ea_eV, minimal.Ea_err_eV, minimal.D0_cm2_s, minimal.temperatures) == (
        1.0,
        0.0,
        0.0,
        [],
    )
    plain = parse_study({"samples": [{"source": "x"}]})
    assert plain.compare is None and plain.to_dict()["compare"] is None
    # the stages hash sections one by one (vars(cfg.sites), ...); [compare] is none of them
    from landscape.study import pipeline, stages

    for module in (stages, pipeline):
        source = inspect.getsource(module)
        assert "cfg.compare" not in source
        assert "to_dict(" not in source


@pytest.mark.parametrize(
    ("compare", "match"),
    [
        ({"citation": "x"}, r"compare.Ea_eV is missing"),
        ({**GOOD, "Ea_eV": "0.2"}, r"'compare.Ea_eV' must be a number, got str"),
        ({**GOOD, "Ea_eV": True}, r"'compare.Ea_eV' must be a number"),
        ({**GOOD, "Ea_eV": math.nan}, r"compare.Ea_eV must be a finite number > 0 eV, got nan"),
        ({**GOOD, "Ea_eV": -0.1}, r"compare.Ea_eV must be a finite number > 0"),
        ({**GOOD, "Ea_err_eV": -0.01}, r"compare.Ea_err_eV must be a finite number >= 0"),
        ({**GOOD, "Ea_err_eV": math.inf}, r"compare.Ea_err_eV must be a finite number"),
        ({**GOOD, "D0_cm2_s": 0.0}, r"compare.D0_cm2_s must be a finite number > 0 cm²/s"),
        ({**GOOD, "D0_cm2_s": math.nan}, r"compare.D0_cm2_s must be a finite number"),
        ({**GOOD, "temperatures": [700.0, 250.0]}, r"compare.temperatures .*T_min < T_max"),
        ({**GOOD, "temperatures": [300.0, 300.0]}, r"compare.temperatures .*T_min < T_max"),
        ({**GOOD, "temperatures": [300.0]}, r"compare.temperatures \[300.0\]; expected"),
        ({**GOOD, "temperatures": [300.0, 400.0, 500.0]}, r"compare.temperatures"),
        ({**GOOD, "temperatures": [-5.0, 400.0]}, r"compare.temperatures\[0\] must be .*> 0"),
        ({**GOOD, "temperatures": [300.0, math.nan]}, r"compare.temperatures\[1\] must be"),
        ({**GOOD, "temperatures": "250-700"}, r"'compare.temperatures' must be a list of"),
        ({k: v for k, v in GOOD.items() if k != "citation"}, r"compare.citation is empty"),
        ({**GOOD, "citation": "  "}, r"compare.citation is empty"),
        ({**GOOD, "citation": 1971}, r"'compare.citation' must be a string"),
        ({**GOOD, "label": 3}, r"'compare.label' must be a string"),
        ({**GOOD, "Ea": 0.2}, r"unknown key 'compare.Ea'"),
        (0.23, r"\[compare\] must be a table"),
    ],
)
def test_bad_section_is_one_line_naming_the_key(compare, match):
    with pytest.raises(InputError, match=match) as info:
        parse_study(_study(compare))
    assert "\n" not in str(info.value)


# --------------------------------------------------------------------------- summary
def _kinetics(Ea=0.30, stderr=0.03, model_std=0.04, D0=D0_LATTICE, temps=TEMPS) -> dict:
    """A kinetics dict as kinetics_summary writes it (exact only), plus the ensemble spread."""
    D = [0.0 if Ea is None else D0 * math.exp(-Ea / (K_B * T)) for T in temps]
    k = {
        "temperatures_K": list(temps),
        "D_cm2_s": {"exact": D},
        "Ea_eV": {"exact": Ea},
        "Ea_stderr_eV": {"exact": stderr},
        "D0_cm2_s": {"exact": D0},
        "percolation_barrier_eV": {"any": Ea},
    }
    if model_std is not None:
        k["ensemble"] = {"Ea_model_std_eV": model_std, "Ea_members_eV": [Ea - 0.05, Ea + 0.05]}
    return k


def _summary(kinetics: dict, compare: dict | None = GOOD) -> dict:
    nets = {sid: cubic_lattice_network(3, a=2.0, barrier=0.30, sample_id=sid) for sid in kinetics}
    cfg = SimpleNamespace(
        study=SimpleNamespace(name="t", species="Cu"),
        reference=SimpleNamespace(targeted_rounds=0, db="ref.db", calculator="chgnet"),
        compare=None if compare is None else parse_study(_study(compare)).compare,
    )
    samples = {sid: [None] * 27 for sid in kinetics}
    return study_summary(cfg, None, samples, nets, kinetics)


def test_summary_gives_the_samples_as_a_distribution():
    s = _summary(
        {"a": _kinetics(Ea=0.30), "b": _kinetics(Ea=0.40), "c": _kinetics(Ea=None, model_std=None)}
    )
    d = s["distribution"]
    assert d["n_samples"] == 3
    assert d["Ea_exact_eV"]["n"] == 2 and d["Ea_exact_eV"]["mean"] == pytest.approx(0.35)
    assert d["Ea_exact_eV"]["std"] == pytest.approx(0.1 / math.sqrt(2.0))
    assert d["Ea_kmc_eV"] is None  # no sample has a KMC Eₐ
    assert d["percolation_barrier_eV"]["max"] == pytest.approx(0.40)


def test_summary_compares_each_sample_with_the_measurement():
    s = _summary({"a": _kinetics()})
    assert (s["meta"]["reference"], s["meta"]["reference_calculator"]) == ("ref.db", "chgnet")
    c = s["compare"]
    assert c["measured"] == {
        "Ea_eV": 0.23,
        "Ea_err_eV": 0.02,
        "D0_cm2_s": 2.0e-3,
        "temperatures_K": [250.0, 700.0],
        "citation": CITATION,
        "label": "Cu in a test host",
    }
    (r,) = c["samples"]
    assert r["method"] == "exact" and r["Ea_eV"] == 0.30
    assert r["uncertainty_terms"] == ["Ea_stderr_eV", "Ea_model_std_eV"]
    assert r["Ea_uncertainty_eV"] == pytest.approx(0.05, abs=1e-12)  # sqrt(0.03² + 0.04²)
    assert r["difference_eV"] == pytest.approx(0.07, abs=1e-12)
    u = math.sqrt(0.05**2 + 0.02**2)
    assert r["combined_uncertainty_eV"] == pytest.approx(u, abs=1e-12)
    assert abs(r["difference_sigma"] - 0.07 / u) < 1e-9
    # D ratio from the two Arrhenius laws in closed form; 250 and 700 K lie outside 300–600 K
    for key, T in (("D_ratio_T_min", 250.0), ("D_ratio_T_max", 700.0)):
        expected = (D0_LATTICE / 2.0e-3) * math.exp(-(0.30 - 0.23) / (K_B * T))
        assert r[key] == pytest.approx(expected, rel=1e-12)
    assert r["D_ratio_T_min"] == pytest.approx(0.077605, rel=1e-5)  # 2 · e^(−3.24921)
    assert r["D_extrapolated"] is True
    assert c["mean"] == {
        "n_samples": 1,
        "Ea_eV": 0.30,
        "Ea_spread_eV": None,
        "difference_eV": pytest.approx(0.07, abs=1e-12),
    }
    # the exact D at 300 K of the lattice network itself, D = k a²
    assert s["samples"][0]["D_cm2_s_300K"] == pytest.approx(
        D0_LATTICE * math.exp(-0.30 / (K_B * 300.0)), rel=1e-9
    )


def test_missing_uncertainties_count_zero_and_mean_over_samples():
    compare = parse_study(_study({**GOOD, "temperatures": [350.0, 550.0]})).compare
    rows = [
        {"sample_id": "a", **_row(_kinetics(Ea=0.30, stderr=math.nan, model_std=None))},
        {"sample_id": "b", **_row(_kinetics(Ea=0.34, stderr=0.03, model_std=None))},
        {"sample_id": "c", **_row(_kinetics(Ea=None, stderr=None, model_std=None, D0=None))},
    ]
    c = experiment_comparison(compare, rows)
    a, b, none = c["samples"]
    # a two-point fit's NaN stderr and a missing ensemble: u_c = 0, only the measured error left
    assert a["uncertainty_terms"] == [] and a["Ea_uncertainty_eV"] == 0.0
    assert a["combined_uncertainty_eV"] == pytest.approx(0.02, abs=1e-15)
    assert abs(a["difference_sigma"] - 0.07 / 0.02) < 1e-9
    assert b["uncertainty_terms"] == ["Ea_stderr_eV"]
    assert abs(b["difference_sigma"] - 0.11 / math.hypot(0.03, 0.02)) < 1e-9
    assert a["D_extrapolated"] is False  # 350–550 K lies within 300–600 K
    # no Eₐ (no network that wraps the cell): no difference, no ratio
    assert none["difference_eV"] is none["difference_sigma"] is none["D_ratio_T_min"] is None
    assert none["Ea_uncertainty_eV"] is none["combined_uncertainty_eV"] is None
    mean = c["mean"]
    assert mean["n_samples"] == 2 and mean["Ea_eV"] == pytest.approx(0.32, abs=1e-12)
    assert mean["Ea_spread_eV"] == pytest.approx(0.04 / math.sqrt(2), abs=1e-12)  # ddof = 1
    assert mean["difference_eV"] == pytest.approx(0.09, abs=1e-12)
    # no measured error and no computed one: no σ; no D0 given: no ratios
    bare = CompareSection(Ea_eV=0.23, citation="x")
    (r,) = experiment_comparison(bare, rows[:1])["samples"]
    assert r["combined_uncertainty_eV"] == 0.0 and r["difference_sigma"] is None
    assert "D_ratio_T_min" not in r
    assert experiment_comparison(bare, rows[:1])["measured"]["Ea_err_eV"] is None


def _row(k: dict) -> dict:
    return {
        "Ea_eV": k["Ea_eV"],
        "Ea_stderr_eV": k["Ea_stderr_eV"],
        "D0_cm2_s": k["D0_cm2_s"],
        "Ea_model_std_eV": (k.get("ensemble") or {}).get("Ea_model_std_eV"),
        "kinetics": k,
    }


def test_no_compare_section_no_block():
    assert "compare" not in _summary({"a": _kinetics()}, compare=None)


# --------------------------------------------------------------------------- report, table
def test_report_shows_the_experiment_and_its_figure(tmp_path):
    kinetics = {"a": _kinetics(), "b": _kinetics(Ea=0.34)}
    summary = _summary(kinetics, {**GOOD, "citation": "Völkl <et al.> & co"})
    (tmp_path / "figures").mkdir()
    fig = experiment_arrhenius(kinetics, summary["compare"], tmp_path / "figures" / "exp.png")
    assert fig.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and fig.stat().st_size > 10_000
    page = write_report(tmp_path, summary, [Figure("figures/exp.png", "D(T)", "Experiment")])
    text = page.read_text()
    head, _, experiment = text.partition("<h2>Experiment</h2>")
    assert experiment and "<h2>Samples</h2>" in head  # after the samples table
    assert "Völkl &lt;et al.&gt; &amp; co" in experiment  # the citation, escaped
    assert "measured Eₐ = 0.23 ± 0.02 eV" in experiment
    # per sample: Eₐ, u_c, difference, its uncertainty and σ
    u = math.sqrt(0.05**2 + 0.02**2)
    assert f"<td>+0.070</td><td>{u:.3f}</td><td>{0.07 / u:+.2f}</td>" in experiment
    assert "<td>0.300</td><td>0.050</td><td>fit, ensemble</td>" in experiment
    assert "<td>+0.110</td>" in experiment
    ratio = (D0_LATTICE / 2.0e-3) * math.exp(-(0.30 - 0.23) / (K_B * 250.0))
    assert f"<td>{ratio:.3g}</td>" in experiment and "<th>… at 700 K</th>" in experiment
    assert "Mean over 2 samples: Eₐ = 0.320 eV (spread 0.028 eV)" in experiment
    assert experiment.count("<figure>") == 1 and "src='figures/exp.png'" in experiment
    assert text.count("<h2>Experiment</h2>") == 1


def test_d_at_the_highest_temperature_is_labelled_with_it(tmp_path, capsys):
    from landscape._cli.study import _print_table

    summary = _summary({"a": _kinetics()})  # temperatures 300–600 K
    row = summary["samples"][0]
    assert row["T_max_K"] == 600.0 and "D_cm2_s_700K" not in row
    d600 = D0_LATTICE * math.exp(-0.30 / (K_B * 600.0))
    assert row["D_cm2_s_Tmax"] == pytest.approx(d600, rel=1e-12)
    assert d_tmax_label(summary["samples"]) == "D(600 K)"
    assert d_tmax_label([{"T_max_K": 600.0}, {"T_max_K": 800.0}]) == "D(T_max)"
    text = write_report(tmp_path, summary, []).read_text()
    assert "<th>D(600 K) (cm²/s)</th>" in text and f"<td>{d600:.3e}</td></tr>" in text
    result = SimpleNamespace(summary=summary, out_dir=Path("out"), report=Path("out/index.html"))
    _print_table(result)
    out = capsys.readouterr().out
    assert "D(600 K)" in out and f"{d600:.3e}" in out and "D(700 K)" not in out
    assert "measured Eₐ = 0.23 ± 0.02 eV, D0 = 0.002 cm²/s over 250–700 K" in out
    assert CITATION in out
    assert "a: Eₐ exact = 0.300 ± 0.050 eV (fit and ensemble), computed − measured = +0.070" in out
    assert np.isfinite(row["D_cm2_s_300K"])
