"""Errors of a fitted simplified NNP: the metrics recorded by ``fit`` and :meth:`score`.

Energies eV, forces eV/Å, distances Å.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..geometry import nearest_distances
from .training import PointSplit, dataset_features

__all__ = ["rmse", "mae", "score_model", "set_fit_metrics", "min_host_distance"]


def rmse(a: np.ndarray, b: np.ndarray) -> float:
    """Root-mean-square difference of ``a`` and ``b``."""
    return float(np.sqrt(np.mean((np.asarray(a) - np.asarray(b)) ** 2)))


def mae(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of ``a`` and ``b``."""
    return float(np.mean(np.abs(np.asarray(a) - np.asarray(b))))


def score_model(model: Any, dataset: Any) -> dict[str, Any]:
    """Errors of ``model`` on every sample of ``dataset``: :meth:`SimplifiedNNP.score`."""
    y = np.asarray(dataset.e_insert, dtype=float)
    f_ref = getattr(dataset, "forces", None)
    has = (
        np.zeros(len(y), dtype=bool)
        if f_ref is None
        else np.all(np.isfinite(np.asarray(f_ref, dtype=float).reshape(-1, 3)), axis=1)
    )
    if has.any():
        x, jac = dataset_features(model.descriptor_, dataset, jacobian=True)
        f_pred = model._predict_forces_features(x, jac)  # (n, 3)
    else:
        x = dataset_features(model.descriptor_, dataset)
    mean = model._predict_features(x).mean(0)
    sids = np.asarray(dataset.sample_ids)
    limited = (
        model.max_host_displacement is not None
        and getattr(dataset, "max_displacement", None) is not None
    )
    kept = model._kept(dataset) if limited else None

    def entry(m: np.ndarray) -> dict[str, Any]:
        k = m & has
        force = rmse(np.asarray(f_ref)[k], f_pred[k]) if k.any() else None
        out = {
            "n": int(m.sum()),
            "rmse": rmse(y[m], mean[m]),
            "mae": mae(y[m], mean[m]),
            "force_rmse": force,
            "n_kept": None,
            "rmse_kept": None,
        }
        if kept is not None:
            out["n_kept"] = int((m & kept).sum())
            out["rmse_kept"] = rmse(y[m & kept], mean[m & kept]) if (m & kept).any() else None
        return out

    out: dict[str, Any] = {sid: entry(sids == sid) for sid in sorted(set(sids.tolist()))}
    out["all"] = entry(np.ones(len(y), dtype=bool))
    return out


def set_fit_metrics(
    model: Any,
    dataset: Any,
    split: PointSplit,
    x: np.ndarray,
    y: np.ndarray,
    jac: np.ndarray | None,
    f_ref: np.ndarray | None,
) -> None:
    """The predictions, errors and data-set record of a model just fitted on ``dataset``."""
    n = len(dataset)
    test_idx, rest_idx, excluded_idx = split.test, split.rest, split.excluded
    kept = model._kept(dataset)
    pred = model._predict_features(x)  # (M, n)
    mean = pred.mean(0)
    train_mask = np.zeros(n, dtype=bool)
    train_mask[rest_idx] = True
    test_out = test_idx[~kept[test_idx]]
    model.predictions_ = {
        "train": (y[train_mask], mean[train_mask]),
        "test": (y[test_idx], mean[test_idx]),
        "excluded": (y[excluded_idx], mean[excluded_idx]),
        "test_excluded": (y[test_out], mean[test_out]),
    }
    model.rmse_test_ = rmse(y[test_idx], mean[test_idx])
    model.mae_test_ = mae(y[test_idx], mean[test_idx])
    model.rmse_train_ = rmse(y[train_mask], mean[train_mask])
    model.mae_train_ = mae(y[train_mask], mean[train_mask])
    test_in = test_idx[kept[test_idx]]
    model.n_excluded_ = len(excluded_idx) + len(test_out)
    model.n_test_kept_ = len(test_in)
    model.rmse_test_kept_ = rmse(y[test_in], mean[test_in]) if len(test_in) else None
    model.mae_test_kept_ = mae(y[test_in], mean[test_in]) if len(test_in) else None
    model.member_rmse_test_ = [rmse(y[test_idx], p[test_idx]) for p in pred]
    model.rmse_force_test_ = None
    if jac is not None:
        ft = model._predict_forces_features(x[test_idx], jac[test_idx])  # (n_test, 3)
        ok = np.all(np.isfinite(f_ref[test_idx]), axis=1)
        if ok.any():
            model.rmse_force_test_ = rmse(f_ref[test_idx][ok], ft[ok])
    model.n_train_, model.n_validation_ = split.n_train, split.n_val
    model.n_test_ = len(test_idx)
    model.data_hash_ = dataset.content_hash()
    model.data_info_ = {
        "hash": model.data_hash_,
        "n_points": int(n),
        "sample_ids": sorted({str(s) for s in dataset.sample_ids}),
        "species": dataset.species,
        "calculator": dataset.calculator,
        "target": "e_insert",
        "min_host_distance": min_host_distance(dataset),
    }


def min_host_distance(dataset) -> float:
    """Smallest distance (Å, periodic) of any point of ``dataset`` to a host atom of its sample."""
    best = math.inf
    for sid in np.unique(dataset.sample_ids):
        host = dataset.hosts[str(sid)]
        pos = dataset.positions[dataset.sample_ids == sid]
        if all(host.pbc):  # a k-d tree: 0.05 s for the demo's 8174 points against 3.2 s by ASE
            d = nearest_distances(pos, host.positions, host.cell.array)
        else:
            from ase.geometry import get_distances

            d = get_distances(pos, host.positions, cell=host.cell, pbc=host.pbc)[1]
        best = min(best, float(d.min()))
    return round(best, 4)
