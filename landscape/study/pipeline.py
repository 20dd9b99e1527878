"""The whole study in one call: samples → reference → NNP → sites and hops → graph → kinetics → report.

Each stage is cached in ``<out>/cache`` under the content hash of its inputs, so a re-run recomputes
only what changed, and a run that failed resumes from the last finished stage. Results go to the
graph store (``Sample``, ``Site``, ``HOP``, ``Model`` and ``Kinetics`` nodes) and to the results folder
(``summary.json``, ``networks/<sample>.json``, figures and ``index.html``).

With ``reference.targeted_rounds = n``, the NNP step repeats n times after the first training:
explore the training samples, compute reference energies at their networks' sites and saddles
(``origin = "network"``), retrain on them too. The minima of a potential fitted to noisy data sit
where its error is most negative; reference points exactly there correct the barriers (README,
"How good is the simplified potential here").
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx

from .._paths import write_json_atomic
from ..contracts import network_from_data, save_network
from .cache import file_sha
from .report import study_report
from .stages import (
    complete_reference,
    load_samples,
    reference_db,
    store_results,
    targeted_round,
    train_or_load,
    validation_samples,
)
from .studyfile import StudyConfig
from .summary import study_summary

__all__ = ["run_study", "StudyResult"]


# --------------------------------------------------------------------------- progress
class _Stages:
    """One progress display across all stages (rich), or plain lines when not a terminal."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.enabled = enabled
        self._progress = None
        self._task = None
        self._t0 = time.perf_counter()
        #: wall seconds of each finished stage, by its name at ``step`` (cached ones take ~0 s)
        self.seconds: dict[str, float] = {}
        self._current: tuple[str, float] | None = None
        if enabled:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("[bold]study[/]"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total}"),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                transient=False,
            )
            self._progress.start()
            self._task = self._progress.add_task("starting", total=total)

    def step(self, description: str) -> None:
        self._current = (description, time.perf_counter())
        if self._progress is not None:
            self._progress.update(self._task, description=description)

    def set_total(self, total: int) -> None:
        if self._progress is not None:
            self._progress.update(self._task, total=total)

    def done(self, description: str, cached: bool) -> None:
        if self._current is not None:
            name, t0 = self._current
            self.seconds[name] = round(time.perf_counter() - t0, 2)
            self._current = None
        if self._progress is not None:
            tag = " (cached)" if cached else ""
            self._progress.update(self._task, advance=1, description=description + tag)

    def finish(self, description: str, cached: bool, *, name: str, seconds: float) -> None:
        """A stage that ran elsewhere (a worker) finished: ``seconds`` of it there, under
        ``name``; the bar advances by one."""
        self.seconds[name] = round(float(seconds), 2)
        if self._progress is not None:
            tag = " (cached)" if cached else ""
            self._progress.update(self._task, advance=1, description=description + tag)

    def note(self, text: str) -> None:
        """A line printed above the bar (nothing when the display is off)."""
        if self._progress is not None:
            self._progress.console.print(text)

    def sub_progress(self, description: str):
        """A second bar for one long stage: returns ``update(done, total)`` (or ``None`` when
        the display is off) and removes the bar when ``done`` reaches ``total``."""
        if self._progress is None:
            return None
        task = self._progress.add_task(description, total=None)
        removed = [False]

        def update(done: int, total: int) -> None:
            if removed[0]:  # a last call after the bar was full (members that stopped early)
                return
            self._progress.update(task, completed=done, total=total)
            if done >= total:
                self._progress.remove_task(task)
                removed[0] = True

        return update

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()


@dataclass
class StudyResult:
    """What a study produced: the summary (as in ``summary.json``) and where its files are."""

    summary: dict
    out_dir: Path
    report: Path
    networks: dict[str, nx.MultiDiGraph] = field(default_factory=dict)
    cached: dict[str, bool] = field(default_factory=dict)


def _train(cfg: StudyConfig, db: Path, cache: Path, stages: _Stages, label: str):
    """Train (or load) the NNP with a bar of members × epochs; print how long training took."""
    nnp = cfg.nnp
    bar = stages.sub_progress(
        f"NNP{label}: {nnp.n_models} members × {nnp.max_epochs} epochs"
        + (f" + {nnp.lbfgs_steps} L-BFGS steps" if nnp.lbfgs_steps else "")
    )
    model, key, cached = train_or_load(cfg, db, cache, progress=bar)
    if not cached:
        features = getattr(model, "feature_seconds_", None) or 0.0
        stages.note(
            f"NNP{label} trained in {model.fit_seconds_:.0f} s ({features:.0f} s symmetry "
            f"functions, {model.fit_seconds_ - features:.0f} s training {nnp.n_models} members)"
        )
    return model, key, cached


# --------------------------------------------------------------------------- the study
def _per_sample(cfg, out, cache, model, model_key, samples, to_validate, stages, cached):
    """Sites and hops, kinetics and validation of every sample (where ``[study]`` says:
    :mod:`landscape.study.persample`); this process writes every result and cache file.
    Returns ``networks``, ``kinetics`` and ``validation``, each a dict in study order."""
    from ..contracts import hop_counts
    from ..explore import describe_validation, validation_errors
    from .persample import map_sample_jobs, sample_jobs

    jobs = sample_jobs(cfg, cache, model_key, samples, to_validate)
    where = _where(cfg, len(jobs))
    stages.step(f"sites, hops and kinetics of {len(jobs)} samples{where}")
    networks: dict[str, nx.MultiDiGraph] = {}
    kinetics: dict[str, dict] = {}
    validation: dict[str, dict] = {}
    for job, res in map_sample_jobs(cfg, model, jobs):
        sid = job.sid
        G = network_from_data(res["network"])
        G.graph["sample_id"] = sid
        if res["computed"]["network"]:
            write_json_atomic(job.network_path, res["network"])
        save_network(G, out / "networks" / f"{sid}.json")
        networks[sid] = G
        if res["computed"]["kinetics"]:
            write_json_atomic(job.kinetics_path, res["kinetics"])
        kinetics[sid] = dict(res["kinetics"], ensemble=res["ensemble"])
        cached.update(job.cached)
        secs = res["seconds"]
        stages.finish(
            f"{sid}: {G.number_of_nodes()} sites, {G.number_of_edges()} hops "
            f"({hop_counts(G)['pairs']} pairs)",
            cached[f"explore:{sid}"],
            name=f"sites and hops of {sid}",
            seconds=secs.get("explore", 0.0),
        )
        stages.finish(
            f"kinetics of {sid}",
            cached[f"kinetics:{sid}"],
            name=f"kinetics of {sid}",
            seconds=secs.get("kinetics", 0.0),
        )
        if job.validate:
            if res["computed"]["validation"]:
                write_json_atomic(job.validation_path, res["validation"])
            # figures over the hops whose NNP band and reference relaxations converged (also
            # for results cached before validate_hops reported them)
            v = res["validation"]
            v.update(validation_errors(v["hops"]))
            validation[sid] = v
            stages.finish(
                f"{sid}: {describe_validation(v)}",
                cached[f"validate:{sid}"],
                name=f"validating {cfg.validate.hops} hops of {sid} against the reference",
                seconds=secs.get("validate", 0.0),
            )
    order = list(samples)  # completion order -> study order
    networks = {sid: networks[sid] for sid in order}
    kinetics = {sid: kinetics[sid] for sid in order}
    validation = {sid: validation[sid] for sid in order if sid in validation}
    return networks, kinetics, validation


def _where(cfg: StudyConfig, n_jobs: int) -> str:
    """Where the per-sample stages run, for the progress line."""
    study = cfg.study
    if study.scheduler:
        return f" on the Dask scheduler {study.scheduler}"
    if study.cluster:
        return f" on a {study.cluster.get('type')} Dask cluster"
    if study.workers > 1 and n_jobs > 1:
        return f" in {min(study.workers, n_jobs)} processes"
    return ""


def run_study(cfg: StudyConfig, *, progress: bool = True, store: bool = True) -> StudyResult:
    """Run a whole study (see the module docstring); returns its summary and file locations.

    Parameters
    ----------
    cfg : StudyConfig
        The validated study (:func:`landscape.study.load_study`).
    progress : bool
        Show one progress display across the stages.
    store : bool
        Write samples, networks, the model and kinetics results to the graph store.

    Raises
    ------
    InputError, StoreError, ConvergenceError
        Bad input, an unreachable database, a failed stage; finished stages stay cached.
    """
    out = cfg.resolve(cfg.study.out)
    cache = out / "cache"
    # the folders this run creates: those still empty are removed if it fails
    created: list[Path] = []
    if not (out / "figures").exists():
        created.append(out / "figures")
    try:
        _mkdirs(out / "networks", created)
        _mkdirs(cache, created)
        return _run_study(cfg, out, cache, progress=progress, store=store)
    except BaseException:
        _remove_empty(created)
        raise


def _mkdirs(path: Path, created: list[Path]) -> None:
    """``path`` and its missing parents, each one it makes appended to ``created``."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for p in reversed(missing):
        p.mkdir(exist_ok=True)
        created.append(p)


def _remove_empty(folders: list[Path]) -> None:
    """Remove those of ``folders`` that are empty, deepest first (others are left as they are)."""
    for p in sorted(set(folders), key=lambda q: len(q.parts), reverse=True):
        try:
            p.rmdir()
        except OSError:  # not empty, or already gone
            pass


def _run_study(
    cfg: StudyConfig, out: Path, cache: Path, *, progress: bool, store: bool
) -> StudyResult:
    n_samples = len(cfg.samples)
    rounds = int(cfg.reference.targeted_rounds)
    fixed = 4 + 2 * n_samples + 2 * rounds + (1 if store else 0)
    stages = _Stages(total=fixed, enabled=progress)
    cached: dict[str, bool] = {}
    try:
        stages.step("loading samples")
        samples = load_samples(cfg)
        to_validate = validation_samples(cfg, samples)
        stages.set_total(fixed + len(to_validate))
        stages.done(f"samples: {', '.join(samples)}", False)

        stages.step("reference data")
        db = complete_reference(cfg, samples, reference_db(cfg), cache)
        stages.done(f"reference data: {db.name}", cfg.reference.points <= 0)

        stages.step("training the NNP")
        model, model_key, cached["nnp"] = _train(cfg, db, cache, stages, "")
        stages.done("NNP ready", cached["nnp"])

        db_key = file_sha(db) if rounds else ""
        for r in range(1, rounds + 1):
            stages.step(f"targeted reference points, round {r} of {rounds}")
            db, db_key, n_targeted = targeted_round(
                cfg, samples, db, db_key, cache, model, model_key, r
            )
            stages.done(f"round {r}: {n_targeted} sites and saddles", False)
            stages.step(f"retraining the NNP with round {r}")
            model, model_key, cached[f"nnp:round{r}"] = _train(
                cfg, db, cache, stages, f" (round {r})"
            )
            stages.done(f"NNP of round {r} ready", cached[f"nnp:round{r}"])

        networks, kinetics, validation = _per_sample(
            cfg, out, cache, model, model_key, samples, to_validate, stages, cached
        )
        summary = study_summary(cfg, model, samples, networks, kinetics, validation)

        if store:
            stages.step("graph store")
            store_results(cfg, model, model_key, samples, networks, kinetics)
            stages.done("graph store updated", False)

        stages.step("report")
        # wall seconds per stage on this machine (the report's own time is not in the file)
        summary["stage_seconds"] = stages.seconds
        report = study_report(out, summary, model, networks, kinetics, validation, hosts=samples)
        stages.done("report written", False)
    finally:
        stages.close()
    return StudyResult(
        summary=summary, out_dir=out, report=report, networks=networks, cached=cached
    )
