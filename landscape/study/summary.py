"""The study's summary: one row per sample (sites, hops, barriers, Eₐ, D at the study's highest
temperature and at 300 K), the NNP's test metrics and, with a ``[compare]`` section, the
measurement beside the computed Eₐ, as written to ``summary.json`` and shown in the report's table.

Units: eV, K; D in cm²/s.
"""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np

from ..config import DEFAULTS

__all__ = [
    "d_tmax_label",
    "study_distribution",
    "DISTRIBUTION_LABELS",
    "describe_difference",
    "describe_measurement",
    "experiment_comparison",
    "study_summary",
]


def study_summary(cfg, model, samples, networks, kinetics, validation=None) -> dict:
    """The summary of a study (``meta``, ``nnp`` metrics, one ``samples`` row per network and,
    when ``cfg.compare`` is given, the ``compare`` block of :func:`experiment_comparison`).

    Each row has ``D_cm2_s_Tmax`` (cm²/s), the D of its first method (exact, else KMC) at the
    study's highest temperature ``T_max_K`` (K), and ``D_cm2_s_300K``, the exact D at 300 K."""
    from ..contracts import hop_counts

    rows = []
    for sid, G in networks.items():
        k = kinetics[sid]
        ens = k.get("ensemble") or {}  # the members' Eₐ, when the model is an ensemble
        barriers = np.array([d["barrier"] for *_, d in G.edges(data=True)])
        temps = list(k["temperatures_K"])
        method = "exact" if "exact" in k["D_cm2_s"] else "kmc"
        i_max = int(np.argmax(temps))
        d_room = _room_temperature_D(G)
        rows.append(
            {
                "sample_id": sid,
                "n_atoms": len(samples[sid]),
                "n_sites": G.number_of_nodes(),
                "n_hops": G.number_of_edges(),  # directed, as db ingest counts them
                "n_pairs": hop_counts(G)["pairs"],  # undirected site pairs
                "median_barrier_eV": float(np.median(barriers)) if len(barriers) else None,
                # the hop search's candidate distance (Å) and whether hops.max_distance = "auto"
                # derived it (absent in networks explored before it was recorded)
                "hop_max_distance_A": G.graph.get("hop_max_distance_A"),
                "hop_max_distance_auto": G.graph.get("hop_max_distance_auto"),
                # sites of the site search, N_sites of the "auto" rule (the hop search may add some)
                "hop_max_distance_n_sites": G.graph.get("hop_max_distance_n_sites"),
                "Ea_eV": k["Ea_eV"],
                "Ea_stderr_eV": k["Ea_stderr_eV"],
                # spread (std) of the ensemble members' Eₐ on this network: model uncertainty
                "Ea_model_std_eV": ens.get("Ea_model_std_eV"),
                "Ea_members_eV": ens.get("Ea_members_eV"),
                "D0_cm2_s": k.get("D0_cm2_s"),
                "percolation_barrier_eV": k["percolation_barrier_eV"]["any"],
                # D at the study's highest temperature (exact, else KMC)
                "T_max_K": float(temps[i_max]),
                "D_cm2_s_Tmax": k["D_cm2_s"][method][i_max],
                # exact D at room temperature (what device engineers ask for), whatever the
                # study's temperatures; None where it leaves double precision
                "D_cm2_s_300K": d_room,
                "kinetics": k,
            }
        )
        v = (validation or {}).get(sid)
        if v is not None:  # NNP vs reference barriers along validated hops
            rows[-1].update(
                validated_hops=v["n_hops"],
                validated_hops_converged=v["n_converged"],
                validated_hops_band_unconverged=v.get("n_band_unconverged", 0),
                barrier_mae_eV=v["mae"],
                barrier_max_abs_error_eV=v["max_abs_error"],
                barrier_mae_all_eV=v["mae_all"],
            )
    metrics = getattr(model, "metrics_", None) or {}
    compare = getattr(cfg, "compare", None)
    extra = {} if compare is None else {"compare": experiment_comparison(compare, rows)}
    return {
        "meta": {
            "study": cfg.study.name,
            "species": cfg.study.species,
            # the study file's reference.db (the data set may have been completed in the cache)
            "reference": str(cfg.reference.db),
            "reference_calculator": str(cfg.reference.calculator),
            "landscape_version": __import__("landscape").__version__,
        },
        "nnp": {
            "targeted_rounds": int(cfg.reference.targeted_rounds),
            "rmse_test_eV": getattr(model, "rmse_test_", None),
            "mae_test_eV": getattr(model, "mae_test_", None),
            **_kept_metrics(model),
            **{k: v for k, v in metrics.items() if isinstance(v, int | float)},
        },
        "samples": rows,
        "distribution": study_distribution(rows),
        **extra,
    }


#: The quantities a study summarises over its samples: output name → the summary row's key, or
#: how a row gives it
STUDY_DISTRIBUTION = {
    "Ea_exact_eV": lambda r: (r.get("Ea_eV") or {}).get("exact"),
    "Ea_kmc_eV": lambda r: (r.get("Ea_eV") or {}).get("kmc"),
    "percolation_barrier_eV": "percolation_barrier_eV",
    "median_barrier_eV": "median_barrier_eV",
}


#: How the study's table and report name the quantities of :func:`study_distribution`
DISTRIBUTION_LABELS = {
    "Ea_exact_eV": "Eₐ exact",
    "Ea_kmc_eV": "Eₐ KMC",
    "percolation_barrier_eV": "percolation barrier",
}


def study_distribution(rows: list[dict]) -> dict:
    """The samples of a study as a distribution (``summary.json`` ``distribution``): per quantity
    of :data:`STUDY_DISTRIBUTION` (eV), :func:`landscape.kinetics.distribution` over the samples
    that have it (n, mean, std over the samples, stderr of the mean, min, max), and
    ``n_samples``."""
    from ..kinetics import sample_distribution

    return sample_distribution(rows, STUDY_DISTRIBUTION)


def _value(x: Any) -> float | None:
    """A finite float, else None (absent, None or NaN: a two-point fit has no standard error)."""
    if x is None:
        return None
    x = float(x)
    return x if np.isfinite(x) else None


def _log_arrhenius(D0: float, Ea: float, T: float) -> float:
    """ln of ``D0 · exp(−Ea / k_B T)`` (D0 in cm²/s, Ea in eV, T in K)."""
    from ..units import K_B

    return float(np.log(D0) - Ea / (K_B * T))


def experiment_comparison(compare, rows: list[dict]) -> dict:
    """The measurement of a study file's ``[compare]`` beside each sample's computed Eₐ.

    Parameters
    ----------
    compare : CompareSection
        ``Ea_eV`` and ``Ea_err_eV`` (eV; 0: no uncertainty given), ``D0_cm2_s`` (cm²/s; 0: not
        given), ``temperatures`` ([T_min, T_max], K; empty: not given), ``citation``, ``label``.
    rows : list of dict
        Summary rows: ``sample_id``, ``Ea_eV``, ``Ea_stderr_eV`` and ``D0_cm2_s`` ({method: value
        or None}, eV and cm²/s), ``Ea_model_std_eV`` (eV or None) and ``kinetics``
        (``temperatures_K``, ``D_cm2_s``); the method is exact where the row has it, else KMC.

    Returns
    -------
    dict
        ``measured``: ``Ea_eV``, ``Ea_err_eV``, ``D0_cm2_s`` and ``temperatures_K`` (None where
        not given), ``citation``, ``label``. ``samples``: per row ``Ea_eV`` (computed, eV),
        ``Ea_uncertainty_eV`` u_c = sqrt(Ea_stderr² + Ea_model_std²) (eV; a missing or NaN term
        counts 0, ``uncertainty_terms`` names the terms that were there), ``difference_eV``
        (computed − measured), ``combined_uncertainty_eV`` sqrt(u_c² + Ea_err²) and
        ``difference_sigma`` (difference / combined uncertainty; None where that is 0); with
        ``D0_cm2_s`` and ``temperatures`` also ``D_ratio_T_min`` and ``D_ratio_T_max``,
        D_computed / D_measured at the measured range's ends, D_computed from the sample's own
        Arrhenius fit (``Ea_eV``, ``D0_cm2_s``): an extrapolation where the measured range leaves
        the study's temperatures (``D_extrapolated``). ``mean``: over the samples with an Eₐ,
        ``n_samples``, ``Ea_eV`` (eV), ``Ea_spread_eV`` (standard deviation over the samples,
        ``ddof = 1``; None for one sample) and ``difference_eV`` (mean − measured). Values are
        None where the sample has no Eₐ (no network that wraps the cell).
    """
    m_Ea, m_err = float(compare.Ea_eV), float(compare.Ea_err_eV)
    m_D0 = float(compare.D0_cm2_s) if compare.D0_cm2_s > 0 else None
    m_T = [float(t) for t in compare.temperatures] or None
    out_rows = [_compared_row(row, m_Ea, m_err, m_D0, m_T) for row in rows]
    eas = np.array([r["Ea_eV"] for r in out_rows if r["Ea_eV"] is not None], dtype=float)
    mean = None if not len(eas) else float(np.mean(eas))
    return {
        "measured": {
            "Ea_eV": m_Ea,
            "Ea_err_eV": m_err or None,
            "D0_cm2_s": m_D0,
            "temperatures_K": m_T,
            "citation": compare.citation,
            "label": compare.label,
        },
        "samples": out_rows,
        "mean": {
            "n_samples": int(len(eas)),
            "Ea_eV": mean,
            "Ea_spread_eV": float(np.std(eas, ddof=1)) if len(eas) > 1 else None,
            "difference_eV": None if mean is None else mean - m_Ea,
        },
    }


def _compared_row(row: dict, m_Ea: float, m_err: float, m_D0, m_T) -> dict:
    """One sample of :func:`experiment_comparison` (eV, cm²/s, K)."""
    method = "exact" if "exact" in row["Ea_eV"] else "kmc"
    Ea = _value(row["Ea_eV"].get(method))
    terms = {
        "Ea_stderr_eV": _value((row.get("Ea_stderr_eV") or {}).get(method)),
        "Ea_model_std_eV": _value(row.get("Ea_model_std_eV")),
    }
    out: dict[str, Any] = {"sample_id": row["sample_id"], "method": method, "Ea_eV": Ea, **terms}
    u_c = float(np.hypot(*(t or 0.0 for t in terms.values())))
    combined = float(np.hypot(u_c, m_err))
    known = Ea is not None
    out.update(
        Ea_uncertainty_eV=u_c if known else None,
        uncertainty_terms=[k for k, t in terms.items() if t is not None],
        difference_eV=Ea - m_Ea if known else None,
        combined_uncertainty_eV=combined if known else None,
        difference_sigma=(Ea - m_Ea) / combined if known and combined > 0 else None,
    )
    D0 = _value((row.get("D0_cm2_s") or {}).get(method))
    if m_D0 is not None and m_T is not None:
        ratios = [None, None]
        if Ea is not None and D0 is not None and D0 > 0:
            ratios = [
                float(np.exp(_log_arrhenius(D0, Ea, T) - _log_arrhenius(m_D0, m_Ea, T)))
                for T in m_T
            ]
        temps = row.get("kinetics", {}).get("temperatures_K") or []
        out.update(
            D_ratio_T_min=ratios[0],
            D_ratio_T_max=ratios[1],
            D_extrapolated=bool(temps) and (m_T[0] < min(temps) or m_T[1] > max(temps)),
        )
    return out


def d_tmax_label(rows: list[dict]) -> str:
    """The column label of ``D_cm2_s_Tmax``: ``"D(600 K)"`` when every row has that ``T_max_K``,
    else ``"D(T_max)"``."""
    temps = {r.get("T_max_K") for r in rows} - {None}
    return f"D({temps.pop():g} K)" if len(temps) == 1 else "D(T_max)"


def _room_temperature_D(G: nx.MultiDiGraph) -> float | None:
    """Exact D (cm²/s) of a hop network at ``DEFAULTS.room_temperature`` (300 K), or None where
    the solver refuses it (below double precision's range)."""
    from ..errors import ConvergenceError
    from ..kinetics import exact_diffusion

    try:
        return float(exact_diffusion(G, DEFAULTS.room_temperature).D[0])
    except ConvergenceError:
        return None


def _kept_metrics(model) -> dict[str, Any]:
    """The test metrics on the points within ``max_host_displacement``, when the model has one."""
    if getattr(model, "max_host_displacement", None) is None:
        return {}
    return {
        "max_host_displacement_A": model.max_host_displacement,
        "rmse_test_kept_eV": getattr(model, "rmse_test_kept_", None),
        "n_test_kept": getattr(model, "n_test_kept_", None),
        "n_excluded": getattr(model, "n_excluded_", None),
    }


def describe_measurement(measured: dict) -> str:
    """One line for the measurement of a ``compare`` block: ``measured Eₐ = 0.221 eV,
    D0 = 0.0024 cm²/s over 278–333 K (label; citation)`` (eV, cm²/s, K)."""
    err = measured.get("Ea_err_eV")
    text = f"measured Eₐ = {measured['Ea_eV']:g}" + (f" ± {err:g}" if err else "") + " eV"
    if measured.get("D0_cm2_s") is not None:
        text += f", D0 = {measured['D0_cm2_s']:.3g} cm²/s"
    if measured.get("temperatures_K"):
        lo, hi = measured["temperatures_K"]
        text += f" over {lo:g}–{hi:g} K"
    source = "; ".join(s for s in (measured.get("label"), measured.get("citation")) if s)
    return f"{text} ({source})"


def describe_difference(row: dict, temperatures: list[float] | None = None) -> str:
    """One line for a sample of a ``compare`` block: computed Eₐ ± u_c, computed − measured ±
    combined uncertainty (eV) and in units of it, and the D ratios at the measured range's ends
    (``temperatures``: [T_min, T_max], K)."""
    if row.get("Ea_eV") is None:
        return f"{row['sample_id']}: no Eₐ (no network that wraps the cell)"
    names = {"Ea_stderr_eV": "fit", "Ea_model_std_eV": "ensemble"}
    terms = " and ".join(names[t] for t in row.get("uncertainty_terms", ())) or "none known"
    text = (
        f"{row['sample_id']}: Eₐ {row['method']} = {row['Ea_eV']:.3f} ± "
        f"{row['Ea_uncertainty_eV']:.3f} eV ({terms}), computed − measured = "
        f"{row['difference_eV']:+.3f} ± {row['combined_uncertainty_eV']:.3f} eV"
    )
    if row.get("difference_sigma") is not None:
        text += f" ({row['difference_sigma']:+.1f} σ)"
    if row.get("D_ratio_T_min") is not None:
        lo, hi = (f"{t:g} K" for t in temperatures) if temperatures else ("T_min", "T_max")
        text += (
            f"; D computed/measured {row['D_ratio_T_min']:.3g} at {lo}, "
            f"{row['D_ratio_T_max']:.3g} at {hi}"
        )
        if row.get("D_extrapolated"):
            text += " (extrapolated)"
    return text
