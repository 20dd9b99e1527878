"""One call for a hop network: D(T) by the exact solver and/or KMC, Arrhenius fits, percolation barrier.

The result is a plain JSON-ready dict, the CLI's ``--json`` output and what the pipeline stores.
"""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx
import numpy as np

from ..config import DEFAULTS
from ..errors import InputError
from ..units import ANGSTROM2_PER_S_TO_CM2_PER_S
from .arrhenius import arrhenius
from .exact import components, exact_diffusion, stationary_occupation
from .kmc import DEFAULT_STEPS, kmc, superbasin_ratio
from .network import HopArrays, as_temperatures, hop_arrays
from .percolation import percolation_barrier
from .superbasin import superbasins

__all__ = ["kinetics_summary", "METHODS"]

#: Methods that :func:`kinetics_summary` knows.
METHODS = ("exact", "kmc")


def _fit(T: np.ndarray, D: np.ndarray, err: np.ndarray | None = None):
    """Arrhenius fit of ``D`` (cm²/s, standard errors ``err``) at ``T`` (K), or None unless there
    are two temperatures and every D is finite and > 0; ``err`` is dropped unless all are > 0."""
    if len(T) < 2 or not np.all(np.isfinite(D)) or np.any(D <= 0):
        return None
    if err is not None and (not np.all(np.isfinite(err)) or np.any(err <= 0)):
        err = None
    return arrhenius(T, D, D_stderr=err)


def _move_rate(net, T: float, fast_ratio: float | None) -> float:
    """Stationary rate of KMC moves of one walker, Hz: elementary hops, or basin-level moves."""
    if fast_ratio is not None:
        return superbasins(net, T, fast_ratio=fast_ratio).move_rate
    k_tot = np.zeros(net.n_sites)
    np.add.at(k_tot, net.src, net.rates(T))
    pi = stationary_occupation(net, T)
    return float(pi @ k_tot) / float(pi.sum())


def _kmc_steps(net, temps, D_exact, steps, walkers, cells, budget, fast_ratio=None) -> dict:
    """Mean moves per walker for each temperature: enough for an expected RMS displacement of
    ``cells`` cell lengths (from the exact D) at the stationary move rate (elementary hops, or
    basin-level moves with superbasins of ``fast_ratio``), at least ``steps``, at most
    ``budget / walkers``."""
    n = len(temps)
    out = {"steps": np.full(n, float(steps)), "diffusive": np.ones(n, dtype=bool)}
    if D_exact is None:
        return out
    length = abs(float(np.linalg.det(np.asarray(net.cell, dtype=float)))) ** (1.0 / 3.0)  # Å
    cap = float(budget) / walkers
    for k, T in enumerate(temps):
        mean_rate = _move_rate(net, float(T), fast_ratio)  # Hz
        D = float(D_exact[k]) / ANGSTROM2_PER_S_TO_CM2_PER_S  # Å²/s
        if not (np.isfinite(D) and D > 0):
            out["diffusive"][k] = False
            continue
        need = (cells * length) ** 2 / (6.0 * D) * mean_rate  # moves per walker
        out["steps"][k] = min(max(float(steps), need), cap)
        out["diffusive"][k] = need <= cap
    return out


def _num(x: float) -> float | None:
    """``x`` as a JSON number, None where it is missing or not finite."""
    return float(x) if x is not None and np.isfinite(x) else None


def _kmc_at(
    net: HopArrays,
    temps: np.ndarray,
    plan: dict,
    walkers: int,
    random_state: int | None,
    fast_ratio: float | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """KMC at every temperature of ``temps`` (K) with the mean moves per walker of ``plan``
    (:func:`_kmc_steps`), seeded ``random_state + k`` at the k-th temperature.

    Returns ``(D, D_stderr, D_ci, entries)``: cm²/s, shapes (nT,), (nT,), (nT, 2), and the summary's
    ``kmc_steps``, ``kmc_diffusive`` and ``kmc_superbasins`` entries.
    """
    D, err, ci = np.zeros(len(temps)), np.zeros(len(temps)), np.zeros((len(temps), 2))
    basins, basin_sites, per_move = [], [], []
    for k, T in enumerate(temps):
        res = kmc(
            net,
            T,
            walkers=walkers,
            steps=plan["steps"][k],
            random_state=None if random_state is None else random_state + k,
            superbasins=False if fast_ratio is None else fast_ratio,
        )
        D[k], err[k], ci[k] = res.D[0], res.D_stderr[0], res.D_ci[0]
        basins.append(int(res.basins[0]))
        basin_sites.append(int(res.basin_sites[0]))
        per_move.append(float(res.elementary_hops[0] / max(res.hops[0], 1)))
    entries = {
        "kmc_steps": [float(v) for v in plan["steps"]],
        "kmc_diffusive": [bool(v) for v in plan["diffusive"]],
        "kmc_superbasins": (
            None
            if fast_ratio is None
            else {
                "fast_ratio": fast_ratio,
                "basins": basins,
                "basin_sites": basin_sites,
                "hops_per_move": per_move,
            }
        ),
    }
    return D, err, ci, entries


def _add_fit(
    out: dict,
    method: str,
    T: np.ndarray,
    D: np.ndarray,
    err: np.ndarray | None,
    wraps: bool,
) -> None:
    """Put the Arrhenius fit of ``D`` (cm²/s) at ``T`` (K) into ``out``'s ``Ea_eV``,
    ``Ea_stderr_eV`` and ``D0_cm2_s`` under ``method``; None where no component wraps the cell or
    no fit is possible."""
    fit = _fit(T, D, err) if wraps else None
    out["Ea_eV"][method] = None if fit is None else _num(fit.Ea)
    out["Ea_stderr_eV"][method] = None if fit is None else _num(fit.Ea_stderr)
    out["D0_cm2_s"][method] = None if fit is None else _num(fit.D0)


def kinetics_summary(
    G: nx.MultiDiGraph | HopArrays,
    *,
    temperatures: Sequence[float] = DEFAULTS.temperatures,
    methods: Sequence[str] = METHODS,
    walkers: int = DEFAULTS.kmc_walkers,
    steps: float = DEFAULT_STEPS,
    random_state: int | None = 0,
    progress: bool = False,
    kmc_cells: float = 3.0,
    kmc_hop_budget: float = 2e8,
    kmc_superbasins: bool | float = DEFAULTS.kmc_superbasins,
) -> dict:
    """Diffusion coefficients, activation energies and the percolation barrier of a hop network.

    Parameters
    ----------
    G : networkx.MultiDiGraph or HopArrays
        Hop network (docs/design.md, "Hop network").
    temperatures : sequence of float
        K (> 0).
    methods : sequence of str
        Any of ``"exact"`` (:func:`~landscape.kinetics.exact_diffusion`) and ``"kmc"``
        (:func:`~landscape.kinetics.kmc`).
    walkers : int
        KMC walkers.
    steps : float
        KMC mean moves per walker (at least; see ``kmc_cells``).
    random_state : int or None
        Seed of the KMC.
    progress : bool
        Progress bar over the KMC temperatures.
    kmc_cells : float
        With both methods, KMC runs at each temperature long enough for the walkers' expected
        root-mean-square displacement (from the exact ``D``) to reach this many cell lengths
        (``V^{1/3}``), so that they leave the traps many times and the walk is diffusive; a run
        that would need more than ``kmc_hop_budget`` moves is cut there and flagged
        (``kmc_diffusive``), and the KMC Arrhenius fit uses the diffusive temperatures only.
    kmc_hop_budget : float
        KMC moves of all walkers together per temperature at most: elementary hops, or with
        superbasins basin-level moves (the needed number then follows from the exact ``D`` and
        the stationary rate of basin-level moves).
    kmc_superbasins : bool or float
        Mean-rate superbasin acceleration of the KMC (:func:`~landscape.kinetics.kmc`): ``True``
        with the default flux ratio, a number > 0 for that ratio, ``False`` for plain KMC. Exact
        for the long-time ``D`` of networks without drift, and it makes trap-rich networks
        diffusive within the budget.

    Returns
    -------
    dict
        ``temperatures_K`` (list, K); ``D_cm2_s`` ({method: [D, ...]}, cm²/s); ``D_ci_cm2_s``
        ({"kmc": [[lo, hi], ...]} when KMC ran, cm²/s); ``Ea_eV``, ``Ea_stderr_eV`` and
        ``D0_cm2_s`` ({method: value or None}; None where D is not > 0 at every T or no component
        wraps the cell); ``percolation_barrier_eV`` ({"any", "x", "y", "z"}: eV or None); with
        KMC ``kmc_steps`` (mean moves per walker at each T), ``kmc_diffusive`` (bool per T) and
        ``kmc_superbasins`` (None for plain KMC, else ``fast_ratio``, and per T the number of
        ``basins``, the ``basin_sites`` and the mean elementary ``hops_per_move``).

    Raises
    ------
    InputError
        Invalid network, temperatures or method.
    """
    net = hop_arrays(G)
    temps = as_temperatures(list(temperatures))
    fast_ratio = superbasin_ratio(kmc_superbasins)
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
    D_exact = None
    for method in sorted(methods, key=lambda m: m != "exact"):  # exact first: it sizes the KMC
        err = None
        use = np.ones(len(temps), dtype=bool)
        if method == "exact":
            D = D_exact = exact_diffusion(net, temps).D
        else:
            plan = _kmc_steps(
                net, temps, D_exact, steps, walkers, kmc_cells, kmc_hop_budget, fast_ratio
            )
            D, err, ci, entries = _kmc_at(net, temps, plan, walkers, random_state, fast_ratio)
            out["D_ci_cm2_s"]["kmc"] = ci.tolist()
            out.update(entries)
            use = plan["diffusive"]
        out["D_cm2_s"][method] = D.tolist()
        ok = use & np.isfinite(D)
        # KMC rattling in closed pockets is no D
        _add_fit(out, method, temps[ok], D[ok], None if err is None else err[ok], wraps)
    out["percolation_barrier_eV"] = percolation_barrier(net).as_dict()
    return out
