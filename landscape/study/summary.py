"""The study's summary: one row per sample (sites, hops, barriers, Eₐ, D at 700 K and at 300 K) and
the NNP's test metrics, as written to ``summary.json`` and shown in the report's table.

Units: eV, K; D in cm²/s.
"""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np

from ..config import DEFAULTS

__all__ = ["study_summary"]


def study_summary(cfg, model, samples, networks, kinetics, db, validation=None) -> dict:
    """The summary of a study (``meta``, ``nnp`` metrics, one ``samples`` row per network)."""
    from ..contracts import hop_counts

    rows = []
    for sid, G in networks.items():
        k = kinetics[sid]
        ens = k.get("ensemble") or {}  # the members' Eₐ, when the model is an ensemble
        barriers = np.array([d["barrier"] for *_, d in G.edges(data=True)])
        temps = list(k["temperatures_K"])
        d700 = None
        method = "exact" if "exact" in k["D_cm2_s"] else "kmc"
        if 700.0 in temps:
            d700 = k["D_cm2_s"][method][temps.index(700.0)]
        d_room = _room_temperature_D(G)
        rows.append(
            {
                "sample_id": sid,
                "n_atoms": len(samples[sid]),
                "n_sites": G.number_of_nodes(),
                "n_hops": G.number_of_edges(),  # directed, as db ingest counts them
                "n_pairs": hop_counts(G)["pairs"],  # undirected site pairs
                "median_barrier_eV": float(np.median(barriers)) if len(barriers) else None,
                "Ea_eV": k["Ea_eV"],
                "Ea_stderr_eV": k["Ea_stderr_eV"],
                # spread (std) of the ensemble members' Eₐ on this network: model uncertainty
                "Ea_model_std_eV": ens.get("Ea_model_std_eV"),
                "Ea_members_eV": ens.get("Ea_members_eV"),
                "D0_cm2_s": k.get("D0_cm2_s"),
                "percolation_barrier_eV": k["percolation_barrier_eV"]["any"],
                "D_cm2_s_700K": d700,
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
    return {
        "meta": {
            "study": cfg.study.name,
            "species": cfg.study.species,
            "reference": f"{db.name}",
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
    }


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
