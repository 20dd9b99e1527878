"""Is a reference data set a smooth function of the mobile atom's position? Close-pair checks.

The simplified NNP assumes that the relaxed insertion energy ``e_insert(r)`` is a smooth function of
the mobile atom's position ``r`` in a given host. Each reference row also holds the force on the
fixed mobile atom, ``F = −∇e_insert`` (the host is relaxed, so the envelope theorem applies). For two
points ``a`` and ``b`` of one sample closer than a few tenths of an Å, the trapezoid rule then
predicts their energy difference::

    e(b) − e(a) ≈ −½ (F(a) + F(b)) · (r_b − r_a)        (error O(|r_b − r_a|³))

A pair that misses this by far more than the curvature allows means the label jumped between the
two points: typically the host relaxed into a different local minimum (a rearrangement), which no
smooth model can follow. The fraction of such pairs and the residuals are a data-set property,
measured before any training: :func:`pair_consistency`, ``landscape reference info --consistency``.

Scale: the curvature error grows as the cube of the distance and with the steepness of the surface,
so compare the RMS residual with the RMS energy difference of the same pairs
(``relative_residual``). On a smooth analytic Cu–Ta/O Morse surface (1500 points, forces 7 eV/Å
RMS) it is 0.04 for pairs closer than 0.3 Å and 0.10 below 0.5 Å; on CHGNet data of a melt-quenched
a-Ta2O5 (883 points, host relaxed within 5 Å) 0.50 and 0.39.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import InputError
from .dataset import ReferenceDataset

__all__ = ["pair_consistency"]


def pair_consistency(
    dataset: ReferenceDataset, *, max_distance: float = 0.3, threshold: float = 0.1
) -> dict[str, Any]:
    """Trapezoid-rule consistency of energies and forces over close pairs of points, per sample.

    Parameters
    ----------
    dataset : ReferenceDataset
        Points with forces on the mobile atom (``dataset.forces``, eV/Å); points without forces
        are skipped.
    max_distance : float
        Pairs of one sample closer than this (minimum image), Å.
    threshold : float
        A pair whose residual exceeds this is counted as a jump, eV.

    Returns
    -------
    dict
        ``{sample_id: {"pairs", "rms_residual_eV", "median_abs_residual_eV", "jump_fraction",
        "rms_difference_eV", "relative_residual"}}`` plus ``"all"``; ``rms_difference_eV`` is the
        RMS of the energy differences themselves and ``relative_residual`` the ratio of the two (a
        smooth surface gives a few hundredths at 0.3 Å). Samples with no close pair have
        ``pairs = 0`` and ``None`` elsewhere.

    Raises
    ------
    InputError
        No forces in the data set, or non-positive ``max_distance`` / ``threshold``.
    """
    if not (np.isfinite(max_distance) and max_distance > 0):
        raise InputError(f"max_distance must be > 0 Å, got {max_distance}")
    if not (np.isfinite(threshold) and threshold > 0):
        raise InputError(f"threshold must be > 0 eV, got {threshold}")
    forces = getattr(dataset, "forces", None)
    if forces is None or not np.isfinite(np.asarray(forces, dtype=float)).all(axis=1).any():
        raise InputError("the data set has no forces on the mobile atom; expected rows with forces")
    forces = np.asarray(forces, dtype=float)
    residuals: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    sids = np.asarray(dataset.sample_ids)
    for sid in sorted(set(sids.tolist())):
        idx = np.flatnonzero((sids == sid) & np.isfinite(forces).all(axis=1))
        pos, e, f = dataset.positions[idx], dataset.e_insert[idx], forces[idx]
        a, b, vec = _close_pairs(dataset.hosts[sid], pos, max_distance)
        de = e[b] - e[a]
        predicted = -0.5 * np.einsum("pk,pk->p", f[a] + f[b], vec)
        residuals[sid] = (de - predicted, de)
    out = {sid: _stats(r, de, threshold) for sid, (r, de) in residuals.items()}
    if residuals:
        out["all"] = _stats(
            np.concatenate([r for r, _ in residuals.values()]),
            np.concatenate([de for _, de in residuals.values()]),
            threshold,
        )
    return out


def _close_pairs(
    host: Any, pos: np.ndarray, max_distance: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs ``a < b`` of points closer than ``max_distance`` (minimum image), Å.

    Returns the indices ``a``, ``b`` and the vectors ``pos[b] − pos[a]`` (minimum image) of each
    pair, ``(P, 3)``. The periodic distances come in chunks from the site search's
    :func:`landscape.geometry.close_pairs` (an all-pairs ``(n, n, 3)`` array of 4000 points took
    > 20 GiB). Hosts are periodic in 3D (:func:`landscape.samples.load_sample` refuses others).
    """
    import torch

    from ..geometry import close_pairs, min_image

    if not all(host.pbc):
        raise InputError(
            f"host must be periodic in 3D for pair distances, got pbc={list(host.pbc)}"
        )
    cell = torch.as_tensor(np.asarray(host.cell.array), dtype=torch.float64)
    inv = torch.linalg.inv(cell)
    x = torch.as_tensor(np.asarray(pos), dtype=torch.float64)
    a, b = np.nonzero(np.triu(close_pairs(x, cell, inv, max_distance), 1))
    vec = min_image(x[b] - x[a], cell, inv).numpy()
    return a, b, vec


def _stats(res: np.ndarray, de: np.ndarray, threshold: float) -> dict[str, Any]:
    if len(res) == 0:
        return {
            "pairs": 0,
            "rms_residual_eV": None,
            "median_abs_residual_eV": None,
            "jump_fraction": None,
            "rms_difference_eV": None,
            "relative_residual": None,
        }
    rms_res, rms_de = float(np.sqrt(np.mean(res**2))), float(np.sqrt(np.mean(de**2)))
    return {
        "pairs": int(len(res)),
        "rms_residual_eV": rms_res,
        "median_abs_residual_eV": float(np.median(np.abs(res))),
        "jump_fraction": float(np.mean(np.abs(res) > threshold)),
        "rms_difference_eV": rms_de,
        "relative_residual": rms_res / rms_de if rms_de > 0 else None,
    }
