"""The HTML report and its figures, on synthetic networks."""

from __future__ import annotations

import json

import numpy as np

from landscape.kinetics.synthetic import cubic_lattice_network, random_network
from landscape.study.report import Figure, barrier_histograms, sample_comparison, write_report


def test_report_files(tmp_path):
    nets = {"a": cubic_lattice_network(3), "b": random_network(60, random_state=1, sample_id="b")}
    barrier_histograms(nets, tmp_path / "h.png")
    rows = [
        {
            "sample_id": "a",
            "n_sites": 27,
            "n_hops": 162,
            "n_pairs": 81,
            "Ea_eV": {"exact": 0.5, "kmc": 0.51},
            "percolation_barrier_eV": 0.5,
            "T_max_K": 700.0,
            "D_cm2_s_Tmax": 1.2e-7,
            "D_cm2_s_300K": 3.4e-12,
            "median_barrier_eV": 0.5,
        },
        {
            "sample_id": "b",
            "n_sites": 60,
            "n_hops": 300,
            "Ea_eV": {"exact": 0.6, "kmc": None},
            "percolation_barrier_eV": None,
            "T_max_K": 700.0,
            "D_cm2_s_Tmax": None,
            "median_barrier_eV": 0.7,
        },
    ]
    sample_comparison(rows, tmp_path / "c.png")
    for name in ("h.png", "c.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = {
        "meta": {"study": "t<&>", "species": "Cu"},
        "nnp": {"rmse_test_eV": 0.02},
        "samples": rows,
    }
    page = write_report(
        tmp_path, summary, [Figure("h.png", "hist"), Figure("c.png", "cmp", "Comparison")]
    )
    text = page.read_text()
    assert "t&lt;&amp;&gt;" in text  # escaped
    assert text.count("<figure>") == 2 and "<tr><td>a</td>" in text
    # hops (directed) and pairs (undirected) side by side; a summary without pairs shows a dash
    assert "<th>hops</th>\n<th>pairs</th>" in text
    assert "<td>27</td><td>162</td><td>81</td>" in text
    assert "<td>60</td><td>300</td><td>—</td>" in text
    # D at the study's highest temperature, labelled with it; no experiment without [compare]
    assert "<th>D(700 K) (cm²/s)</th>" in text and "<td>1.200e-07</td></tr>" in text
    assert "Experiment" not in text
    assert json.loads((tmp_path / "summary.json").read_text())["samples"][1]["Ea_eV"]["kmc"] is None
    # the samples as a distribution, under the table, from summary["distribution"]
    from landscape.study.summary import study_distribution

    summary["distribution"] = study_distribution(rows)
    text = write_report(tmp_path, summary, []).read_text()
    ea = [r["Ea_eV"]["exact"] for r in rows]
    assert (
        f"over 2 samples (mean ± standard deviation, range): Eₐ exact {np.mean(ea):.3f} ± "
        f"{np.std(ea, ddof=1):.3f} eV ({min(ea):.3f}–{max(ea):.3f})"
    ) in text
