"""Compiled (numba) kernels of the KMC: random streams, alias tables, the walkers, the bootstrap.

Each walker (and each bootstrap resample) has its own counter-free random stream, SplitMix64
(:func:`splitmix_uniform`) seeded from one draw of the caller's generator, so results do not depend
on the number of threads. The out-edges of a site are picked by Walker's alias method (Vose's
tables, :func:`alias_tables`), O(1) per hop. :func:`walk_all` runs every walker in parallel
(numba ``prange``); :func:`bootstrap_covariance` resamples walkers for the interval of D.
Units: s, Hz, Å.
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = ["splitmix_uniform", "alias_tables", "walk_all", "bootstrap_covariance"]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53


@numba.njit(cache=True)
def splitmix_uniform(state):
    """SplitMix64 step: (new state, a double uniform in [0, 1))."""
    state = state + _GOLDEN
    z = state
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    z = z ^ (z >> np.uint64(31))
    return state, float(z >> np.uint64(11)) * _TO_UNIT


@numba.njit(cache=True)
def alias_tables(indptr, rates):  # pragma: no cover - compiled
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
            state, u = splitmix_uniform(state)
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
        state, u = splitmix_uniform(state)
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
def walk_all(
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
def bootstrap_covariance(r, weights, seeds):  # pragma: no cover - compiled
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
            state, u = splitmix_uniform(state)
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
