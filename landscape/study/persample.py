"""The per-sample stages of a study, mapped over its samples: in this process, in local processes or
on a Dask cluster.

For each sample: its sites and hops on the study's NNP, the kinetics of that network, each ensemble
member's Eₐ on it and, when ``[validate]`` asks, reference energies along some of its hops. Where
these run is chosen in the study file's ``[study]`` section:

- ``workers = 1`` (default), no ``scheduler`` or ``cluster``: one sample after another, in this
  process;
- ``workers = n > 1``: ``n`` local processes (spawned), the cores shared out between them;
- ``scheduler = "tcp://host:8786"`` (a running ``dask.distributed`` scheduler) or
  ``cluster = {type = "slurm", jobs = 4, ...}`` (a dask-jobqueue cluster made for the study, as
  the reference step's ``--cluster``): one task per sample on the cluster.

Workers only compute and return plain data. The driver (the study's own process) reads the cache
before it submits and writes everything afterwards: the cache files, the networks, the report and
the graph store, so nothing is written twice whatever runs the work. The one exception is the
validation's checkpoint (one JSON line per finished reference calculation, for resuming after a
crash), which the worker appends to: on a cluster without a file system shared with the driver, an
interrupted validation starts again from nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..contracts import network_data, network_from_data
from ..errors import LandscapeError
from .cache import sha
from .stages import (
    ensemble_spread,
    explore_key,
    explore_sample,
    reference_settings,
    run_kinetics,
    validate_sample,
)
from .studyfile import StudyConfig

__all__ = ["SampleJob", "sample_jobs", "run_sample_job", "map_sample_jobs"]


@dataclass
class SampleJob:
    """What one sample still needs (``None``: compute it) and where its cache files go.

    ``network`` is the cached node-link data of its hop network, ``kinetics`` and ``validation``
    the cached results; ``validate`` says whether ``[validate]`` checks this sample. The paths are
    the driver's cache files (only ``checkpoint`` is written by the worker).
    """

    sid: str
    atoms: Any
    explore_key: str
    network: dict | None
    network_path: Path
    kinetics: dict | None
    kinetics_path: Path
    validate: bool
    validation: dict | None
    validation_path: Path | None
    checkpoint: Path | None

    @property
    def cached(self) -> dict[str, bool]:
        """Which of this sample's stages came from the cache (the keys of ``StudyResult.cached``)."""
        out = {
            f"explore:{self.sid}": self.network is not None,
            f"kinetics:{self.sid}": self.kinetics is not None,
        }
        if self.validate:
            out[f"validate:{self.sid}"] = self.validation is not None
        return out


def _read(path: Path | None) -> dict | None:
    import json

    return json.loads(path.read_text()) if path is not None and path.exists() else None


def sample_jobs(
    cfg: StudyConfig, cache: Path, model_key: str, samples: dict, to_validate: list[str]
) -> list[SampleJob]:
    """One :class:`SampleJob` per sample (study order), with what its cache already holds.

    The cache keys are those of the serial study before this module existed, so a study cached
    by an earlier version is reused.
    """
    jobs = []
    for sid, atoms in samples.items():
        key = explore_key(cfg, model_key, atoms)
        kkey = sha("kinetics", key, vars(cfg.kinetics), cfg.study.seed)
        network_path = cache / f"network-{sid}-{key}.json"
        kinetics_path = cache / f"kinetics-{sid}-{kkey}.json"
        validation_path = checkpoint = None
        if sid in to_validate:
            vkey = sha(
                "validate",
                key,
                cfg.validate.hops,
                cfg.study.species,
                cfg.reference.calculator,
                cfg.reference.calculator_kwargs,
                reference_settings(cfg),
            )
            validation_path = cache / f"validation-{sid}-{vkey}.json"
            checkpoint = cache / f"validation-{sid}-{vkey}.jsonl"
        jobs.append(
            SampleJob(
                sid=sid,
                atoms=atoms,
                explore_key=key,
                network=_read(network_path),
                network_path=network_path,
                kinetics=_read(kinetics_path),
                kinetics_path=kinetics_path,
                validate=sid in to_validate,
                validation=_read(validation_path),
                validation_path=validation_path,
                checkpoint=checkpoint,
            )
        )
    return jobs


def run_sample_job(cfg: StudyConfig, model, job: SampleJob) -> dict[str, Any]:
    """The per-sample stages of ``job`` (worker side; writes nothing but the validation's
    checkpoint). Returns plain data: ``sid``; ``network`` (node-link data), ``kinetics``,
    ``ensemble`` and ``validation`` (``None`` when not asked for); ``computed``: which of
    ``network``, ``kinetics``, ``validation`` were computed here rather than taken from the
    cache; ``seconds``: wall seconds of each stage computed here."""
    seconds: dict[str, float] = {}
    computed = {"network": False, "kinetics": False, "validation": False}
    t0 = time.perf_counter()
    data = job.network
    if data is None:
        data = network_data(explore_sample(cfg, model, job.atoms))
        computed["network"] = True
        seconds["explore"] = time.perf_counter() - t0
    G = network_from_data(data)
    G.graph["sample_id"] = job.sid

    t0 = time.perf_counter()
    kinetics = job.kinetics
    if kinetics is None:
        kinetics = run_kinetics(cfg, G)
        computed["kinetics"] = True
    # each NNP member's Eₐ on this network: the model uncertainty (cheap, never cached)
    ensemble = ensemble_spread(cfg, model, job.atoms, G)
    seconds["kinetics"] = time.perf_counter() - t0

    validation = job.validation
    if job.validate and validation is None:
        t0 = time.perf_counter()
        validation = validate_sample(cfg, model, job.atoms, G, job.checkpoint)
        computed["validation"] = True
        seconds["validate"] = time.perf_counter() - t0
    return {
        "sid": job.sid,
        "network": data,
        "kinetics": kinetics,
        "ensemble": ensemble,
        "validation": validation,
        "computed": computed,
        "seconds": {k: round(v, 2) for k, v in seconds.items()},
    }


def map_sample_jobs(
    cfg: StudyConfig, model, jobs: list[SampleJob]
) -> Iterator[tuple[SampleJob, dict[str, Any]]]:
    """``(job, result of run_sample_job)`` for every job, in completion order, computed where the
    study file's ``[study]`` says (the module docstring). A worker's exception is raised here."""
    study = cfg.study
    if study.scheduler or study.cluster:
        yield from _on_dask(cfg, model, jobs)
    elif study.workers > 1 and len(jobs) > 1:
        yield from _on_processes(cfg, model, jobs, min(study.workers, len(jobs)))
    else:
        for job in jobs:
            yield job, run_sample_job(cfg, model, job)


def _on_processes(
    cfg: StudyConfig, model, jobs: list[SampleJob], workers: int
) -> Iterator[tuple[SampleJob, dict[str, Any]]]:
    from concurrent.futures import as_completed
    from concurrent.futures.process import BrokenProcessPool

    from ..reference.worker import spawn_pool

    with spawn_pool(workers) as pool:
        futures = {pool.submit(run_sample_job, cfg, model, job): job for job in jobs}
        try:
            for fut in as_completed(futures):
                yield futures[fut], fut.result()
        except BrokenProcessPool:
            raise LandscapeError(
                f"a worker process of [study] workers = {workers} died: out of memory, or a "
                'script that calls run_study without `if __name__ == "__main__":` (spawned '
                "workers import the main module again)"
            ) from None
        except BaseException:
            for fut in futures:
                fut.cancel()
            raise


def _on_dask(
    cfg: StudyConfig, model, jobs: list[SampleJob]
) -> Iterator[tuple[SampleJob, dict[str, Any]]]:
    from ..reference.execution import dask_client

    study = cfg.study
    with dask_client(study.scheduler or None, dict(study.cluster) or None) as client:
        from distributed import as_completed

        model_future = client.scatter(model, broadcast=True)
        futures = {
            client.submit(run_sample_job, cfg, model_future, job, pure=False): job for job in jobs
        }
        try:
            for fut in as_completed(list(futures)):
                yield futures[fut], fut.result()
        except BaseException:
            client.cancel(list(futures))
            raise
