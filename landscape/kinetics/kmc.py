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

import time
from dataclasses import dataclass

import networkx as nx
import numpy as np

from ..config import DEFAULTS
from ..errors import InputError
from ..units import ANGSTROM2_PER_S_TO_CM2_PER_S
from .exact import stationary_occupation
from .kmc_kernels import alias_tables, bootstrap_covariance, walk_all
from .network import HopArrays, as_temperatures, hop_arrays
from .superbasin import DEFAULT_FAST_RATIO, DEFAULT_MAX_BASIN_SITES
from .superbasin import superbasins as _superbasins

__all__ = ["KMCResult", "kmc", "superbasin_ratio", "DEFAULT_STEPS"]

#: Mean moves per walker when neither ``steps`` nor ``duration`` is given.
DEFAULT_STEPS = 10_000


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


def _checked_settings(
    walkers: int,
    steps: float | None,
    duration: float | None,
    confidence: float,
    checkpoints: int,
    fit_from: float | None,
    n_bootstrap: int,
    superbasins: bool | float,
    max_basin_sites: int,
) -> tuple[int, float | None, int, float | None]:
    """The settings of :func:`kmc` checked in order (first invalid one raises :class:`InputError`).

    Returns ``(walkers, steps, checkpoints, fast_ratio)``: ``steps`` (mean moves per walker) is
    :data:`DEFAULT_STEPS` when neither it nor ``duration`` (s) is given; ``fast_ratio`` is the
    superbasins' flux ratio, or None for plain KMC.
    """
    walkers = int(walkers)
    if walkers < 2:
        raise InputError(f"walkers must be >= 2, got {walkers}")
    if steps is not None and duration is not None:
        raise InputError("give either steps (mean hops per walker) or duration (s), not both")
    if duration is not None and not (np.isfinite(duration) and duration > 0):
        raise InputError(f"duration must be > 0 s, got {duration}")
    if steps is None and duration is None:
        steps = DEFAULT_STEPS
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
    return walkers, steps, checkpoints, fast_ratio


@dataclass(frozen=True, eq=False)
class _Moves:
    """The moves of the walk at one temperature (CSR over sites) and one walker's stationary rates.

    Attributes
    ----------
    indptr : numpy.ndarray of int64, shape (n_sites + 1,)
        The moves of site ``i`` are rows ``indptr[i]:indptr[i + 1]``.
    dst : numpy.ndarray of int64, shape (n_moves,)
        Target site of every move.
    displacement : numpy.ndarray, shape (n_moves, 3)
        Unwrapped displacement of every move, Å.
    rate : numpy.ndarray, shape (n_moves,)
        Rate of every move, Hz.
    occupation : numpy.ndarray, shape (n_sites,)
        Stationary occupation π the walkers start from.
    hops_per_move : numpy.ndarray, shape (n_sites,)
        Mean number of elementary hops one move from each site stands for (1 without superbasins).
    move_rate, hop_rate : float
        Stationary rate of moves and of elementary hops of one walker, Hz.
    basins, basin_sites : int
        Superbasins and the sites in them (0 without superbasins).
    """

    indptr: np.ndarray
    dst: np.ndarray
    displacement: np.ndarray
    rate: np.ndarray
    occupation: np.ndarray
    hops_per_move: np.ndarray
    move_rate: float
    hop_rate: float
    basins: int
    basin_sites: int


def _moves(net: HopArrays, T: float, fast_ratio: float | None, max_basin_sites: int) -> _Moves:
    """The elementary hops at ``T`` (K), or with ``fast_ratio`` the moves of the mean-rate walk
    over superbasins of at most ``max_basin_sites`` sites."""
    if fast_ratio is None:
        rates = net.rates(T)
        pi = stationary_occupation(net, T)
        k_tot = np.zeros(net.n_sites)
        np.add.at(k_tot, net.src, rates)
        rate = float(pi @ k_tot)
        ones = np.ones(net.n_sites)
        return _Moves(net.indptr, net.dst, net.displacement, rates, pi, ones, rate, rate, 0, 0)
    sb = _superbasins(net, T, fast_ratio=fast_ratio, max_sites=max_basin_sites)
    return _Moves(
        sb.indptr,
        sb.dst,
        sb.displacement,
        sb.rate,
        sb.occupation,
        sb.hops_per_move,
        sb.move_rate,
        sb.hop_rate,
        sb.n_basins,
        sb.n_basin_sites,
    )


@dataclass(frozen=True)
class _Walk:
    """How long to walk and how to estimate D (the checked settings of :func:`kmc`).

    Attributes
    ----------
    walkers : int
        Independent walkers.
    steps : float or None
        Mean moves per walker (None: ``duration`` sets the time).
    duration : float or None
        Simulated time per walker, s.
    checkpoints : int
        Times at which displacements are kept.
    fit_from : float or None
        Start of the slope fit, fraction of the simulated time (None: endpoint ratio).
    n_bootstrap : int
        Bootstrap resamples over walkers.
    confidence : float
        Level of the bootstrap interval, in (0, 1).
    """

    walkers: int
    steps: float | None
    duration: float | None
    checkpoints: int
    fit_from: float | None
    n_bootstrap: int
    confidence: float


def _run_time(T: float, moves: _Moves, walk: _Walk) -> float:
    """Simulated time per walker, s: ``duration``, or ``steps`` moves at the stationary move rate."""
    if walk.duration is not None:
        return float(walk.duration)
    # every walker in a closed basin that does not wrap never moves: time by its hops
    rate = moves.move_rate if moves.move_rate > 0 else moves.hop_rate
    if not rate > 0:
        raise InputError(
            f"no walker can hop at {T} K (stationary hop rate {rate} Hz); "
            "give duration instead of steps"
        )
    return float(walk.steps) / rate


def _diffusion_tensor(r: np.ndarray, weights: np.ndarray, walkers: int) -> np.ndarray:
    """``Σ_k weights_k Cov(r_k) / 2`` over walkers (3×3, cm²/s) of displacements ``r`` (W, K, 3),
    Å, with ``weights`` (K,) from :func:`_fit_weights` in cm²/(Å² s)."""
    rc = r - r.mean(axis=0)  # (W, K, 3)
    cov = np.einsum("wka,wkb->kab", rc, rc) / walkers  # (K, 3, 3) Å²
    return 0.5 * np.einsum("k,kab->ab", weights, cov)


def _bootstrap_interval(
    r: np.ndarray, weights: np.ndarray, walk: _Walk, rng: np.random.Generator
) -> tuple[np.ndarray, float]:
    """Bootstrap over walkers of the scalar D of :func:`_diffusion_tensor`: the percentile interval
    at ``walk.confidence`` (2,) and the standard error, cm²/s."""
    alpha = (1.0 - walk.confidence) / 2.0
    boot_seeds = rng.integers(0, 2**63 - 1, size=int(walk.n_bootstrap), dtype=np.int64)
    boot = bootstrap_covariance(r, weights, boot_seeds.astype(np.uint64))  # (B, 3, 3)
    boot_D = np.trace(boot, axis1=1, axis2=2) / 3.0
    return np.quantile(boot_D, [alpha, 1.0 - alpha]), boot_D.std(ddof=1)


@dataclass(frozen=True, eq=False)
class _Run:
    """The walk at one temperature: the fields of :class:`KMCResult` for that temperature."""

    D_tensor: np.ndarray
    D_ci: np.ndarray
    D_stderr: float
    duration: float
    hops: int
    elementary_hops: float
    wall_seconds: float
    displacements: np.ndarray
    basins: int
    basin_sites: int


def _walk_at(
    net: HopArrays, T: float, moves: _Moves, walk: _Walk, rng: np.random.Generator
) -> _Run:
    """Every walker at one temperature ``T`` (K) over ``moves``, then D and its bootstrap interval.

    Draws from ``rng`` in a fixed order: start sites, walker streams, bootstrap streams.
    """
    prob, alias, inv_total = alias_tables(moves.indptr, moves.rate)
    pi = moves.occupation
    start = rng.choice(net.n_sites, size=walk.walkers, p=pi / pi.sum())
    t_end = _run_time(T, moves, walk)
    seeds = rng.integers(0, 2**63 - 1, size=walk.walkers, dtype=np.int64).astype(np.uint64)
    times = t_end * np.arange(1, walk.checkpoints + 1) / walk.checkpoints  # (K,) s
    t0 = time.perf_counter()
    r, count, count_hops = walk_all(
        start,
        seeds,
        times,
        moves.indptr,
        moves.dst,
        moves.displacement,
        prob,
        alias,
        inv_total,
        moves.hops_per_move,
    )  # (W, K, 3) Å, (W,), (W,)
    wall = time.perf_counter() - t0
    weights = _fit_weights(times, walk.fit_from) * ANGSTROM2_PER_S_TO_CM2_PER_S  # (K,)
    D_tensor = _diffusion_tensor(r, weights, walk.walkers)
    ci, stderr = _bootstrap_interval(r, weights, walk, rng)
    return _Run(
        D_tensor=D_tensor,
        D_ci=ci,
        D_stderr=stderr,
        duration=t_end,
        hops=int(count.sum()),
        elementary_hops=float(count_hops.sum()),
        wall_seconds=wall,
        displacements=r[:, -1],
        basins=moves.basins,
        basin_sites=moves.basin_sites,
    )


def _result(
    temps: np.ndarray,
    runs: list[_Run],
    walkers: int,
    confidence: float,
    fast_ratio: float | None,
) -> KMCResult:
    """The :class:`KMCResult` of the walks at every temperature (``runs`` in the order of ``temps``)."""
    D_tensor = np.array([run.D_tensor for run in runs], dtype=float)  # (nT, 3, 3)
    return KMCResult(
        temperatures=temps,
        D=np.trace(D_tensor, axis1=1, axis2=2) / 3.0,
        D_ci=np.array([run.D_ci for run in runs], dtype=float),
        D_stderr=np.array([run.D_stderr for run in runs], dtype=float),
        D_tensor=D_tensor,
        duration=np.array([run.duration for run in runs], dtype=float),
        hops=np.array([run.hops for run in runs], dtype=np.int64),
        wall_seconds=np.array([run.wall_seconds for run in runs], dtype=float),
        walkers=walkers,
        confidence=float(confidence),
        displacements=[run.displacements for run in runs],
        elementary_hops=np.array([run.elementary_hops for run in runs], dtype=float),
        basins=np.array([run.basins for run in runs], dtype=np.int64),
        basin_sites=np.array([run.basin_sites for run in runs], dtype=np.int64),
        fast_ratio=fast_ratio,
    )


def kmc(
    G: nx.MultiDiGraph | HopArrays,
    T: float | np.ndarray,
    *,
    walkers: int = DEFAULTS.kmc_walkers,
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
        Default :data:`DEFAULT_STEPS` (10000) when neither ``steps`` nor ``duration`` is given.
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
    >>> from landscape.kinetics.synthetic import cubic_lattice_network
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
    walkers, steps, checkpoints, fast_ratio = _checked_settings(
        walkers,
        steps,
        duration,
        confidence,
        checkpoints,
        fit_from,
        n_bootstrap,
        superbasins,
        max_basin_sites,
    )
    rng = np.random.default_rng(random_state)

    from tqdm.auto import tqdm

    walk = _Walk(walkers, steps, duration, checkpoints, fit_from, n_bootstrap, confidence)
    runs = []
    for T in tqdm(temps, desc="KMC", unit="T", disable=not progress):
        moves = _moves(net, float(T), fast_ratio, max_basin_sites)
        runs.append(_walk_at(net, T, moves, walk, rng))
    return _result(temps, runs, walkers, confidence, fast_ratio)


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
