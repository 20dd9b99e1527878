"""The numerical kernels of the symmetry functions (:mod:`landscape.nnp.descriptors`), in torch.

Pure functions of tensors: the cosine cutoff, the species-pair order of the G4 blocks and the
angular G4 block of a flat neighbour-pair record. Lengths in Å, η in 1/Å²; the features are
dimensionless.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

__all__ = ["cosine_cutoff", "species_pairs", "angular_block"]


def species_pairs(n_species: int) -> list[tuple[int, int]]:
    """Species-rank pairs ``(i, j)``, ``i >= j``, in the order of the G4 blocks."""
    return [(i, j) for i in range(n_species) for j in range(i + 1)]


def cosine_cutoff(r: Tensor, r_cut: float) -> Tensor:
    """``f_c(r) = ½ (cos(π r / r_cut) + 1)`` of distances ``r`` (Å), ``r_cut`` in Å; callers
    keep ``r < r_cut`` (the function is not zeroed beyond)."""
    return 0.5 * (torch.cos(r * (math.pi / r_cut)) + 1.0)


def angular_block(
    g4: Tensor,
    centre: Tensor,
    spec: Tensor,
    vec: Tensor,
    dist: Tensor,
    fc: Tensor,
    *,
    n_species: int,
    r_cut: float,
    g4_values: list[tuple[float, float, float]],
    pairs: list[tuple[int, int]],
) -> None:
    """Fill ``g4`` (n, n_pairs, n_g4) with the angular G4 terms of a flat pair record.

    The pair record (of :meth:`SymmetryFunctions.neighbours`) is ``centre`` (P,) the position's
    index, ``spec`` (P,) the neighbour's species rank, ``vec`` (P, 3) Å, ``dist`` (P,) Å and
    ``fc`` (P,) its cutoff. Triples come from a padded neighbour block (n, K): ``cos θ`` and
    ``r_jk`` of all neighbour pairs from one batched product ``V Vᵀ``; empty slots sit far outside
    the cutoff ``r_cut`` (Å), so their ``f_c`` is exactly zero. ``g4_values`` are the rows
    ``(η [1/Å²], ζ, λ)``, ``pairs`` the species-rank pairs of :func:`species_pairs`.
    """
    n, dtype, device = g4.shape[0], g4.dtype, g4.device
    ns, rc = n_species, r_cut
    with torch.no_grad():
        counts = torch.bincount(centre, minlength=n)  # (n,)
        start = torch.cumsum(counts, 0) - counts  # (n,)
        slot = torch.arange(centre.numel(), device=device) - start[centre]  # (P,)
        k_max = int(counts.max())
    far = torch.tensor([3.0 * rc, 0.0, 0.0], dtype=dtype, device=device)
    v = far.expand(n, k_max, 3).index_put((centre, slot), vec)  # (n, K, 3)
    r = torch.zeros(n, k_max, dtype=dtype, device=device).fill_(3.0 * rc)
    r = r.index_put((centre, slot), dist)  # (n, K)
    f = torch.zeros(n, k_max, dtype=dtype, device=device).index_put((centre, slot), fc)
    onehot = torch.zeros(n, k_max, ns, dtype=dtype, device=device)  # (n, K, ns)
    onehot[centre, slot, spec] = 1.0
    dot = torch.bmm(v, v.transpose(1, 2))  # (n, K, K)
    r2 = r.square()  # (n, K)
    rjk2 = r2[:, :, None] + r2[:, None, :] - 2.0 * dot  # (n, K, K)
    eye = torch.eye(k_max, dtype=torch.bool, device=device)
    real = torch.zeros(n, k_max, dtype=torch.bool, device=device)
    real[centre, slot] = True  # (n, K) occupied slots
    inside = (rjk2 < rc * rc) & ~eye & real[:, :, None] & real[:, None, :]  # (n, K, K)
    rjk2 = torch.where(inside, rjk2, rc * rc)  # (n, K, K) safe for sqrt and its gradient
    fjk = cosine_cutoff(rjk2.sqrt(), rc) * inside  # (n, K, K)
    inv_r = 1.0 / r  # (n, K)
    cos = dot * inv_r[:, :, None] * inv_r[:, None, :]  # (n, K, K)
    # exp(-eta (r_ij^2 + r_ik^2 + r_jk^2)) f_ij f_ik f_jk factorises: the per-neighbour
    # parts go into the species weights w (n, K, ns), the jk part stays (n, K, K)
    angular: dict[tuple[float, float], Tensor] = {}
    pair_terms: dict[float, tuple[Tensor, Tensor]] = {}
    hi, lo = (list(x) for x in zip(*pairs, strict=True))
    same = torch.tensor(
        [0.5 if i == j else 1.0 for i, j in pairs], dtype=dtype, device=device
    )  # (n_pairs,)
    for p, (eta, zeta, lam) in enumerate(g4_values):
        if (zeta, lam) not in angular:
            base = (
                1.0 + lam * cos if lam not in (1.0, -1.0) else (1.0 + cos if lam > 0 else 1.0 - cos)
            )
            angular[(zeta, lam)] = _power(base, zeta)  # (n, K, K)
        if eta not in pair_terms:
            w = onehot * (f * torch.exp(-eta * r2))[:, :, None]  # (n, K, ns)
            pair_terms[eta] = (w, torch.exp(-eta * rjk2) * fjk)  # (n, K, ns), (n, K, K)
        w, ejk = pair_terms[eta]
        t = angular[(zeta, lam)] * ejk  # (n, K, K)
        # ordered sums over neighbour species: m[a, b] = sum_{j in a, k in b, j != k}
        m = torch.bmm(torch.bmm(w.transpose(1, 2), t), w)  # (n, ns, ns)
        # unordered pairs j < k: m[a, b] for a != b and m[a, a] / 2
        g4[:, :, p] = m[:, hi, lo] * (same * 2.0 ** (1.0 - zeta))


def _power(base: Tensor, zeta: float) -> Tensor:
    """``max(base, 0) ** zeta``; integer ζ by repeated squaring (faster than ``pow``, exact)."""
    if zeta == int(zeta) and 1 <= zeta <= 64:
        k = int(zeta)
        out, sq = None, base
        while k:
            if k & 1:
                out = sq if out is None else out * sq
            k >>= 1
            if k:
                sq = sq * sq
        return out
    return base.clamp_min(0.0).pow(zeta)
