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
    pair, ``(P, 3)``. A k-d tree over the points and the periodic images of those within
    ``max_distance`` of a face of the cell: memory and time grow with the number of points and
    pairs, not with its square (an all-pairs distance matrix of 4000 points took > 20 GiB).
    """
    from itertools import product

    from scipy.spatial import cKDTree

    n = len(pos)
    if n < 2:
        return np.zeros(0, int), np.zeros(0, int), np.zeros((0, 3))
    cell = np.asarray(host.cell.array, dtype=float)
    pbc = np.asarray(host.pbc, dtype=bool)
    pos = np.asarray(pos, dtype=float)
    if pbc.any():
        # distance of the faces apart along each periodic direction, Å
        heights = abs(np.linalg.det(cell)) / np.linalg.norm(
            np.cross(cell[[1, 2, 0]], cell[[2, 0, 1]]), axis=1
        )
        if max_distance >= 0.5 * heights[pbc].min():
            raise InputError(
                f"max_distance {max_distance} Å is not below half the cell's smallest height "
                f"({0.5 * heights[pbc].min():.3f} Å); expected a shorter pair distance"
            )
        frac = np.linalg.solve(cell.T, pos.T).T
        frac[:, pbc] %= 1.0
        pos = frac @ cell
        margin = np.where(pbc, max_distance / heights, 0.0)
    images, owner = [pos], [np.arange(n)]
    for shift in product((-1, 0, 1), repeat=3):
        s = np.array(shift)
        if not s.any() or (s[~pbc] != 0).any():
            continue
        near = np.ones(n, bool)
        for k in range(3):
            if s[k] == 1:
                near &= frac[:, k] < margin[k]
            elif s[k] == -1:
                near &= frac[:, k] > 1.0 - margin[k]
        if near.any():
            images.append(pos[near] + s @ cell)
            owner.append(np.flatnonzero(near))
    x, owner = np.concatenate(images), np.concatenate(owner)
    pairs = cKDTree(x).query_pairs(max_distance, output_type="ndarray")  # p < q
    pairs = pairs[pairs[:, 0] < n]  # an original point with any point or image
    p, q = pairs[:, 0], pairs[:, 1]
    a, b, vec = owner[p], owner[q], x[q] - x[p]
    keep = a != b
    a, b, vec = a[keep], b[keep], vec[keep]
    flip = a > b
    a[flip], b[flip], vec[flip] = b[flip], a[flip], -vec[flip]
    # a pair close through an image turns up twice (a with b's image, b with a's): keep one
    order = np.lexsort((np.einsum("pk,pk->p", vec, vec), b, a))
    a, b, vec = a[order], b[order], vec[order]
    first = np.ones(len(a), bool)
    first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    return a[first], b[first], vec[first]


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
