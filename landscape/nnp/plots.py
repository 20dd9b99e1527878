"""Figures of a trained simplified NNP: parity plot and learning curve (PNG files)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .._plotting import pyplot

__all__ = ["parity_plot", "learning_curve"]


def parity_plot(model: Any, path: str | Path, *, title: str | None = None) -> Path:
    """Predicted vs reference insertion energy of the training and held-out test points.

    With ``max_host_displacement`` set, the points left out of training because the host
    rearranged are drawn in grey, and rearranged test points are circled.

    Parameters
    ----------
    model : SimplifiedNNP
        A model fitted in this session (``model.predictions_`` holds the points).
    path : str or Path
        The PNG file to write.
    title : str, optional

    Returns
    -------
    Path
        The file written.
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.0, 5.0), dpi=120)
    lo, hi = np.inf, -np.inf
    for name, colour in (("train", "tab:blue"), ("test", "tab:red")):
        y, pred = model.predictions_[name]
        rmse = float(np.sqrt(np.mean((y - pred) ** 2)))
        ax.scatter(
            y,
            pred,
            s=6 if name == "train" else 12,
            alpha=0.6,
            color=colour,
            label=f"{name} (n={len(y)}, RMSE {1000 * rmse:.1f} meV)",
        )
        lo, hi = min(lo, y.min(), pred.min()), max(hi, y.max(), pred.max())
    y, pred = model.predictions_.get("excluded", (np.zeros(0), np.zeros(0)))
    if len(y):
        ax.scatter(y, pred, s=6, alpha=0.5, color="0.6", marker="x",
                   label=f"not trained on: host rearranged (n={len(y)})")  # fmt: skip
        lo, hi = min(lo, y.min(), pred.min()), max(hi, y.max(), pred.max())
    y, pred = model.predictions_.get("test_excluded", (np.zeros(0), np.zeros(0)))
    if len(y):
        ax.scatter(y, pred, s=40, facecolors="none", edgecolors="k", linewidths=0.7,
                   label=f"test, host rearranged (n={len(y)})")  # fmt: skip
    pad = 0.05 * (hi - lo)
    ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], color="k", lw=0.8)
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_xlabel("reference $E_\\mathrm{insert}$ (eV)")
    ax.set_ylabel("NNP $E_\\mathrm{insert}$ (eV)")
    ax.set_title(title or "Simplified NNP: parity")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def learning_curve(model: Any, path: str | Path, *, title: str | None = None) -> Path:
    """Training and validation RMSE (eV, log scale) per Adam epoch / L-BFGS segment, per member.

    Parameters
    ----------
    model : SimplifiedNNP
        A fitted model (``model.history_``).
    path : str or Path
        The PNG file to write.
    title : str, optional

    Returns
    -------
    Path
        The file written.
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.0, 4.0), dpi=120)
    for m, hist in enumerate(model.history_):
        step = np.asarray(hist["step"])
        colour = f"C{m % 10}"
        ax.plot(step, hist["train_rmse"], color=colour, lw=0.8, ls="--")
        ax.plot(step, hist["val_rmse"], color=colour, lw=1.2, label=f"member {m}")
        lb = [i for i, ph in enumerate(hist["phase"]) if ph == "lbfgs"]
        if lb:
            ax.axvline(step[lb[0]] - 0.5, color=colour, lw=0.5, alpha=0.4)
    ax.set_yscale("log")
    ax.set_xlabel("Adam epoch, then L-BFGS segment (20 iterations)")
    ax.set_ylabel("RMSE (eV)")
    ax.set_title(title or "Learning curve (solid: validation, dashed: training)")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
