"""What a cross-check says: each link of the chain NNP → lower (CHGNet) → upper (PBE) on the same
points, and the barriers of the same paths by each method.

Insertion energies: ``e_insert = E(host + mobile atom) − E(host)`` of one method, both at the
lower method's relaxed geometries; the chemical potential of the mobile atom is left out. Two
methods' ``e_insert`` differ by a constant (the mobile atom's reference energy, and CHGNet's
Materials Project corrections), so a link's errors are taken after removing the **mean
difference over the points** (:func:`link_errors`, ``offset``); absolute energies of two methods
are never compared. The NNP predicts the lower method's ``e_insert`` itself, so its link to the
lower method also has a raw error (``mae_raw``). Barriers are maxima of one method's energy along
one path relative to its first image: no offset.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from .crosscheck_plan import IMAGE
from .dataset import HOST, POINT, connect_readonly

__all__ = ["link_errors", "crosscheck_summary", "describe_crosscheck"]


def link_errors(estimate: Any, target: Any) -> dict[str, Any]:
    """Errors of ``estimate`` against ``target`` (eV) after removing their mean difference.

    Parameters
    ----------
    estimate, target : array_like, shape (n,)
        One energy per point by two methods, eV.

    Returns
    -------
    dict
        ``n``; ``offset`` = mean(estimate − target); with ``e = estimate − target − offset``:
        ``mae`` = mean |e|, ``rmse`` = sqrt(mean e²), ``max_abs_error`` = max |e|; ``mae_raw`` =
        mean |estimate − target| (no offset removed). ``None`` everywhere for no point.

    Examples
    --------
    >>> r = link_errors([1.0, 1.5, 3.5], [0.0, 1.0, 2.0])
    >>> r["offset"], round(r["mae"], 6), r["max_abs_error"]
    (1.0, 0.333333, 0.5)
    """
    a = np.asarray(estimate, dtype=float)
    b = np.asarray(target, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise InputError(
            f"link_errors needs two 1-D arrays of one length, got {a.shape}, {b.shape}"
        )
    if not a.size:
        keys = ("offset", "mae", "rmse", "max_abs_error", "mae_raw")
        return {"n": 0} | dict.fromkeys(keys)
    d = a - b
    e = d - d.mean()
    return {
        "n": int(a.size),
        "offset": float(d.mean()),
        "mae": float(np.abs(e).mean()),
        "rmse": float(np.sqrt((e**2).mean())),
        "max_abs_error": float(np.abs(e).max()),
        "mae_raw": float(np.abs(d).mean()),
    }


def _mean(values: list[float]) -> float | None:
    return float(np.mean(values)) if values else None


def _timing(rows: list[Any]) -> dict[str, Any]:
    """Mean seconds of each method per calculation (ok rows), by kind and over all, and the
    upper method's mean SCF steps where it reports them."""
    out: dict[str, Any] = {}
    for kind in (HOST, POINT, IMAGE, "all"):
        sel = [r for r in rows if kind == "all" or r.get("kind") == kind]
        upper = [float(r.seconds_upper) for r in sel if r.get("seconds_upper") is not None]
        lower = [float(r.seconds_lower) for r in sel if r.get("seconds_lower") is not None]
        out[kind] = {
            "n": len(upper),
            "seconds_upper": _mean(upper),
            "seconds_lower": _mean(lower),
        }
    steps = [int(r.scf_steps) for r in rows if r.get("scf_steps") is not None]
    out["scf_steps_mean"] = _mean(steps)
    return out


def _points(rows: list[Any], host: Any, nnp: Any) -> dict[str, Any]:
    """Per-point insertion energies of both methods (and the NNP's) and the links' errors over
    the points where both methods converged."""
    e_host_lower, e_host_upper = float(host.e_lower), float(host.e_upper)
    ok = sorted((r for r in rows if r.get("status") == "ok"), key=lambda r: int(r.point_id))
    records = [
        {
            "point_id": int(r.point_id),
            "position": [float(c) for c in r.positions[-1]],
            "e_insert_reference": r.get("e_insert_reference"),
            "e_insert_lower": float(r.e_lower) - e_host_lower,
            "e_insert_upper": float(r.e_upper) - e_host_upper,
            "converged": bool(r.get("converged", False)),
        }
        for r in ok
    ]
    if nnp is not None and records:
        pred = nnp.predict(_host_atoms(host), np.array([p["position"] for p in records]))[0]
        for p, e in zip(records, pred, strict=True):
            p["e_insert_nnp"] = float(e)
    use = [p for p in records if p["converged"]]
    col = {
        k: np.array([p[k] for p in use], dtype=float) for k in ("e_insert_lower", "e_insert_upper")
    }
    links = {"lower_vs_upper": link_errors(col["e_insert_lower"], col["e_insert_upper"])}
    offset = links["lower_vs_upper"]["offset"]
    for p in records:
        if offset is not None:
            p["error_lower_vs_upper"] = p["e_insert_lower"] - p["e_insert_upper"] - offset
    if nnp is not None:
        e_nnp = np.array([p["e_insert_nnp"] for p in use], dtype=float)
        links["nnp_vs_lower"] = link_errors(e_nnp, col["e_insert_lower"])
        links["nnp_vs_upper"] = link_errors(e_nnp, col["e_insert_upper"])
    repro = [
        abs(p["e_insert_lower"] - float(p["e_insert_reference"]))
        for p in use
        if p["e_insert_reference"] is not None
    ]
    return {
        "points": records,
        "n_points": len(records),
        "n_unconverged": len(records) - len(use),
        "n_failed": sum(r.get("status") != "ok" for r in rows),
        "links": links,
        "lower_vs_reference_max_abs": max(repro) if repro else None,
    }


def _host_atoms(host_row: Any) -> Any:
    atoms = host_row.toatoms()
    atoms.calc = None
    return atoms


def _hop_record(h: int, rows: list[Any], host: Any, nnp: Any) -> dict[str, Any]:
    """One hop's profiles (eV, relative to its first image) and barriers by each method, from
    its image rows; ``complete`` when every one of the hop's ``n_images`` images (recorded in each
    row since 2026-12-07; any row of the hop tells) is written and ok. A hop none of whose rows
    records ``n_images`` is never complete: how many images it lacks is unknown."""
    first = rows[0]
    ok = sorted((r for r in rows if r.get("status") == "ok"), key=lambda r: int(r.image))
    n_images = next((int(r.n_images) for r in rows if r.get("n_images") is not None), None)
    rec: dict[str, Any] = {
        "hop": h,
        "images_done": len(ok),
        "n_images": n_images,
        "n_failed": len(rows) - len(ok),
    }
    for key in ("hop_i", "hop_j", "barrier_reference_file", "barrier_nnp_file"):
        if first.get(key) is not None:
            rec[key] = first.get(key)
    indices = [int(r.image) for r in ok]
    rec["complete"] = (
        n_images is not None and indices == list(range(n_images)) and len(rows) == len(ok)
    )
    rec["converged"] = all(bool(r.get("converged", False)) for r in ok)
    if not ok:
        return rec
    for role in ("lower", "upper"):
        e = np.array([float(r.get(f"e_{role}")) for r in ok])
        rec[f"profile_{role}"] = (e - e[0]).tolist()
        rec[f"barrier_{role}"] = float((e - e[0]).max())
    rec["difference"] = rec["barrier_lower"] - rec["barrier_upper"]
    if nnp is not None:
        e = nnp.predict(_host_atoms(host), np.array([r.positions[-1] for r in ok]))[0]
        rec["profile_nnp"] = (e - e[0]).tolist()
        rec["barrier_nnp"] = float((e - e[0]).max())
    return rec


def _barrier_stats(hops: list[dict[str, Any]], nnp: Any) -> dict[str, Any]:
    """Barrier differences (eV) over the complete hops whose relaxations and SCFs converged."""
    use = [h for h in hops if h["complete"] and h["converged"]]

    def stats(key: str, target: str) -> dict[str, Any]:
        d = np.array([h[key] - h[target] for h in use], dtype=float)
        if not d.size:
            return {"n": 0, "mae": None, "max_abs_error": None, "mean_signed": None}
        return {
            "n": int(d.size),
            "mae": float(np.abs(d).mean()),
            "max_abs_error": float(np.abs(d).max()),
            "mean_signed": float(d.mean()),
        }

    out = {"lower_vs_upper": stats("barrier_lower", "barrier_upper")}
    if nnp is not None:
        out["nnp_vs_lower"] = stats("barrier_nnp", "barrier_lower")
        out["nnp_vs_upper"] = stats("barrier_nnp", "barrier_upper")
    return out


def _sample_summary(rows: list[Any], nnp: Any) -> dict[str, Any]:
    """The summary of one sample's rows (see :func:`crosscheck_summary`)."""
    hosts = [r for r in rows if r.get("kind") == HOST and r.get("status") == "ok"]
    first = rows[0]
    out: dict[str, Any] = {
        "lower": first.get("lower_label"),
        "upper": first.get("upper_label"),
        "upper_version": first.get("upper_version"),
        "timing": _timing(rows),
    }
    if not hosts:
        return out | {"host": None}
    host = hosts[0]
    out["host"] = {
        "e_lower": float(host.e_lower),
        "e_upper": float(host.e_upper),
        "converged": bool(host.get("converged", False)),
    }
    out.update(_points([r for r in rows if r.get("kind") == POINT], host, nnp))
    by_hop: dict[int, list[Any]] = defaultdict(list)
    for r in rows:
        if r.get("kind") == IMAGE:
            by_hop[int(r.hop)].append(r)
    out["hops"] = [_hop_record(h, by_hop[h], host, nnp) for h in sorted(by_hop)]
    out["barriers"] = _barrier_stats(out["hops"], nnp)
    return out


def crosscheck_summary(
    db_path: str | Path, *, sample_id: str | None = None, nnp: Any = None
) -> dict[str, Any]:
    """Summarise a cross-check database (:func:`landscape.reference.crosscheck.run_crosscheck`).

    Parameters
    ----------
    db_path : str or Path
        The cross-check database (read only).
    sample_id : str, optional
        Only this sample (default: every sample in the database).
    nnp : object, optional
        A trained NNP (:class:`landscape.nnp.SimplifiedNNP`, or any object with
        ``predict(host, positions) -> (e_insert, spread)``), evaluated at the same mobile-atom
        positions in the cross-check's relaxed host.

    Returns
    -------
    dict
        ``samples``: per sample ``lower``, ``upper`` (labels), ``host`` (its two total energies,
        eV), ``points`` (per point ``e_insert_reference``, ``e_insert_lower``, ``e_insert_upper``,
        ``e_insert_nnp``, ``error_lower_vs_upper`` after the offset, eV), ``links``
        (:func:`link_errors` of ``lower_vs_upper``, ``nnp_vs_lower``, ``nnp_vs_upper`` over the
        points where both methods converged), ``lower_vs_reference_max_abs`` (eV: how exactly the
        lower relaxations reproduced the reference rows), ``hops`` (per hop both profiles and
        barriers, ``difference`` = lower − upper, eV), ``barriers`` (MAE, largest and mean
        signed difference over the complete converged hops), ``timing`` (mean seconds per
        calculation of each method, the upper method's mean SCF steps).

    Raises
    ------
    InputError
        Not a database, not a cross-check's, or no row of ``sample_id``.
    """
    db = connect_readonly(db_path, "cross-check database")
    by_sample: dict[str, list[Any]] = defaultdict(list)
    for row in db.select():
        if row.get("upper_label") is None:
            raise InputError(
                f"{str(db_path)!r} holds rows that are not a cross-check's (row {row.id} has no "
                "upper_label); expected the --out of landscape reference crosscheck"
            )
        if row.get("kind") in (HOST, POINT, IMAGE) and row.get("sample_id") is not None:
            by_sample[str(row.sample_id)].append(row)
    if sample_id is not None:
        if sample_id not in by_sample:
            raise InputError(
                f"cross-check database {str(db_path)!r} has no row of sample {sample_id!r}; "
                f"expected one of {sorted(by_sample)}"
            )
        by_sample = {sample_id: by_sample[sample_id]}
    return {"samples": {s: _sample_summary(rows, nnp) for s, rows in sorted(by_sample.items())}}


def _fmt(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def describe_crosscheck(summary: dict[str, Any]) -> list[str]:
    """Lines for a terminal: per sample, each link's errors on the points, the barriers along the
    hops and the time per calculation."""
    lines = []
    names = {"lower_vs_upper": "lower vs upper", "nnp_vs_lower": "NNP vs lower"}
    names["nnp_vs_upper"] = "NNP vs upper"
    for sid, s in summary["samples"].items():
        lines.append(f"{sid}: lower {s['lower']!r}, upper {s['upper']!r}")
        if s.get("host") is None:
            lines.append("  host not computed yet")
            continue
        lines.append(
            f"  points: {s['n_points']} done ({s['n_unconverged']} unconverged, "
            f"{s['n_failed']} failed); lower reproduces the reference to "
            f"{_fmt(s['lower_vs_reference_max_abs'], 4)} eV"
        )
        for key, link in s["links"].items():
            lines.append(
                f"  e_insert {names[key]}: MAE {_fmt(link['mae'])} eV, RMSE {_fmt(link['rmse'])} "
                f"eV, largest {_fmt(link['max_abs_error'])} eV over {link['n']} points (offset "
                f"{_fmt(link['offset'])} eV removed"
                + (
                    f"; MAE without it {_fmt(link['mae_raw'])} eV)"
                    if key == "nnp_vs_lower"
                    else ")"
                )
            )
        for h in s["hops"]:
            of = "?" if h["n_images"] is None else h["n_images"]
            state = "complete" if h["complete"] else f"{h['images_done']} of {of} images so far"
            lines.append(
                f"  hop {h['hop']} ({h.get('hop_i')}->{h.get('hop_j')}, {state}): barrier lower "
                f"{_fmt(h.get('barrier_lower'))} eV, upper {_fmt(h.get('barrier_upper'))} eV"
                + (f", NNP {_fmt(h['barrier_nnp'])} eV" if "barrier_nnp" in h else "")
            )
        for key, b in s["barriers"].items() if s["hops"] else ():
            lines.append(
                f"  barriers {names[key]}: MAE {_fmt(b['mae'])} eV, largest "
                f"{_fmt(b['max_abs_error'])} eV, mean signed {_fmt(b['mean_signed'])} eV over "
                f"{b['n']} complete hops"
            )
        t = s["timing"]["all"]
        lines.append(
            f"  {t['n']} upper calculations, {_fmt(t['seconds_upper'], 1)} s each on average "
            f"(lower relaxation {_fmt(t['seconds_lower'], 1)} s); mean SCF steps "
            f"{_fmt(s['timing']['scf_steps_mean'], 1)}"
        )
    return lines
