"""Many relaxations in lockstep, with one batched model call per optimiser step.

A machine-learned reference calculator on a GPU is latency-bound on one 99-atom cell: most of a
step is kernel launches and graph building, not arithmetic. Here ``batch`` relaxations run in
threads of one process; each thread's calculator (:class:`BrokerCalculator`) hands its structure
to a :class:`Broker`, which waits until every running relaxation has asked, evaluates all of them
in one call of the calculator's ``batch_energy_forces`` (or one after another if it has none), and
hands the results back. Each relaxation is still an ordinary ASE optimisation
(:func:`landscape.reference.relax.relax_insertion`), so the results equal those of the serial path up
to the model's floating-point batching noise.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
from ase.calculators.calculator import Calculator, all_changes

__all__ = ["Broker", "BrokerCalculator", "run_batched"]


class Broker:
    """Collects energy+force requests of concurrent relaxations and evaluates them together.

    Parameters
    ----------
    calculator : Calculator
        The real calculator; its ``batch_energy_forces(list[Atoms])`` is used when present.
    """

    def __init__(self, calculator: Any) -> None:
        self.calculator = calculator
        self._cond = threading.Condition()
        self._requests: dict[int, Any] = {}
        self._results: dict[int, Any] = {}
        self._active = 0
        self.calls = 0
        self.evaluated = 0

    def register(self) -> None:
        with self._cond:
            self._active += 1

    def unregister(self) -> None:
        with self._cond:
            self._active -= 1
            self._cond.notify_all()

    def request(self, key: int, atoms: Any) -> tuple[float, np.ndarray]:
        """Block until the energy (eV) and forces (eV/Å) of ``atoms`` are computed."""
        with self._cond:
            self._requests[key] = atoms
            self._cond.notify_all()
            while key not in self._results:
                self._cond.wait()
            res = self._results.pop(key)
        if isinstance(res, BaseException):
            raise res
        return res

    def serve(self) -> None:
        """Evaluate batches until no relaxation is registered (run in the process's main thread)."""
        while True:
            with self._cond:
                while self._active > 0 and len(self._requests) < self._active:
                    self._cond.wait(timeout=1.0)
                if self._active == 0 and not self._requests:
                    return
                batch = self._requests
                self._requests = {}
            results = self._evaluate(batch)
            with self._cond:
                self._results.update(results)
                self._cond.notify_all()

    def _evaluate(self, batch: dict[int, Any]) -> dict[int, Any]:
        keys = list(batch)
        structures = [batch[k] for k in keys]
        self.calls += 1
        self.evaluated += len(keys)
        fn = getattr(self.calculator, "batch_energy_forces", None)
        if fn is not None and len(keys) > 1:
            try:
                out = fn(structures)
                return {
                    k: (float(e), np.asarray(f, dtype=float))
                    for k, (e, f) in zip(keys, out, strict=True)
                }
            except Exception:  # isolate the structure that fails: one at a time
                pass
        results: dict[int, Any] = {}
        for k, a in zip(keys, structures, strict=True):
            try:
                b = a.copy()
                if hasattr(self.calculator, "reset"):
                    self.calculator.reset()  # no state (neighbour lists) shared between cells
                b.calc = self.calculator
                results[k] = (float(b.get_potential_energy()), np.asarray(b.get_forces()))
            except Exception as exc:
                results[k] = exc
        return results


class BrokerCalculator(Calculator):
    """An ASE calculator that asks a :class:`Broker` (one per relaxation thread)."""

    implemented_properties = ("energy", "forces")

    def __init__(self, broker: Broker, key: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.broker = broker
        self.key = key

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        a = self.atoms.copy()
        a.set_constraint()
        e, f = self.broker.request(self.key, a)
        self.results = {"energy": e, "free_energy": e, "forces": f}


def run_batched(tasks_get, put_result, calculator: Any, batch: int, compute) -> Broker:
    """Run relaxations in ``batch`` threads that share one batched calculator.

    Parameters
    ----------
    tasks_get : callable
        Returns the next task dict, or ``None`` when there are no more.
    put_result : callable
        Receives each finished record.
    calculator : Calculator
        The real calculator.
    batch : int
        Concurrent relaxations.
    compute : callable
        ``compute(task) -> record`` (gets ``task["calculator_object"]`` set to the thread's
        :class:`BrokerCalculator`).

    Returns
    -------
    Broker
        With ``calls`` and ``evaluated`` counters.
    """
    broker = Broker(calculator)

    def loop(key: int) -> None:
        calc = BrokerCalculator(broker, key)
        try:
            while True:
                task = tasks_get()
                if task is None:
                    return
                put_result(compute(dict(task, calculator_object=calc)))
        finally:
            broker.unregister()

    threads = []
    for k in range(batch):
        broker.register()
        t = threading.Thread(target=loop, args=(k,), daemon=True)
        threads.append(t)
    for t in threads:
        t.start()
    broker.serve()
    for t in threads:
        t.join()
    return broker
