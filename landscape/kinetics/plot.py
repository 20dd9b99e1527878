"""Arrhenius plot of a kinetics summary: both methods, their fits and the percolation barrier."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .._plotting import pyplot
from ..units import K_B

__all__ = ["plot_arrhenius"]

_STYLE = {"exact": ("#4477aa", "o", "exact"), "kmc": ("#ee6677", "s", "KMC")}


def plot_arrhenius(summary: dict, path: str | Path, *, title: str | None = None) -> Path:
    """Write an Arrhenius plot (PNG) of D(T) from :func:`~landscape.kinetics.kinetics_summary`.

    Parameters
    ----------
    summary : dict
        ``temperatures_K`` (K), ``D_cm2_s`` ({method: [cm²/s]}), optional ``D_ci_cm2_s``
        ({"kmc": [[lo, hi]]}), ``Ea_eV`` and ``D0_cm2_s`` ({method: eV, cm²/s}),
        ``percolation_barrier_eV`` ({"any": eV or None}).
    path : str or pathlib.Path
        Output PNG file.
    title : str, optional
        Figure title.

    Returns
    -------
    pathlib.Path
        The file written.

    Notes
    -----
    log D against 1000/T with a top axis in K; points per method (KMC with its confidence
    interval; hollow where ``kmc_diffusive`` says the walk was cut before it was diffusive), dashed Arrhenius fits labelled with Ea, and a dotted line of slope −E*/k_B (the
    percolation barrier) through the exact (else KMC) D at the highest temperature.
    """
    plt = pyplot()
    path = Path(path)
    temps = np.asarray(summary["temperatures_K"], dtype=float)
    inv = 1000.0 / temps
    fig, ax = plt.subplots(figsize=(6.0, 4.5), dpi=120)
    grid = np.linspace(inv.min() - 0.03 * np.ptp(inv), inv.max() + 0.03 * np.ptp(inv), 100)
    for method, D in summary["D_cm2_s"].items():
        color, marker, label = _STYLE.get(method, ("k", "^", method))
        D = np.asarray(D, dtype=float)
        ok = D > 0
        ci = summary.get("D_ci_cm2_s", {}).get(method)
        if method == "kmc" and "kmc_diffusive" in summary:
            short = ok & ~np.asarray(summary["kmc_diffusive"], dtype=bool)
            ok = ok & ~short
            if short.any():  # cut by the hop budget: not yet diffusive, not in the fit
                ax.plot(
                    inv[short], D[short], marker, color=color, mfc="none", alpha=0.6, ms=7,
                    label=f"{label}, walk not yet diffusive (not fitted)",
                )  # fmt: skip
        if ci is not None:
            ci = np.asarray(ci, dtype=float)
            yerr = np.abs(np.vstack([D - ci[:, 0], ci[:, 1] - D]))[:, ok]
            ax.errorbar(inv[ok], D[ok], yerr=yerr, fmt=marker, color=color, capsize=3, label=label)
        else:
            ax.plot(inv[ok], D[ok], marker, color=color, label=label, ms=7, mfc="none", mew=1.5)
        Ea = summary.get("Ea_eV", {}).get(method)
        D0 = summary.get("D0_cm2_s", {}).get(method)
        if Ea is not None and D0 is not None:
            se = summary.get("Ea_stderr_eV", {}).get(method)
            pm = f" ± {se:.3f}" if se is not None and np.isfinite(se) else ""
            ax.plot(
                grid,
                D0 * np.exp(-Ea * grid / (1000.0 * K_B)),
                "--",
                color=color,
                lw=1,
                label=f"{label} fit: Eₐ = {Ea:.3f}{pm} eV",
            )
    e_perc = summary.get("percolation_barrier_eV", {}).get("any")
    anchor = summary["D_cm2_s"].get("exact", next(iter(summary["D_cm2_s"].values())))
    anchor = np.asarray(anchor, dtype=float)
    if e_perc is not None and np.any(anchor > 0):
        k = int(np.argmin(inv[anchor > 0]))
        x0, y0 = inv[anchor > 0][k], anchor[anchor > 0][k]
        ax.plot(
            grid,
            y0 * np.exp(-e_perc * (grid - x0) / (1000.0 * K_B)),
            ":",
            color="0.3",
            lw=1.5,
            label=f"percolation barrier E* = {e_perc:.3f} eV",
        )
    elif e_perc is None:
        ax.text(0.02, 0.03, "no wrapping cluster: D = 0", transform=ax.transAxes, color="0.3")
    ax.set_yscale("log")
    ax.set_xlabel("1000 / T (1/K)")
    ax.set_ylabel("D (cm²/s)")
    top = ax.secondary_xaxis("top", functions=(lambda x: 1000.0 / np.maximum(x, 1e-9),) * 2)
    top.set_xlabel("T (K)")
    if title:
        ax.set_title(title, fontsize=10, pad=28)
    ax.legend(fontsize=8, frameon=False)
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
