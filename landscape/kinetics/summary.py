"""One call for a hop network: D(T) by the exact solver and/or KMC, Arrhenius fits, percolation barrier.

The result is a plain JSON-ready dict, the CLI's ``--json`` output and what the pipeline stores.
"""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx
import numpy as np

from ..config import DEFAULTS
from ..errors import InputError
from .arrhenius import arrhenius
from .exact import components, exact_diffusion
from .kmc import kmc
from .network import HopArrays, as_temperatures, hop_arrays
from .percolation import percolation_barrier

__all__ = ["kinetics_summary", "METHODS"]

#: Methods that :func:`kinetics_summary` knows.
METHODS = ("exact", "kmc")


def _fit(T: np.ndarray, D: np.ndarray, err: np.ndarray | None = None):
    if len(T) < 2 or not np.all(np.isfinite(D)) or np.any(D <= 0):
        return None
    if err is not None and (not np.all(np.isfinite(err)) or np.any(err <= 0)):
        err = None
    return arrhenius(T, D, D_stderr=err)


def _num(x: float) -> float | None:
    return float(x) if x is not None and np.isfinite(x) else None


def kinetics_summary(
    G: nx.MultiDiGraph | HopArrays,
    *,
    temperatures: Sequence[float] = DEFAULTS.temperatures,
    methods: Sequence[str] = METHODS,
    walkers: int = 1000,
    steps: float = 10_000,
    random_state: int | None = 0,
    progress: bool = False,
) -> dict:
    """Diffusion coefficients, activation energies and the percolation barrier of a hop network.

    Parameters
    ----------
    G : networkx.MultiDiGraph or HopArrays
        Hop network (DESIGN.md, "Hop network").
    temperatures : sequence of float
        K (> 0).
    methods : sequence of str
        Any of ``"exact"`` (:func:`~landscape.kinetics.exact_diffusion`) and ``"kmc"``
        (:func:`~landscape.kinetics.kmc`).
    walkers : int
        KMC walkers.
    steps : float
        KMC mean hops per walker.
    random_state : int or None
        Seed of the KMC.
    progress : bool
        Progress bar over the KMC temperatures.

    Returns
    -------
    dict
        ``temperatures_K`` (list, K); ``D_cm2_s`` ({method: [D, ...]}, cm²/s); ``D_ci_cm2_s``
        ({"kmc": [[lo, hi], ...]} when KMC ran, cm²/s); ``Ea_eV``, ``Ea_stderr_eV`` and
        ``D0_cm2_s`` ({method: value or None}; None where D is not > 0 at every T or no component
        wraps the cell); ``percolation_barrier_eV`` ({"any", "x", "y", "z"}: eV or None).

    Raises
    ------
    InputError
        Invalid network, temperatures or method.
    """
    net = hop_arrays(G)
    temps = as_temperatures(list(temperatures))
    methods = list(dict.fromkeys(methods))
    bad = [m for m in methods if m not in METHODS]
    if bad or not methods:
        raise InputError(
            f"unknown kinetics method(s) {bad or methods}; expected 'exact' and/or 'kmc'"
        )
    out: dict = {
        "temperatures_K": temps.tolist(),
        "D_cm2_s": {},
        "D_ci_cm2_s": {},
        "Ea_eV": {},
        "Ea_stderr_eV": {},
        "D0_cm2_s": {},
    }
    wraps = any(c.dimensionality > 0 for c in components(net))
    for method in methods:
        err = None
        if method == "exact":
            D = exact_diffusion(net, temps).D
        else:
            res = kmc(
                net,
                temps,
                walkers=walkers,
                steps=steps,
                random_state=random_state,
                progress=progress,
            )
            D, err = res.D, res.D_stderr
            out["D_ci_cm2_s"]["kmc"] = res.D_ci.tolist()
        out["D_cm2_s"][method] = D.tolist()
        fit = _fit(temps, D, err) if wraps else None  # KMC rattling in closed pockets is no D
        out["Ea_eV"][method] = None if fit is None else _num(fit.Ea)
        out["Ea_stderr_eV"][method] = None if fit is None else _num(fit.Ea_stderr)
        out["D0_cm2_s"][method] = None if fit is None else _num(fit.D0)
    out["percolation_barrier_eV"] = percolation_barrier(net).as_dict()
    return out
