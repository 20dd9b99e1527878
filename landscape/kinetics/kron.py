"""Kron reduction (star–mesh transform) of a reversible hop network: its exact diffusion tensor.

Under detailed balance the diffusion tensor of a periodic hop network is the minimum over the
corrector ``χ`` of the Dirichlet form ``Σ_bonds C (d + χ_j − χ_i)(d + χ_j − χ_i)ᵀ``, with bond
conductances ``C = π_i k_ij = π_j k_ji`` (docs/design.md, "Exact diffusion coefficient").
Eliminating sites one by one (the star–mesh transform, carrying each new bond's lattice shift)
keeps that minimum exactly; every step only multiplies and adds positive numbers, kept as
logarithms (the GTH idea of Grassmann, Taksar & Heyman, Oper. Res. 33, 1107 (1985), for a
Laplacian), so every entry keeps full relative accuracy at any temperature.

- :func:`log_rate_table` — the directed hops of one component, parallel hops merged (ln Hz).
- :func:`reversible_bonds` — the stationary weights and bond conductances (ln) when the chain is in
  detailed balance, else None.
- :func:`kron_reduce` — the minimum of the Dirichlet form by eliminating every site.

Used by :func:`landscape.kinetics.exact.exact_diffusion` wherever the conductances span too many
orders of magnitude for a sparse LU solve of the corrector equation.
"""

from __future__ import annotations

import heapq

import numpy as np

__all__ = ["DETAILED_BALANCE_LOG_TOL", "log_rate_table", "reversible_bonds", "kron_reduce"]

#: Largest log mismatch ``|ln(π_i k_ij) − ln(π_j k_ji)|`` of a bond that still counts as detailed
#: balance (rounding of stored barriers); a bond's conductance is the geometric mean of its two
#: fluxes, so D moves by less than this relative amount.
DETAILED_BALANCE_LOG_TOL = 1e-6


def log_rate_table(
    a: np.ndarray, b: np.ndarray, shift: np.ndarray, log_k: np.ndarray
) -> dict[tuple[int, int, int, int, int], float]:
    """Directed hops keyed by ``(i, j, s₁, s₂, s₃)``, parallel hops merged (log of summed rates).

    Hops of zero displacement onto the same site (``i == j`` and ``s == 0``) drop out."""
    table: dict[tuple[int, int, int, int, int], float] = {}
    for i, j, s, lk in zip(a.tolist(), b.tolist(), shift.tolist(), log_k.tolist(), strict=True):
        if i == j and s == [0, 0, 0]:
            continue
        key = (i, j, s[0], s[1], s[2])
        table[key] = float(np.logaddexp(table[key], lk)) if key in table else lk
    return table


def reversible_bonds(
    n: int, table: dict, log_pi_guess: np.ndarray | None = None
) -> tuple[np.ndarray, list] | None:
    """Log stationary weights and bond conductances of a chain in detailed balance, or None.

    ``ln π`` (unnormalised) is propagated along a spanning tree by ``ln π_j = ln π_i + ln k_ij −
    ln k_ji``; the chain is in detailed balance when every hop has its reverse (``j → i`` with the
    opposite shift) and every bond balances to :data:`DETAILED_BALANCE_LOG_TOL`. A guess
    (Boltzmann in the site energies) is tried first, so that networks built from one saddle energy
    per hop get exactly ``−E / k_B T``.

    Returns
    -------
    (log_pi, bonds) or None
        ``log_pi`` shape (n,); ``bonds`` a list of ``(i, j, (s₁, s₂, s₃), ln C)``, one per bond
        (loops ``i == j`` included once), ``C = π_i k_ij`` in the units of ``π`` times Hz.
    """
    for i, j, s1, s2, s3 in table:
        if (j, i, -s1, -s2, -s3) not in table:
            return None
    if log_pi_guess is not None:
        bonds = _bonds_if_balanced(table, log_pi_guess)
        if bonds is not None:
            return log_pi_guess, bonds
    neighbours: list[list[tuple[int, float, float]]] = [[] for _ in range(n)]
    for (i, j, s1, s2, s3), lk in table.items():
        if i != j:
            neighbours[i].append((j, lk, table[(j, i, -s1, -s2, -s3)]))
    log_pi = np.full(n, np.nan)
    log_pi[0] = 0.0
    stack = [0]
    while stack:
        i = stack.pop()
        for j, lk, back in neighbours[i]:
            if np.isnan(log_pi[j]):
                log_pi[j] = log_pi[i] + lk - back
                stack.append(j)
    if np.isnan(log_pi).any():  # not strongly connected through reversible bonds
        return None
    bonds = _bonds_if_balanced(table, log_pi)
    return None if bonds is None else (log_pi, bonds)


def _bonds_if_balanced(table: dict, log_pi: np.ndarray) -> list | None:
    """One ``(i, j, s, ln C)`` per bond if every bond balances under ``log_pi``, else None."""
    bonds = []
    for (i, j, s1, s2, s3), lk in table.items():
        s = (s1, s2, s3)
        if (i, s) > (j, (-s1, -s2, -s3)):  # the other direction of a bond already listed
            continue
        forward = log_pi[i] + lk
        backward = log_pi[j] + table[(j, i, -s1, -s2, -s3)]
        if abs(forward - backward) > DETAILED_BALANCE_LOG_TOL * max(1.0, abs(forward)):
            return None
        bonds.append((i, j, s, 0.5 * (forward + backward)))
    return bonds


def kron_reduce(n: int, bonds: list, cell: np.ndarray) -> tuple[float, np.ndarray]:
    """``min_χ Σ_bonds C (d + χ_j − χ_i)(…)ᵀ`` of a reversible network, by eliminating every site.

    A bond ``i — j`` carries a conductance ``C`` and a (real) shift ``σ``: its displacement is
    ``pos[j] + σ·cell − pos[i]``. Two rules keep the minimum of the Dirichlet form exactly, and both
    only multiply and add positive numbers:

    * parallel bonds ``(C₁, σ₁)``, ``(C₂, σ₂)`` between the same sites become one bond
      ``(C₁ + C₂, (C₁σ₁ + C₂σ₂)/(C₁ + C₂))`` plus a constant term ``C₁C₂/(C₁ + C₂) · Δ Δᵀ`` with
      ``Δ = (σ₁ − σ₂)·cell`` (completing the square);
    * removing site ``k`` with bonds ``a = (k — j_a, σ_a, C_a)`` adds for every pair ``a < b`` a bond
      ``j_a — j_b`` of shift ``σ_b − σ_a`` and conductance ``C_a C_b / Σ C`` (star–mesh transform,
      the Schur complement of the weighted Laplacian).

    A bond of a site to itself (a shift ``s ≠ 0`` from the start) is a constant term ``C s sᵀ``.
    Sites go in order of fewest bonds (minimum degree, to limit fill-in); the graph stays simple, so
    the cost is that of a sparse Cholesky factorisation of the Laplacian. Conductances are kept as
    logarithms, so nothing under- or overflows at any temperature.

    Returns
    -------
    (log_scale, S)
        ``S`` (3×3, Å² in the units of ``C``) with the minimum equal to ``exp(log_scale) · S``.
    """
    adj: list[dict[int, tuple[float, np.ndarray]]] = [{} for _ in range(n)]
    const_c: list[float] = []  # ln C of the constant terms
    const_d: list[np.ndarray] = []  # their Δ in units of the cell (fractional shifts)

    def add(i: int, j: int, lc: float, sigma: np.ndarray) -> None:
        if i == j:
            if np.any(sigma != 0):
                const_c.append(lc)
                const_d.append(sigma)
            return
        old = adj[i].get(j)
        if old is not None:
            lc_old, sigma_old = old
            lc_sum = float(np.logaddexp(lc_old, lc))
            delta = sigma - sigma_old
            if np.any(delta != 0):
                const_c.append(lc_old + lc - lc_sum)
                const_d.append(delta)
                sigma = sigma_old + np.exp(lc - lc_sum) * delta
            else:
                sigma = sigma_old
            lc = lc_sum
        adj[i][j] = (lc, sigma)
        adj[j][i] = (lc, -sigma)

    for i, j, s, lc in bonds:
        add(i, j, lc, np.asarray(s, dtype=float))
    alive = np.ones(n, dtype=bool)
    heap = [(len(adj[i]), i) for i in range(n)]
    heapq.heapify(heap)
    while heap:
        deg, k = heapq.heappop(heap)
        if not alive[k] or deg != len(adj[k]):
            continue
        alive[k] = False
        half = adj[k]
        adj[k] = {}
        if not half:
            continue
        js = list(half)
        lc = np.array([half[j][0] for j in js])  # (d,)
        sig = np.array([half[j][1] for j in js])  # (d, 3)
        for j in js:
            del adj[j][k]
        log_total = float(np.logaddexp.reduce(lc))
        ia, ib = np.triu_indices(len(js), k=1)  # (p,) pairs a < b
        new_c = lc[ia] + lc[ib] - log_total  # (p,)
        new_s = sig[ib] - sig[ia]  # (p, 3)
        for p, (x, y) in enumerate(zip(ia.tolist(), ib.tolist(), strict=True)):
            add(js[x], js[y], float(new_c[p]), new_s[p])
        for j in js:
            heapq.heappush(heap, (len(adj[j]), j))
    if not const_c:
        return 0.0, np.zeros((3, 3))
    lcs = np.array(const_c)  # (L,)
    scale = float(lcs.max())
    vec = np.array(const_d) @ cell  # (L, 3) Å
    S = (vec * np.exp(lcs - scale)[:, None]).T @ vec  # (3, 3) Å²
    return scale, 0.5 * (S + S.T)
