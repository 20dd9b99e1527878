"""Where the points of a reference run are computed: this process, a local pool, or Dask.

Each function takes the run's task dicts (:mod:`landscape.reference.worker`) and yields finished
records in completion order; the caller (the main process) writes them to the database. Work runs
in this process (``workers=1``), in local spawned processes (``workers>1``), ``batch`` relaxations
at a time sharing one calculator (:mod:`landscape.reference.batched`), or on a Dask cluster (a
scheduler address, a ``distributed.Client``, or a dask-jobqueue cluster described by a dict).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ase import Atoms

from ..errors import InputError
from .worker import (
    cap_gpu_memory,
    compute_point,
    exit_with_parent,
    init_worker,
    spawn_pool,
    worker_calculator,
    worker_threads,
)

__all__ = [
    "CLUSTER_TYPES",
    "dask_client",
    "execute",
    "execute_batched",
    "execute_dask",
    "jobqueue_cluster",
]


def execute(
    tasks: list[dict[str, Any]],
    calc_obj: Any,
    workers: int,
    scheduler: str | Any | None,
    cluster: dict[str, Any] | None,
) -> Iterator[dict[str, Any]]:
    """Yield finished point records, in completion order.

    ``calc_obj`` (a calculator object) runs only in this process; otherwise each worker builds
    the task's named calculator once. A pool keeps at most ``2 * workers`` tasks submitted.
    """
    if not tasks:
        return
    if scheduler is not None or cluster is not None:
        yield from execute_dask(tasks, scheduler, cluster)
        return
    if workers == 1:
        for t in tasks:
            if calc_obj is not None:
                t = dict(t, calculator_object=calc_obj)
            yield compute_point(t)
        return
    from concurrent.futures import FIRST_COMPLETED, wait

    with spawn_pool(workers) as pool:
        pending = set()
        it = iter(tasks)
        for t in it:
            pending.add(pool.submit(compute_point, t))
            if len(pending) >= 2 * workers:
                break
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                yield fut.result()
                nxt = next(it, None)
                if nxt is not None:
                    pending.add(pool.submit(compute_point, nxt))


def execute_batched(
    tasks: list[dict[str, Any]], calc_obj: Any, workers: int, batch: int
) -> Iterator[dict[str, Any]]:
    """Yield finished records; ``workers`` processes (or this one) each run ``batch`` at once."""
    if not tasks:
        return
    if workers == 1:
        yield from _batched_here(tasks, calc_obj, batch)
    else:
        yield from _batched_processes(tasks, workers, batch)


def _batched_here(
    tasks: list[dict[str, Any]], calc_obj: Any, batch: int
) -> Iterator[dict[str, Any]]:
    """``batch`` relaxations at a time in threads of this process, sharing one calculator
    (``calc_obj``, or the tasks' named calculator); a server thread feeds the records out."""
    from .batched import run_batched

    calc = calc_obj
    if calc is None:
        calc = worker_calculator(tasks[0]["calculator"], tasks[0]["calculator_kwargs"])
    lock = threading.Lock()
    todo = list(reversed(tasks))
    out: queue.Queue = queue.Queue()

    def get() -> dict[str, Any] | None:
        with lock:
            return todo.pop() if todo else None

    def serve() -> None:
        try:
            run_batched(get, out.put, calc, batch, compute_point)
        finally:
            out.put(None)

    th = threading.Thread(target=serve, daemon=True)
    th.start()
    while True:
        res = out.get()
        if res is None:
            break
        yield res
    th.join()


def _batched_processes(
    tasks: list[dict[str, Any]], workers: int, batch: int
) -> Iterator[dict[str, Any]]:
    """``workers`` spawned processes, each running ``batch`` relaxations at a time; they read
    one shared task queue and end when it runs dry (or are terminated when the caller stops)."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    task_q = ctx.Queue()
    result_q = ctx.Queue()
    for t in tasks:
        task_q.put(t)
    for _ in range(workers * batch):
        task_q.put(None)
    procs = [
        ctx.Process(
            target=batched_worker,
            args=(
                task_q,
                result_q,
                tasks[0]["calculator"],
                tasks[0]["calculator_kwargs"],
                batch,
                tasks[0].get("gpu_memory_fraction"),
                worker_threads(workers),
            ),
            daemon=True,
        )
        for _ in range(workers)
    ]
    for p in procs:
        p.start()
    seen: set[int] = set()
    try:
        while len(seen) < len(tasks):
            try:
                res = result_q.get(timeout=5.0)
            except queue.Empty:
                if not any(p.is_alive() for p in procs):
                    break
                continue
            seen.add(int(res["point_id"]))
            yield res
    finally:
        for p in procs:
            if p.is_alive():
                p.terminate()
        for p in procs:
            p.join(timeout=5)


def batched_worker(
    task_q: Any,
    result_q: Any,
    name: str,
    kwargs: dict[str, Any],
    batch: int,
    fraction=None,
    threads: int | None = None,
) -> None:
    """Body of one batched worker process: ``batch`` relaxations at a time on the calculator
    ``name(**kwargs)``, tasks from ``task_q`` until a ``None``, records into ``result_q``;
    ``fraction`` caps its GPU memory, ``threads`` its torch threads."""
    from .batched import run_batched

    if threads is not None:
        init_worker(threads)
    else:
        exit_with_parent()
    cap_gpu_memory(fraction)
    calc = worker_calculator(name, kwargs)
    run_batched(task_q.get, result_q.put, calc, batch, compute_point)


@contextmanager
def dask_client(scheduler: str | Any | None, cluster: dict[str, Any] | None) -> Iterator[Any]:
    """A ``distributed.Client``: ``scheduler`` itself when it is one, a client of the scheduler at
    that address, or of a new dask-jobqueue ``cluster`` (:func:`jobqueue_cluster`); a client or
    cluster made here is closed at the end."""
    try:
        from distributed import Client
    except ImportError:
        raise InputError(
            "Dask execution needs dask.distributed: pip install 'landscape[dask]'"
        ) from None
    if scheduler is not None and not isinstance(scheduler, str):
        yield scheduler
        return
    own_cluster = None
    if scheduler is not None:
        client = Client(scheduler)
    else:
        own_cluster = jobqueue_cluster(cluster or {})
        client = Client(own_cluster)
    try:
        yield client
    finally:
        client.close()
        if own_cluster is not None:
            own_cluster.close()


def execute_dask(
    tasks: list[dict[str, Any]], scheduler: str | Any | None, cluster: dict[str, Any] | None
) -> Iterator[dict[str, Any]]:
    """Yield records of Dask tasks on ``scheduler`` (an address or a client) or on a new
    dask-jobqueue ``cluster`` (:func:`dask_client`)."""
    with dask_client(scheduler, cluster) as client:
        from distributed import as_completed

        host = client.scatter(tasks[0]["host"], broadcast=True)
        futures = [
            client.submit(compute_point_dask, dict(t, host=None), host, pure=False) for t in tasks
        ]
        for fut in as_completed(futures):
            yield fut.result()


def compute_point_dask(task: dict[str, Any], host: Atoms) -> dict[str, Any]:
    """:func:`compute_point` with the host scattered once to every Dask worker."""
    return compute_point(dict(task, host=host))


#: ``cluster["type"]``: the dask-jobqueue class of each (``"local"``: a ``LocalCluster``).
CLUSTER_TYPES = {
    "slurm": "SLURMCluster",
    "pbs": "PBSCluster",
    "sge": "SGECluster",
    "lsf": "LSFCluster",
    "htcondor": "HTCondorCluster",
    "local": None,
}


def jobqueue_cluster(spec: dict[str, Any]) -> Any:
    """A dask-jobqueue cluster from ``{"type": "slurm", "jobs": n, **kwargs}``."""
    spec = dict(spec)
    kind = str(spec.pop("type", "")).lower()
    jobs = int(spec.pop("jobs", 1))
    if kind not in CLUSTER_TYPES:
        raise InputError(f"unknown cluster type {kind!r}; expected one of {sorted(CLUSTER_TYPES)}")
    if kind == "local":  # dask.distributed alone (tests, one big machine)
        from distributed import LocalCluster

        return LocalCluster(n_workers=jobs, threads_per_worker=1, **spec)
    try:
        import dask_jobqueue
    except ImportError:
        raise InputError("a cluster needs dask-jobqueue: pip install 'landscape[dask]'") from None
    cluster = getattr(dask_jobqueue, CLUSTER_TYPES[kind])(**spec)
    cluster.scale(jobs=jobs)
    return cluster
