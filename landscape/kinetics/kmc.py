"""Rejection-free kinetic Monte Carlo of many independent walkers on a hop network.

Every walker runs the residence-time (BKL / Gillespie) algorithm: from site ``i`` it picks hop
``i → j`` with probability ``k_ij / Σ_j k_ij`` (Walker's alias method, O(1) per hop) and advances its
clock by an exponential waiting time of mean ``1 / Σ_j k_ij``; its unwrapped displacement adds
``d_ij = pos[j] + shift · cell − pos[i]``. Walkers run in parallel (numba ``prange``), each with its
own counter-free random stream (SplitMix64, seeded from ``random_state``), so results do not depend
on the number of threads. ``D = Cov(r(t)) / 2t`` over walkers, with a bootstrap interval over walkers.

With ``superbasins`` the walk is the mean-rate method (Puchala, Falk & Garikipati, J. Chem. Phys.
132, 134104 (2010)): groups of sites joined by hops much busier than the hops out of them are left
in one move, drawn from their absorbing Markov chain (:mod:`landscape.kinetics.superbasin`), which
is exact for the long-time ``D`` and saves the hops of the rattling inside traps.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import networkx as nx
import numba
import numpy as np

from ..errors import InputError
from ..units import ANGSTROM2_PER_S_TO_CM2_PER_S
from .exact import stationary_occupation
from .network import HopArrays, as_temperatures, hop_arrays
from .superbasin import DEFAULT_FAST_RATIO, DEFAULT_MAX_BASIN_SITES
from .superbasin import superbasins as _superbasins

__all__ = ["KMCResult", "kmc", "superbasin_ratio"]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53


@numba.njit(cache=True)
def _uniform(state):
    """SplitMix64 step: (new state, a double uniform in [0, 1))."""
    state = state + _GOLDEN
    z = state
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    z = z ^ (z >> np.uint64(31))
    return state, float(z >> np.uint64(11)) * _TO_UNIT


@numba.njit(cache=True)
def _alias_tables(indptr, rates):  # pragma: no cover - compiled
    """Per-site alias tables over the out-edges (Vose); returns (probability, alias edge, 1/k_tot)."""
    n = indptr.shape[0] - 1
    prob = np.ones(rates.shape[0])
    alias = np.arange(rates.shape[0])
    inv_total = np.zeros(n)
    small = np.empty(rates.shape[0], dtype=np.int64)
    large = np.empty(rates.shape[0], dtype=np.int64)
    for i in range(n):
        lo, hi = indptr[i], indptr[i + 1]
        deg = hi - lo
        if deg == 0:
            continue
        total = 0.0
        for e in range(lo, hi):
            total += rates[e]
        if total <= 0.0:
            continue
        inv_total[i] = 1.0 / total
        ns = 0
        nl = 0
        for e in range(lo, hi):
            prob[e] = rates[e] * deg / total
            if prob[e] < 1.0:
                small[ns] = e
                ns += 1
            else:
                large[nl] = e
                nl += 1
        while ns > 0 and nl > 0:
            ns -= 1
            s = small[ns]
            g = large[nl - 1]
            alias[s] = g
            prob[g] = prob[g] + prob[s] - 1.0
            if prob[g] < 1.0:
                nl -= 1
                small[ns] = g
                ns += 1
        for k in range(nl):
            prob[large[k]] = 1.0
        for k in range(ns):
            prob[small[k]] = 1.0
    return prob, alias, inv_total


@numba.njit(cache=True)
def _walk_one(
    i, state, times, indptr, dst, disp, prob, alias, inv_total, weight, r
):  # pragma: no cover
    """One walker from site ``i``; writes its displacement (Å) at each of ``times`` (s) into ``r``.

    Returns the number of moves and the sum of ``weight`` over the sites they left.
    """
    t = 0.0
    hops = 0.0
    x = 0.0
    y = 0.0
    z = 0.0
    count = 0
    n_times = times.shape[0]
    c = 0
    while c < n_times:
        if inv_total[i] > 0.0:
            state, u = _uniform(state)
            t += -math.log(1.0 - u) * inv_total[i]
        else:
            t = math.inf  # no way out: the walker stays forever
        while c < n_times and t > times[c]:
            r[c, 0] = x
            r[c, 1] = y
            r[c, 2] = z
            c += 1
        if c == n_times:
            break
        lo = indptr[i]
        deg = indptr[i + 1] - lo
        state, u = _uniform(state)
        f = u * deg
        k = int(f)
        if k >= deg:
            k = deg - 1
        e = lo + k
        if f - k >= prob[e]:
            e = alias[e]
        x += disp[e, 0]
        y += disp[e, 1]
        z += disp[e, 2]
        hops += weight[i]
        i = dst[e]
        count += 1
    return count, hops


@numba.njit(parallel=True, cache=True)
def _walk(
    start, seeds, times, indptr, dst, disp, prob, alias, inv_total, weight
):  # pragma: no cover
    """Run every walker; return displacements (W, K, 3) Å at the K ``times`` (s), move counts (W,)
    and the sums of ``weight`` (per site left) over each walker's moves (W,)."""
    W = start.shape[0]
    r = np.zeros((W, times.shape[0], 3))
    moves = np.zeros(W, dtype=np.int64)
    hops = np.zeros(W)
    for w in numba.prange(W):
        moves[w], hops[w] = _walk_one(
            start[w], seeds[w], times, indptr, dst, disp, prob, alias, inv_total, weight, r[w]
        )
    return r, moves, hops


@numba.njit(parallel=True, cache=True)
def _bootstrap(r, weights, seeds):  # pragma: no cover - compiled
    """Bootstrap over walkers of ``Σ_k weights_k Cov(r_k) / 2``; r is (W, K, 3); returns (B, 3, 3)."""
    B = seeds.shape[0]
    W = r.shape[0]
    K = r.shape[1]
    out = np.zeros((B, 3, 3))
    for b in numba.prange(B):
        state = seeds[b]
        s1 = np.zeros((K, 3))
        s2 = np.zeros((3, 3))
        for _ in range(W):
            state, u = _uniform(state)
            w = int(u * W)
            if w >= W:
                w = W - 1
            for k in range(K):
                if weights[k] == 0.0:
                    continue
                for a in range(3):
                    s1[k, a] += r[w, k, a]
                    for c in range(3):
                        s2[a, c] += weights[k] * r[w, k, a] * r[w, k, c]
        for a in range(3):
            for c in range(3):
                acc = s2[a, c] / W
                for k in range(K):
                    acc -= weights[k] * s1[k, a] * s1[k, c] / (W * W)
                out[b, a, c] = 0.5 * acc
    return out


def _fit_weights(times: np.ndarray, fit_from: float | None) -> np.ndarray:
    """Weights w_k with D = Σ_k w_k Cov(r(t_k)) / 2: the endpoint ratio, or an OLS slope with intercept."""
    w = np.zeros(len(times))
    if fit_from is None:
        w[-1] = 1.0 / times[-1]
        return w
    use = times >= fit_from * times[-1] * (1 - 1e-12)
    t = times[use]
    w[use] = (t - t.mean()) / ((t - t.mean()) ** 2).sum()
    return w


@dataclass(frozen=True, eq=False)
class KMCResult:
    """Result of :func:`kmc`.

    Attributes
    ----------
    temperatures : numpy.ndarray, shape (nT,)
        K.
    D : numpy.ndarray, shape (nT,)
        ``trace(D_tensor) / 3``, cm²/s.
    D_ci : numpy.ndarray, shape (nT, 2)
        Bootstrap confidence interval of ``D`` over walkers (percentiles), cm²/s.
    D_stderr : numpy.ndarray, shape (nT,)
        Bootstrap standard error of ``D``, cm²/s.
    D_tensor : numpy.ndarray, shape (nT, 3, 3)
        ``Cov(r(t)) / 2t`` over walkers, cm²/s.
    duration : numpy.ndarray, shape (nT,)
        Simulated time per walker, s.
    hops : numpy.ndarray of int64, shape (nT,)
        Moves made by all walkers together: elementary hops, or with superbasins the moves of the
        mean-rate walk (one per exit from a basin, one per hop of a site in no basin).
    wall_seconds : numpy.ndarray, shape (nT,)
        Wall time of the walk itself (excluding set-up and bootstrap), s.
    walkers : int
    confidence : float
        Level of ``D_ci``.
    displacements : list of numpy.ndarray
        Per temperature, the unwrapped final displacement of every walker, shape (walkers, 3), Å.
    elementary_hops : numpy.ndarray, shape (nT,)
        Elementary hops the moves stand for: equal to ``hops`` without superbasins; with them,
        the sum over moves of the mean number of hops of the absorbing chain from the move's
        start site (an expectation, not a count).
    basins : numpy.ndarray of int64, shape (nT,)
        Superbasins (groups of >= 2 sites) used at each temperature; 0 without superbasins.
    basin_sites : numpy.ndarray of int64, shape (nT,)
        Sites in those basins.
    fast_ratio : float or None
        Flux ratio that defined the basins; None without superbasins.
    """

    temperatures: np.ndarray
    D: np.ndarray
    D_ci: np.ndarray
    D_stderr: np.ndarray
    D_tensor: np.ndarray
    duration: np.ndarray
    hops: np.ndarray
    wall_seconds: np.ndarray
    walkers: int
    confidence: float
    displacements: list[np.ndarray]
    elementary_hops: np.ndarray | None = None
    basins: np.ndarray | None = None
    basin_sites: np.ndarray | None = None
    fast_ratio: float | None = None

    @property
    def hops_per_second(self) -> float:
        """Aggregate moves (``hops``) per second of wall time over all temperatures."""
        return float(self.hops.sum() / max(self.wall_seconds.sum(), 1e-300))

    @property
    def elementary_hops_per_second(self) -> float:
        """Aggregate elementary hops represented per second of wall time over all temperatures."""
        hops = self.hops if self.elementary_hops is None else self.elementary_hops
        return float(hops.sum() / max(self.wall_seconds.sum(), 1e-300))


def kmc(
    G: nx.MultiDiGraph | HopArrays,
    T: float | np.ndarray,
    *,
    walkers: int = 1000,
    steps: float | None = None,
    duration: float | None = None,
    random_state: int | np.random.Generator | None = None,
    n_bootstrap: int = 1000,
    confidence: float = 0.95,
    checkpoints: int = 16,
    fit_from: float | None = 0.5,
    superbasins: bool | float = False,
    max_basin_sites: int = DEFAULT_MAX_BASIN_SITES,
    progress: bool = False,
) -> KMCResult:
    """Diffusion coefficient from rejection-free KMC of independent walkers.

    Parameters
    ----------
    G : networkx.MultiDiGraph or HopArrays
        Hop network (docs/design.md, "Hop network").
    T : float or array_like
        Temperature(s), K (> 0).
    walkers : int
        Number of independent walkers (>= 2), each started from the stationary occupation.
    steps : float, optional
        Mean number of moves per walker: the simulated time is ``steps / R`` with ``R`` the
        stationary move rate (Hz) of one walker: ``⟨k_tot⟩_π``, the occupation-weighted escape
        rate, without superbasins, the flux out of basins and sites in no basin with them
        (:attr:`~landscape.kinetics.superbasin.Superbasins.move_rate`; where that is zero, i.e.
        every walker sits in a closed basin and never moves, ``⟨k_tot⟩_π`` instead).
        Default 10000 when neither ``steps`` nor ``duration`` is given.
    duration : float, optional
        Simulated time per walker, s (instead of ``steps``).
    random_state : int, numpy.random.Generator or None
        Seeds every random draw (start sites, walker streams, bootstrap).
    n_bootstrap : int
        Bootstrap resamples over walkers for the interval.
    confidence : float
        Level of the interval, in (0, 1).
    checkpoints : int
        Times ``t_k = t · k / checkpoints`` (k = 1 … checkpoints) at which displacements are kept.
    fit_from : float or None
        ``D`` is the least-squares slope (with intercept) of ``Cov(r(t_k)) / 2`` over the checkpoints
        with ``t_k >= fit_from · t``; the intercept absorbs the bounded offset that local rattling
        adds to the mean squared displacement. ``None``: the endpoint ratio ``Cov(r(t)) / 2t``.
    superbasins : bool or float
        Mean-rate superbasin acceleration (:func:`~landscape.kinetics.superbasin.superbasins`):
        ``True`` with the default flux ratio (1), a number > 0 for that ratio, ``False`` for
        plain KMC. Exact for the long-time ``D`` when the network has no mean drift (always under
        detailed balance); a walker inside a basin is shown at the site where it entered.
    max_basin_sites : int
        Largest superbasin, sites (>= 2).
    progress : bool
        Show a progress bar over temperatures.

    Returns
    -------
    KMCResult
        ``D`` (cm²/s) with its bootstrap interval and standard error, the tensor, moves, the
        elementary hops they stand for, the basins, and timing.

    Raises
    ------
    InputError
        Invalid network, temperatures or parameters.

    Examples
    --------
    >>> from landscape.synthetic import cubic_lattice_network
    >>> res = kmc(cubic_lattice_network(3), 600.0, walkers=200, steps=500, random_state=0)
    >>> res.D.shape, res.D_ci.shape
    ((1,), (1, 2))

    Notes
    -----
    Covariances ``⟨r_a r_b⟩ − ⟨r_a⟩⟨r_b⟩`` over walkers at common times remove a mean drift when
    there is one. ``Cov(r(t)) = 2 D t + C + o(1)`` with a bounded offset ``C`` (twice the variance of
    the corrector of docs/design.md): the endpoint ratio is biased by ``C / 2t``, the slope is not. The
    relative statistical error is about ``sqrt(2 / 3 walkers)`` for the endpoint ratio and larger
    by a factor of order 1.5 for the slope, independent of ``steps``. Cost: O(walkers · steps) moves,
    O(1) each, split over numba's threads; with superbasins, plus the basin set-up per temperature
    (O(n_B³) per basin of ``n_B`` sites), and each move stands for ``hop_rate / move_rate``
    elementary hops on average (``elementary_hops / hops``).
    """
    net = hop_arrays(G)
    temps = as_temperatures(T)
    walkers = int(walkers)
    if walkers < 2:
        raise InputError(f"walkers must be >= 2, got {walkers}")
    if steps is not None and duration is not None:
        raise InputError("give either steps (mean hops per walker) or duration (s), not both")
    if duration is not None and not (np.isfinite(duration) and duration > 0):
        raise InputError(f"duration must be > 0 s, got {duration}")
    if steps is None and duration is None:
        steps = 10_000
    if steps is not None and not (np.isfinite(steps) and steps > 0):
        raise InputError(f"steps must be > 0 hops per walker, got {steps}")
    if not 0.0 < confidence < 1.0:
        raise InputError(f"confidence must be in (0, 1), got {confidence}")
    checkpoints = int(checkpoints)
    if checkpoints < 1 or (fit_from is not None and checkpoints < 2):
        raise InputError(f"checkpoints must be >= 2 (>= 1 with fit_from=None), got {checkpoints}")
    if fit_from is not None and not 0.0 <= fit_from < 1.0:
        raise InputError(f"fit_from must be in [0, 1) or None, got {fit_from}")
    if int(n_bootstrap) < 10:
        raise InputError(f"n_bootstrap must be >= 10, got {n_bootstrap}")
    fast_ratio = superbasin_ratio(superbasins)
    if isinstance(max_basin_sites, bool) or not isinstance(max_basin_sites, int | np.integer):
        raise InputError(f"max_basin_sites must be an integer >= 2, got {max_basin_sites!r}")
    if max_basin_sites < 2:
        raise InputError(f"max_basin_sites must be an integer >= 2, got {max_basin_sites}")
    rng = np.random.default_rng(random_state)

    from tqdm.auto import tqdm

    nT = len(temps)
    D_tensor = np.zeros((nT, 3, 3))
    D_ci = np.zeros((nT, 2))
    D_stderr = np.zeros(nT)
    durations = np.zeros(nT)
    hops = np.zeros(nT, dtype=np.int64)
    elementary = np.zeros(nT)
    n_basins = np.zeros(nT, dtype=np.int64)
    n_basin_sites = np.zeros(nT, dtype=np.int64)
    wall = np.zeros(nT)
    displacements = []
    alpha = (1.0 - confidence) / 2.0
    for t_index, T in enumerate(tqdm(temps, desc="KMC", unit="T", disable=not progress)):
        if fast_ratio is None:
            indptr, dst, disp = net.indptr, net.dst, net.displacement
            rates = net.rates(float(T))
            pi = stationary_occupation(net, float(T))
            k_tot = np.zeros(net.n_sites)
            np.add.at(k_tot, net.src, rates)
            move_rate = hop_rate = float(pi @ k_tot)
            weight = np.ones(net.n_sites)
        else:
            sb = _superbasins(net, float(T), fast_ratio=fast_ratio, max_sites=max_basin_sites)
            indptr, dst, disp, rates = sb.indptr, sb.dst, sb.displacement, sb.rate
            pi, weight = sb.occupation, sb.hops_per_move
            move_rate, hop_rate = sb.move_rate, sb.hop_rate
            n_basins[t_index], n_basin_sites[t_index] = sb.n_basins, sb.n_basin_sites
        prob, alias, inv_total = _alias_tables(indptr, rates)
        start = rng.choice(net.n_sites, size=walkers, p=pi / pi.sum())
        if duration is None:
            # every walker in a closed basin that does not wrap never moves: time by its hops
            rate = move_rate if move_rate > 0 else hop_rate
            if not rate > 0:
                raise InputError(
                    f"no walker can hop at {T} K (stationary hop rate {rate} Hz); "
                    "give duration instead of steps"
                )
            t_end = float(steps) / rate
        else:
            t_end = float(duration)
        seeds = rng.integers(0, 2**63 - 1, size=walkers, dtype=np.int64).astype(np.uint64)
        times = t_end * np.arange(1, checkpoints + 1) / checkpoints  # (K,) s
        t0 = time.perf_counter()
        r, count, count_hops = _walk(
            start, seeds, times, indptr, dst, disp, prob, alias, inv_total, weight
        )  # (W, K, 3) Å, (W,), (W,)
        wall[t_index] = time.perf_counter() - t0
        weights = _fit_weights(times, fit_from) * ANGSTROM2_PER_S_TO_CM2_PER_S  # (K,)
        rc = r - r.mean(axis=0)  # (W, K, 3)
        cov = np.einsum("wka,wkb->kab", rc, rc) / walkers  # (K, 3, 3) Å²
        D_tensor[t_index] = 0.5 * np.einsum("k,kab->ab", weights, cov)
        boot_seeds = rng.integers(0, 2**63 - 1, size=int(n_bootstrap), dtype=np.int64)
        boot = _bootstrap(r, weights, boot_seeds.astype(np.uint64))  # (B, 3, 3)
        boot_D = np.trace(boot, axis1=1, axis2=2) / 3.0
        D_ci[t_index] = np.quantile(boot_D, [alpha, 1.0 - alpha])
        D_stderr[t_index] = boot_D.std(ddof=1)
        durations[t_index] = t_end
        hops[t_index] = int(count.sum())
        elementary[t_index] = float(count_hops.sum())
        displacements.append(r[:, -1])
    return KMCResult(
        temperatures=temps,
        D=np.trace(D_tensor, axis1=1, axis2=2) / 3.0,
        D_ci=D_ci,
        D_stderr=D_stderr,
        D_tensor=D_tensor,
        duration=durations,
        hops=hops,
        wall_seconds=wall,
        walkers=walkers,
        confidence=float(confidence),
        displacements=displacements,
        elementary_hops=elementary,
        basins=n_basins,
        basin_sites=n_basin_sites,
        fast_ratio=fast_ratio,
    )


def superbasin_ratio(superbasins: bool | float | None) -> float | None:
    """The flux ratio of ``superbasins`` (True: the default), or None when off."""
    if superbasins is None or superbasins is False:
        return None
    if superbasins is True:
        return DEFAULT_FAST_RATIO
    if isinstance(superbasins, int | float | np.integer | np.floating):
        value = float(superbasins)
        if np.isfinite(value) and value > 0.0:
            return value
    raise InputError(f"superbasins must be True, False or a flux ratio > 0, got {superbasins!r}")
