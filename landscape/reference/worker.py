"""The worker side of a reference run: one point as a task, one calculator per worker thread.

A task is a plain dict (it travels to worker processes and Dask workers): ``point_id``,
``position`` (Å), ``host`` (the relaxed host), ``species``, the relaxation settings ``fmax``
(eV/Å), ``max_steps``, ``relax_radius`` (Å or ``None``) and ``optimizer``, the calculator's
``calculator`` name and ``calculator_kwargs``, ``gpu_memory_fraction``, and optionally a
``calculator_object`` to use instead of building one. :func:`compute_point` turns it into a
record and never raises: a calculator failure comes back as a ``status="failed"`` record.
"""

from __future__ import annotations

import json
import os
import threading
import time
from typing import Any

import numpy as np

from .relax import relax_insertion

__all__ = [
    "spawn_pool",
    "compute_point",
    "worker_calculator",
    "worker_threads",
    "init_worker",
    "exit_with_parent",
    "cap_gpu_memory",
]

_WORKER = threading.local()  # one calculator per thread: calculators are not thread-safe


def _calc_key(name: str, kwargs: dict[str, Any]) -> str:
    return name + "|" + json.dumps(kwargs, sort_keys=True)


def worker_calculator(name: str, kwargs: dict[str, Any]) -> Any:
    """This thread's calculator ``name(**kwargs)``, built on first use and kept for the next
    points with the same name and keyword arguments."""
    from ..calculators import get_calculator

    key = _calc_key(name, kwargs)
    if getattr(_WORKER, "key", None) != key:
        _WORKER.calc = get_calculator(name, **kwargs)
        _WORKER.key = key
    return _WORKER.calc


def spawn_pool(workers: int):
    """A ``ProcessPoolExecutor`` of ``workers`` spawned processes (torch in the parent makes fork
    unsafe), each started by :func:`init_worker` with its share of the cores."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=mp.get_context("spawn"),
        initializer=init_worker,
        initargs=(worker_threads(workers),),
    )


def worker_threads(workers: int) -> int:
    """Torch threads per local worker process: the cores shared out, at least one."""
    return max(1, (os.cpu_count() or 1) // max(1, int(workers)))


def init_worker(threads: int) -> None:
    """Start of a local worker process: its share of the cores for torch's intra-op threads and
    for the BLAS library's threads (OpenBLAS, MKL: through :mod:`threadpoolctl`).

    Without it every worker runs as many threads as the machine has cores; with 2 workers on 2
    cores that made each CHGNet relaxation 8x slower than alone (measured), instead of 2x. The
    BLAS threads matter for calculators whose optimiser dominates: ASE's BFGS diagonalises the
    3N x 3N Hessian every step, and with 2 workers on 2 cores (OpenBLAS 2 threads each) one
    243 x 243 ``eigh`` took 1415 ms instead of 12.9 ms with 1 thread (measured, EMT with H in
    80 Pd-Ni atoms). The worker also ends itself when its parent is gone
    (:func:`exit_with_parent`).
    """
    import scipy.linalg  # noqa: F401  (loads scipy's own OpenBLAS, so that it is limited too)
    import torch
    from threadpoolctl import threadpool_limits

    exit_with_parent()
    torch.set_num_threads(int(threads))
    # the libraries loaded so far (numpy's, scipy's, torch's OpenMP), for the life of the process
    threadpool_limits(limits=int(threads))


def exit_with_parent(poll: float = 0.5) -> None:
    """End this worker process as soon as the process that started it is gone.

    A parent killed by a signal runs no clean-up: the workers of its process pool are re-parented
    and would go on relaxing their queued points (seen: two CHGNet workers of a study stopped with
    SIGTERM still computing 9 min later). A daemon thread polls ``os.getppid()`` every ``poll``
    seconds and calls ``os._exit`` when it changed. Points already finished were written by the
    parent; the one a worker was computing is computed again on resume.
    """
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll)
        os._exit(1)

    threading.Thread(target=watch, name="landscape-parent-watch", daemon=True).start()


def cap_gpu_memory(fraction: float | None) -> None:
    """Limit this process's share of GPU memory (no-op without CUDA or without a fraction)."""
    if not fraction:
        return
    import torch

    if torch.cuda.is_available():
        torch.cuda.set_per_process_memory_fraction(float(fraction))


def compute_point(task: dict[str, Any]) -> dict[str, Any]:
    """Run one point; never raises (a failure comes back as a record).

    Returns
    -------
    dict
        The record of :func:`landscape.reference.relax.relax_insertion` with ``status="ok"``, or
        ``status="failed"``, ``error`` (one line), ``seconds`` and ``position`` (Å); both with the
        task's ``point_id``.
    """
    pid = task["point_id"]
    if task.get("gpu_memory_fraction") and not _WORKER.__dict__.get("capped"):
        cap_gpu_memory(task["gpu_memory_fraction"])
        _WORKER.capped = True
    t0 = time.perf_counter()
    try:
        calc = task.get("calculator_object")
        if calc is None:
            calc = worker_calculator(task["calculator"], task["calculator_kwargs"])
        res = relax_insertion(
            task["host"],
            task["position"],
            calc,
            species=task["species"],
            fmax=task["fmax"],
            max_steps=task["max_steps"],
            relax_radius=task["relax_radius"],
            optimizer=task["optimizer"],
        )
        res["status"] = "ok"
    except Exception as exc:  # any calculator failure becomes a failed-point record
        text = str(exc).strip().splitlines()
        res = {
            "status": "failed",
            "error": f"{type(exc).__name__}: {text[0] if text else ''}"[:300],
            "seconds": time.perf_counter() - t0,
            "position": np.asarray(task["position"], dtype=float),
        }
    res["point_id"] = pid
    return res
