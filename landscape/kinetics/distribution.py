"""Several amorphous samples as a distribution: mean, spread and range of a quantity over them.

An amorphous material is a distribution of structures; one sample's activation energy is one draw.
:func:`sample_distribution` summarises per-sample values (Eₐ, percolation barrier, ...) as the
number of samples that have a value, the mean, the standard deviation over the samples
(``ddof = 1``: the spread of the distribution, not the error of the mean), the standard error of
the mean and the range. The study's summary, its report, ``landscape study`` and ``landscape db
compare`` show it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

__all__ = ["describe_distribution", "distribution", "sample_distribution"]


def distribution(values: Iterable[float | None]) -> dict | None:
    """Summary of one quantity over samples; ``None`` and NaN values (a sample without it) are
    left out.

    Returns
    -------
    dict or None
        ``n``, ``mean``, ``std`` (over the samples, ``ddof = 1``; None for one sample),
        ``stderr`` (of the mean, std / √n; None for one sample), ``min``, ``max``, in the unit of
        the values; None when no sample has a value.
    """
    v = np.array(
        [float(x) for x in values if x is not None and math.isfinite(float(x))], dtype=float
    )
    if not len(v):
        return None
    std = float(np.std(v, ddof=1)) if len(v) > 1 else None
    return {
        "n": int(len(v)),
        "mean": float(v.mean()),
        "std": std,
        "stderr": None if std is None else std / math.sqrt(len(v)),
        "min": float(v.min()),
        "max": float(v.max()),
    }


def sample_distribution(
    rows: Iterable[Mapping], fields: Mapping[str, str | Callable[[Mapping], Any]]
) -> dict:
    """:func:`distribution` of each ``fields`` value over ``rows`` (one mapping per sample).

    Parameters
    ----------
    rows : iterable of mapping
        One per sample.
    fields : mapping
        Output name → the key of the value in each row, or a function of the row that returns
        it (for nested rows).

    Returns
    -------
    dict
        ``n_samples`` (rows) and, per output name, the :func:`distribution` (or None).
    """
    rows = list(rows)
    out: dict = {"n_samples": len(rows)}
    for name, key in fields.items():
        get = key if callable(key) else (lambda r, key=key: r.get(key))
        out[name] = distribution(get(r) for r in rows)
    return out


def describe_distribution(dist: Mapping, labels: Mapping[str, str], unit: str = "eV") -> str:
    """One line: ``over N samples: <label> mean ± std (min–max) <unit>, ...`` for the entries of
    ``dist`` (from :func:`sample_distribution`) named in ``labels``; empty with fewer than two
    samples with a value (no distribution to speak of)."""
    parts = []
    for name, label in labels.items():
        d = dist.get(name)
        if d is None or d["n"] < 2:
            continue
        parts.append(
            f"{label} {d['mean']:.3f} ± {d['std']:.3f} {unit} ({d['min']:.3f}–{d['max']:.3f}"
            + (f", {d['n']} samples" if d["n"] != dist["n_samples"] else "")
            + ")"
        )
    if not parts:
        return ""
    return f"over {dist['n_samples']} samples (mean ± standard deviation, range): " + ", ".join(
        parts
    )
