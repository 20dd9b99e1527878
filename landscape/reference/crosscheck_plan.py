"""What a cross-check of the reference computes: points of the reference database spread over
their insertion energies, and every image of some validated hop paths
(:func:`plan_crosscheck`; run by :func:`landscape.reference.crosscheck.run_crosscheck`).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from ase import Atoms

from ..errors import InputError
from .database import find_host_row
from .dataset import HOST, POINT, connect_readonly
from .settings import Relaxation

__all__ = [
    "IMAGE",
    "CrosscheckTask",
    "CrosscheckPlan",
    "plan_crosscheck",
    "choose_points",
    "choose_hops",
    "load_validation",
]

#: ``kind`` of a row holding one image of a hop path.
IMAGE = "image"


@dataclass(frozen=True, eq=False)
class CrosscheckTask:
    """One geometry to compute: the mobile atom at ``position`` (Å), the host relaxed around it.

    ``kind`` is ``"point"`` (``key`` ``{"point_id": p}``) or ``"image"`` (``{"hop": h,
    "image": k}``); ``extra`` holds what the row records beside (the reference's ``e_insert``,
    the hop's sites and barriers in the validation file, eV)."""

    kind: str
    key: dict[str, int]
    position: np.ndarray
    relaxation: Relaxation
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class CrosscheckPlan:
    """What a cross-check computes for one sample: the host (as the reference relaxed it, Å),
    the mobile species, the host's relaxation settings and the tasks, points first."""

    sample_id: str
    species: str
    host: Atoms
    relaxation: Relaxation
    tasks: list[CrosscheckTask]


def _relaxation_of(row: Any) -> Relaxation:
    """The :class:`Relaxation` a reference point row was computed with."""
    radius = row.get("relax_radius")
    return Relaxation(
        fmax=float(row.target_fmax),
        max_steps=int(row.max_steps),
        optimizer=str(row.optimizer),
        relax_radius=None if radius is None else float(radius),
    )


def _reference_rows(db: Any, sample_id: str, db_path: str | Path) -> list[Any]:
    """The finished, converged point rows of ``sample_id`` (InputError naming the samples there
    when it has none)."""
    rows = [
        r
        for r in db.select(kind=POINT, sample_id=sample_id, status="ok")
        if bool(r.get("converged", False)) and r.get("e_insert") is not None
    ]
    if not rows:
        samples = sorted({str(r.sample_id) for r in db.select(kind=HOST, include_data=False)})
        raise InputError(
            f"sample {sample_id!r} has no converged point in reference database "
            f"{str(db_path)!r}; expected one of {samples}"
        )
    return rows


def choose_points(rows: list[Any], n_points: int) -> list[CrosscheckTask]:
    """``n_points`` reference rows spread evenly over their sorted ``e_insert`` (eV).

    The rows are sorted by ``(e_insert, point_id)`` and cut into ``n_points`` bins of equal
    count; the row in the middle of each bin is taken (quantiles ``(i + 1/2) / n_points``), so
    the choice spans the range without its most extreme rows and is the same on every run.

    Raises
    ------
    InputError
        ``n_points < 1`` or more points than rows.
    """
    if n_points < 1:
        raise InputError(f"points must be >= 1, got {n_points}")
    if n_points > len(rows):
        raise InputError(
            f"{n_points} points asked for, but the sample has {len(rows)} converged reference "
            "points"
        )
    order = sorted(rows, key=lambda r: (float(r.e_insert), int(r.point_id)))
    pick = ((np.arange(n_points) + 0.5) * len(order) / n_points).astype(int)
    return [
        CrosscheckTask(
            POINT,
            {"point_id": int(order[k].point_id)},
            np.asarray(order[k].positions[0], dtype=float),
            _relaxation_of(order[k]),
            {"e_insert_reference": float(order[k].e_insert)},
        )
        for k in pick
    ]


def load_validation(
    path: str | Path, sample_id: str, *, option: str = "--hops"
) -> list[dict[str, Any]]:
    """The hops of a ``landscape validate-hops`` result (``--out`` JSON) of ``sample_id``;
    ``option`` is the command-line option that named the file, in the error messages.

    Raises
    ------
    InputError
        Missing or unreadable file, not JSON, another sample, no hop, or a hop without
        ``images`` (a list of at least two positions [x, y, z], Å) or ``barrier_reference``.
    """
    path = Path(path)
    name = repr(str(path))
    if not path.is_file():
        raise InputError(f"{option} {name} does not exist; expected a validate-hops result (JSON)")
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{option} {name} is not a readable JSON file ({exc})") from None
    hops = data.get("hops") if isinstance(data, dict) else None
    if not isinstance(hops, list) or not hops:
        raise InputError(f"{option} {name} has no list 'hops'; expected a validate-hops result")
    if data.get("sample_id") not in (None, sample_id):
        raise InputError(
            f"{option} {name} validates sample {data.get('sample_id')!r}, not {sample_id!r}"
        )
    for h, hop in enumerate(hops):
        try:
            images = np.asarray(hop["images"], dtype=float)
            float(hop["barrier_reference"])
        except (KeyError, TypeError, ValueError):
            raise InputError(
                f"{option} {name}: hop {h} lacks numeric 'images' and 'barrier_reference'"
            ) from None
        if images.ndim != 2 or images.shape[0] < 2 or images.shape[1] != 3:
            raise InputError(
                f"{option} {name}: hop {h} has images of shape {images.shape}; expected (n >= 2, 3)"
            )
        if not np.all(np.isfinite(images)):
            raise InputError(f"{option} {name}: hop {h} has non-finite image positions")
    return hops


def choose_hops(
    hops: list[dict[str, Any]], n_hops: int, relaxation: Relaxation
) -> list[CrosscheckTask]:
    """Every image of ``n_hops`` hops of a validation, spread over their reference barriers.

    Only hops whose NNP band and reference relaxations converged count (``band_converged``,
    ``converged``; a missing key counts as converged). They are sorted by ``barrier_reference``
    (eV) and taken at evenly spaced ranks, ends included: for three, the lowest, the median and
    the highest barrier. Each image becomes one task relaxed with ``relaxation``.

    Raises
    ------
    InputError
        ``n_hops < 1`` or no converged hop.
    """
    if n_hops < 1:
        raise InputError(f"n_hops must be >= 1, got {n_hops}")
    usable = [
        (float(hop["barrier_reference"]), h)
        for h, hop in enumerate(hops)
        if bool(hop.get("converged", True)) and bool(hop.get("band_converged", True))
    ]
    if not usable:
        raise InputError("the validation has no hop whose band and relaxations converged")
    usable.sort()
    ranks = np.unique(np.linspace(0, len(usable) - 1, min(n_hops, len(usable))).round())
    tasks = []
    for r in ranks.astype(int):
        h = usable[r][1]
        hop = hops[h]
        images = np.asarray(hop["images"], dtype=float)
        extra = {
            "barrier_reference_file": float(hop["barrier_reference"]),
            "n_images": len(images),  # how many make the hop complete (the summary reads it)
        }
        for key, name in (("i", "hop_i"), ("j", "hop_j")):
            if hop.get(key) is not None:
                extra[name] = int(hop[key])
        if hop.get("barrier_nnp") is not None:
            extra["barrier_nnp_file"] = float(hop["barrier_nnp"])
        for k, x in enumerate(images):
            tasks.append(CrosscheckTask(IMAGE, {"hop": h, "image": k}, x, relaxation, extra))
    return tasks


def plan_crosscheck(
    sample_id: str,
    reference_db: str | Path,
    *,
    n_points: int = 20,
    validation: str | Path | None = None,
    n_hops: int = 3,
) -> CrosscheckPlan:
    """The cross-check of ``sample_id``: ``n_points`` points of the reference database
    (:func:`choose_points`) and every image of ``n_hops`` hops of a validation file
    (:func:`choose_hops`; none without ``validation``).

    The host is the reference's relaxed host (its ``kind="host"`` row); the images relax with the
    settings most of the sample's reference points used.

    Raises
    ------
    InputError
        A database that is not one, an unknown sample, too many points, a bad validation file.
    """
    hops = None if validation is None else load_validation(validation, sample_id)  # cheap first
    db = connect_readonly(reference_db, "reference database")
    rows = _reference_rows(db, sample_id, reference_db)
    labels = {str(r.get("calculator")) for r in rows}
    host_row = find_host_row(db, sample_id, sorted(labels)[0]) if len(labels) == 1 else None
    if host_row is None:
        raise InputError(
            f"reference database {str(reference_db)!r} has no single host row of {sample_id!r} "
            f"for its points' calculator {sorted(labels)}"
        )
    host = host_row.toatoms()
    host.calc = None
    host.info["sample_id"] = sample_id
    host.info["reference_calculator"] = str(host_row.get("calculator"))
    settings = Counter(_relaxation_of(r) for r in rows).most_common()
    relaxation = sorted(settings, key=lambda s: (-s[1], repr(s[0])))[0][0]
    species = Counter(str(r.get("species", "Cu")) for r in rows).most_common(1)[0][0]
    tasks = choose_points(rows, n_points)
    if hops is not None:
        tasks += choose_hops(hops, n_hops, relaxation)
    return CrosscheckPlan(sample_id, species, host, relaxation, tasks)
