"""How good is the reference? A lower method's relaxed geometries, evaluated by an upper method.

The reference energies (``landscape reference run``) come from a *lower* method (CHGNet, standing
in for DFT), the host relaxed around the fixed mobile atom. A cross-check takes points of that
reference and images of validated hop paths (:mod:`landscape.reference.crosscheck_plan`), relaxes the host around the fixed mobile atom with
the lower method exactly as the reference run did (its settings are read from the reference rows),
and evaluates the *upper* method (CP2K, PBE) once on exactly that relaxed geometry; the relaxed
host alone is treated the same way. :mod:`landscape.reference.crosscheck_summary` compares them.

Every calculation is written to an ASE database the moment it finishes, one row per geometry
(one SQLite transaction, so a killed run leaves no half-written row): ``kind`` ``"host"``,
``"point"`` (``point_id`` of the reference row) or ``"image"`` (``hop``: the hop's index in the
validation file, ``image``: the image's index along it), the full relaxed structure with the
upper method's energy and forces, ``e_lower`` and ``e_upper`` (eV, total), the relaxation's
settings and outcome, both methods' labels, versions and parameters, the seconds of each method,
and convergence (``converged_lower``, ``converged_upper``: the upper method's SCF where it says;
``converged``: both). A re-run skips every geometry already written (a failed one too, unless
``retry_failed``), so a run resumes after a kill; the upper method's failure on one geometry is
written as ``status="failed"`` with its one-line reason and the run goes on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from ase import Atoms

from ..errors import InputError
from .crosscheck_plan import IMAGE, CrosscheckPlan, CrosscheckTask
from .database import labelled_atoms, open_reference_db
from .dataset import HOST, POINT
from .relax import HOST_ALONE_MAX_STEPS, mic_vectors, relax_host, relax_insertion
from .settings import Relaxation

__all__ = ["CrosscheckMethods", "run_crosscheck"]

#: Å: a stored geometry belongs to a task when its mobile atom is this close to the task's.
_SAME_POSITION = 1e-6


@dataclass(frozen=True)
class CrosscheckMethods:
    """The two methods of a cross-check: a name for :func:`landscape.calculators.get_calculator`
    with its keyword arguments, or an ASE calculator object (used as it is, never rebuilt).

    Attributes
    ----------
    lower : str or Calculator
        The reference's method (default CHGNet): relaxes the host.
    upper : str or Calculator
        The method checked against (default ``"cp2k"``, PBE): one single point per geometry.
    lower_kwargs, upper_kwargs : dict, optional
        Keyword arguments of a named method (CP2K: ``ranks``, ``cutoff``, ...).
    """

    lower: str | Any = "chgnet"
    upper: str | Any = "cp2k"
    lower_kwargs: dict[str, Any] = field(default_factory=dict)
    upper_kwargs: dict[str, Any] = field(default_factory=dict)


class _Method:
    """One method of a cross-check: its calculator, built on first use (and again after a
    failure, when built from a name), and its record (label, version, parameters)."""

    def __init__(self, spec: str | Any, kwargs: dict[str, Any]) -> None:
        from ..calculators import calculator_info, check_calculator_available

        self.spec, self.kwargs, self._calc = spec, dict(kwargs), None
        if isinstance(spec, str):
            check_calculator_available(spec, self.kwargs)
            self.meta = calculator_info(spec, self.kwargs)
        else:
            name = f"{type(spec).__module__}:{type(spec).__name__}"
            self.meta = calculator_info(name, getattr(spec, "parameters", None) or {})
            self._calc = spec

    @property
    def calc(self) -> Any:
        if self._calc is None:
            from ..calculators import get_calculator

            self._calc = get_calculator(self.spec, **self.kwargs)
        return self._calc

    def reset(self) -> None:
        """Close a calculator built from a name (a CP2K shell) so the next use starts afresh."""
        if isinstance(self.spec, str) and self._calc is not None:
            close = getattr(self._calc, "close", None)
            self._calc = None
            if close is not None:
                try:
                    close()
                except Exception:  # noqa: BLE001 - a broken shell: dropping it is enough
                    pass

    def record(self, role: str) -> dict[str, str]:
        """The row's keys of this method: ``{role}_label``, ``_version``, ``_params``."""
        return {
            f"{role}_label": self.meta["calculator"],
            f"{role}_version": self.meta["calculator_version"],
            f"{role}_params": self.meta["calculator_params"],
        }


def _single_point(method: _Method, atoms: Atoms) -> dict[str, Any]:
    """The upper method's energy (eV), forces (eV/Å, when it has them), seconds and SCF report
    on a copy of ``atoms``."""
    from ase.calculators.cp2k import CP2K

    from ..calculators.cp2k import cp2k_output_size, cp2k_scf_report

    calc = method.calc
    is_cp2k = isinstance(calc, CP2K)
    offset = cp2k_output_size(calc) if is_cp2k else 0
    geometry = atoms.copy()
    geometry.set_constraint()
    geometry.calc = calc
    t0 = time.perf_counter()
    energy = float(geometry.get_potential_energy())
    forces = None
    if "forces" in getattr(calc, "implemented_properties", ()):
        forces = np.asarray(geometry.get_forces(), dtype=float)
    seconds = time.perf_counter() - t0
    geometry.calc = None
    if not np.isfinite(energy):
        raise ValueError(f"non-finite energy {energy}")
    report = cp2k_scf_report(calc, offset) if is_cp2k else {"converged": True, "scf_steps": None}
    return {"energy": energy, "forces": forces, "seconds": seconds, **report}


def _done_rows(db: Any, sample_id: str) -> dict[tuple, Any]:
    """The rows already written for ``sample_id``, by ``(kind, key...)``."""
    done = {}
    for row in db.select(sample_id=sample_id):
        kind = row.get("kind")
        if kind == HOST:
            done[(HOST,)] = row
        elif kind == POINT:
            done[(POINT, int(row.point_id))] = row
        elif kind == IMAGE:
            done[(IMAGE, int(row.hop), int(row.image))] = row
    return done


def _task_id(task: CrosscheckTask) -> tuple:
    return (task.kind, *task.key.values())


def _check_methods(db: Any, out: str | Path, lower: _Method, upper: _Method) -> None:
    """Refuse to add rows of other methods (or other parameters) to a cross-check database."""
    want = {**lower.record("lower"), **upper.record("upper")}
    for row in db.select(include_data=False):
        for key in ("lower_label", "lower_params", "upper_label", "upper_params"):
            have = row.get(key)
            if have is not None and str(have) != want[key]:
                raise InputError(
                    f"cross-check database {str(out)!r} holds rows with {key} {have!r}, not "
                    f"{want[key]!r}; use another --out for other methods or settings"
                )


def _check_position(row: Any, task: CrosscheckTask, cell: np.ndarray, out: str | Path) -> None:
    """A stored geometry must have its mobile atom where the task puts it."""
    stored = np.asarray(row.positions[-1], dtype=float)
    off = float(np.linalg.norm(mic_vectors(cell, (stored - task.position)[None])[0]))
    if off > _SAME_POSITION:
        raise InputError(
            f"cross-check database {str(out)!r} holds {task.kind} {task.key} with the mobile atom "
            f"{off:.3g} Å from where this run puts it (another reference database or validation "
            "file?); use another --out"
        )


def _relaxation_keys(relaxation: Relaxation) -> dict[str, Any]:
    keys = {
        "target_fmax": float(relaxation.fmax),
        "max_steps": int(relaxation.max_steps),
        "optimizer": str(relaxation.optimizer),
    }
    if relaxation.relax_radius is not None:
        keys["relax_radius"] = float(relaxation.relax_radius)
    return keys


def _write(
    db: Any, atoms: Atoms, upper: _Method, lower: _Method, up: dict | None, kv: dict[str, Any]
) -> None:
    """One row: ``atoms`` labelled with the upper method's energy and forces (when it ran)."""
    energy = None if up is None else up["energy"]
    forces = None if up is None else up["forces"]
    row = {**kv, **lower.record("lower"), **upper.record("upper")}
    if up is not None:
        row.update(e_upper=up["energy"], seconds_upper=round(up["seconds"], 3))
        if up["converged"] is not None:
            row["converged_upper"] = bool(up["converged"])
        if up["scf_steps"] is not None:
            row["scf_steps"] = int(up["scf_steps"])
        ok = bool(up["converged"] is not False) and bool(kv.get("converged_lower", True))
        row["converged"] = ok
    db.write(labelled_atoms(atoms.copy(), upper.meta["calculator"], energy, forces), **row)


def _host_row(db, done, plan: CrosscheckPlan, lower: _Method, upper: _Method) -> Atoms:
    """The host alone: relaxed by the lower method, one upper single point (computed and written
    unless done); returns the relaxed host (Å) the points are inserted into."""
    if (HOST,) in done and done[(HOST,)].get("status") == "ok":
        host = done[(HOST,)].toatoms()
        host.calc = None
        return host
    rx = plan.relaxation
    relaxed, e_lower, info = relax_host(
        plan.host,
        lower.calc,
        fmax=rx.fmax,
        max_steps=max(rx.max_steps, HOST_ALONE_MAX_STEPS),
        optimizer=rx.optimizer,
    )
    up = _single_point(upper, relaxed)  # a failure of the host stops the run: nothing to compare
    kv = {
        "kind": HOST,
        "sample_id": plan.sample_id,
        "status": "ok",
        "e_lower": e_lower,
        "converged_lower": bool(info["converged"]),
        "relax_fmax": float(info["fmax"]),
        "steps": int(info["steps"]),
        "seconds_lower": round(info["seconds"], 3),
        **_relaxation_keys(replace(rx, max_steps=max(rx.max_steps, HOST_ALONE_MAX_STEPS))),
    }
    if (HOST,) in done:
        db.delete([done[(HOST,)].id])
    _write(db, relaxed, upper, lower, up, kv)
    return relaxed


def _compute(
    db, host: Atoms, plan: CrosscheckPlan, task: CrosscheckTask, lower: _Method, upper: _Method
) -> bool:
    """Relax the host around the task's fixed mobile atom (lower), one single point (upper),
    write the row; returns whether it succeeded (a failure is written as ``status="failed"``)."""
    rx = task.relaxation
    kv: dict[str, Any] = {
        "kind": task.kind,
        "sample_id": plan.sample_id,
        "species": plan.species,
        **task.key,
        **task.extra,
        **_relaxation_keys(rx),
    }
    try:
        res = relax_insertion(
            host,
            task.position,
            lower.calc,
            species=plan.species,
            fmax=rx.fmax,
            max_steps=rx.max_steps,
            relax_radius=rx.relax_radius,
            optimizer=rx.optimizer,
            return_atoms=True,
        )
    except Exception as exc:  # noqa: BLE001 - written as a failed row, the run goes on
        return _failed(db, host, plan, task, upper, lower, kv, "lower", exc)
    kv.update(
        e_lower=float(res["energy"]),
        converged_lower=bool(res["converged"]),
        relax_fmax=float(res["fmax"]),
        steps=int(res["steps"]),
        max_displacement=float(res["max_displacement"]),
        seconds_lower=round(float(res["seconds"]), 3),
    )
    try:
        up = _single_point(upper, res["atoms"])
    except Exception as exc:  # noqa: BLE001 - written as a failed row, the run goes on
        upper.reset()
        return _failed(db, res["atoms"], plan, task, upper, lower, kv, "upper", exc)
    _write(db, res["atoms"], upper, lower, up, {**kv, "status": "ok"})
    return True


def _failed(db, atoms, plan, task, upper, lower, kv, stage: str, exc: Exception) -> bool:
    """Write the task's row as failed at ``stage`` (``"lower"`` or ``"upper"``) with the one-line
    reason; returns False."""
    geometry = atoms.copy()
    if stage == "lower":  # no relaxed geometry: the host with the mobile atom where it was put
        from ase import Atom

        geometry.append(Atom(plan.species, task.position))
        geometry.wrap()
    reason = (str(exc).splitlines() or [type(exc).__name__])[0][:300]
    kv = {**kv, "status": "failed", "stage": stage, "error": f"{type(exc).__name__}: {reason}"}
    _write(db, geometry, upper, lower, None, kv)
    return False


def run_crosscheck(
    plan: CrosscheckPlan,
    out: str | Path,
    methods: CrosscheckMethods | None = None,
    *,
    limit: int | None = None,
    retry_failed: bool = False,
    progress: bool = True,
) -> dict[str, Any]:
    """Compute the plan's geometries not yet in ``out`` and write each at once (resumable).

    First the host alone (lower relaxation, upper single point), then every task: the host
    relaxed around the fixed mobile atom by the lower method (the task's settings), then one
    upper single point on exactly that geometry. See the module's docstring for the rows.

    Parameters
    ----------
    plan : CrosscheckPlan
        From :func:`plan_crosscheck`.
    out : str or Path
        The cross-check database (created if missing; resumed if it exists).
    methods : CrosscheckMethods, optional
        Lower and upper methods (default CHGNet and CP2K; CP2K writes its input, log and
        wavefunction files into the folder ``OUT.cp2k`` beside ``out`` unless given a ``label``).
    limit : int, optional
        Compute at most this many tasks in this run (the host not counted), then stop.
    retry_failed : bool
        Compute failed rows again (each is replaced).
    progress : bool
        Progress bar.

    Returns
    -------
    dict
        ``sample_id``, ``tasks``, ``skipped`` (already written), ``done``, ``failed``,
        ``remaining`` (not yet written after this run), ``seconds``.

    Raises
    ------
    InputError
        ``out`` holds rows of other methods or parameters, or a geometry of another plan; a
        named method whose program is missing.
    """
    from tqdm.auto import tqdm

    t0 = time.perf_counter()
    methods = methods or CrosscheckMethods()
    lower = _Method(methods.lower, methods.lower_kwargs)
    if lower.meta["calculator"].lower() != plan.host.info.get("reference_calculator", "").lower():
        raise InputError(
            f"the lower method {lower.meta['calculator']!r} is not the reference's "
            f"{plan.host.info.get('reference_calculator')!r}; the cross-check relaxes the host "
            "with the reference's own method"
        )
    upper_kwargs = dict(methods.upper_kwargs)
    if isinstance(methods.upper, str) and methods.upper.strip().lower() == "cp2k":
        upper_kwargs.setdefault("label", str(Path(f"{out}.cp2k") / "cp2k"))
    upper = _Method(methods.upper, upper_kwargs)
    if limit is not None and limit < 0:
        raise InputError(f"limit must be >= 0, got {limit}")
    db = open_reference_db(out)
    _check_methods(db, out, lower, upper)
    done = _done_rows(db, plan.sample_id)
    cell = np.asarray(plan.host.cell)
    for task in plan.tasks:
        if _task_id(task) in done:
            _check_position(done[_task_id(task)], task, cell, out)
    todo = [
        t
        for t in plan.tasks
        if _task_id(t) not in done or (retry_failed and done[_task_id(t)].status != "ok")
    ]
    counts = {"sample_id": plan.sample_id, "tasks": len(plan.tasks)}
    counts |= {"skipped": len(plan.tasks) - len(todo), "done": 0, "failed": 0}
    if limit is not None:
        todo = todo[:limit]
    bar = tqdm(total=len(todo) + 1, desc=f"{plan.sample_id} cross-check", disable=not progress)
    try:
        host = _host_row(db, done, plan, lower, upper)
        bar.update(1)
        for task in todo:
            if _task_id(task) in done:  # a failed row computed again
                db.delete([done[_task_id(task)].id])
            ok = _compute(db, host, plan, task, lower, upper)
            counts["done" if ok else "failed"] += 1
            bar.update(1)
    finally:
        bar.close()
        upper.reset()
    written = _done_rows(db, plan.sample_id)
    counts["remaining"] = sum(_task_id(t) not in written for t in plan.tasks)
    counts["seconds"] = time.perf_counter() - t0
    return counts
