"""Arrhenius fit ``D = D0 · exp(−Ea / k_B T)`` and the effective activation energy ``Ea(T)``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

from ..errors import InputError
from ..units import K_B
from .network import as_temperatures

__all__ = ["ArrheniusFit", "arrhenius"]


@dataclass(frozen=True, eq=False)
class ArrheniusFit:
    """Result of :func:`arrhenius`.

    Attributes
    ----------
    Ea, Ea_stderr : float
        Activation energy and its standard error, eV (``nan`` stderr with two points).
    D0, D0_stderr : float
        Prefactor and its standard error (``D0 · stderr(ln D0)``), cm²/s.
    temperatures : numpy.ndarray, shape (nT,)
        K, sorted as given.
    D : numpy.ndarray, shape (nT,)
        cm²/s.
    Ea_effective : numpy.ndarray, shape (nT,)
        ``−d ln D / d(1/k_B T)`` at each temperature (second-order finite differences), eV.
    r_squared : float
        Coefficient of determination of ln D vs 1/k_B T.
    """

    Ea: float
    Ea_stderr: float
    D0: float
    D0_stderr: float
    temperatures: np.ndarray
    D: np.ndarray
    Ea_effective: np.ndarray
    r_squared: float

    def predict(self, T: float | np.ndarray) -> np.ndarray:
        """``D0 · exp(−Ea / k_B T)``, cm²/s, at temperature(s) ``T`` (K)."""
        return self.D0 * np.exp(-self.Ea / (K_B * as_temperatures(T)))


def arrhenius(
    T: np.ndarray | list[float],
    D: np.ndarray | list[float],
    *,
    D_stderr: np.ndarray | list[float] | None = None,
) -> ArrheniusFit:
    """Fit ``ln D = ln D0 − Ea / k_B T`` by least squares (scipy).

    Parameters
    ----------
    T : array_like
        Temperatures, K (> 0, at least two distinct).
    D : array_like
        Diffusion coefficients, cm²/s (> 0, finite).
    D_stderr : array_like, optional
        Standard errors of ``D`` (cm²/s); when given, a weighted fit (``scipy.optimize.curve_fit``
        with ``sigma = D_stderr / D`` in ln D, ``absolute_sigma=True``); otherwise
        ``scipy.stats.linregress``.

    Returns
    -------
    ArrheniusFit
        ``Ea`` (eV) and ``D0`` (cm²/s) with standard errors, and ``Ea_effective(T)`` (eV).

    Raises
    ------
    InputError
        Fewer than two temperatures, mismatched lengths, D <= 0 or not finite.

    Examples
    --------
    >>> from landscape.units import K_B
    >>> T = np.array([500.0, 600.0, 700.0, 800.0])
    >>> fit = arrhenius(T, 1e-3 * np.exp(-0.6 / (K_B * T)))
    >>> round(fit.Ea, 9), round(fit.D0, 12)
    (0.6, 0.001)

    Notes
    -----
    ``Ea_effective`` is ``−d ln D / d(1/k_B T)`` from :func:`numpy.gradient` on the points sorted
    by ``1/k_B T`` (exact for a single Arrhenius law; it drifts with T when several paths compete).
    """
    temps = as_temperatures(T)
    values = np.atleast_1d(np.asarray(D, dtype=float))
    if values.shape != temps.shape:
        raise InputError(f"need one D per temperature, got {values.size} D for {temps.size} T")
    if len(np.unique(temps)) < 2:
        raise InputError(f"need at least two distinct temperatures, got {temps.tolist()} K")
    if not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise InputError(
            f"D must be finite and > 0 cm²/s for an Arrhenius fit, got {values.tolist()}"
        )
    x = 1.0 / (K_B * temps)  # 1/eV
    y = np.log(values)
    if D_stderr is None:
        fit = stats.linregress(x, y)
        slope, intercept = fit.slope, fit.intercept
        if len(x) > 2:
            slope_se, intercept_se = fit.stderr, fit.intercept_stderr
        else:
            slope_se = intercept_se = float("nan")
    else:
        err = np.atleast_1d(np.asarray(D_stderr, dtype=float))
        if err.shape != values.shape or not np.all(np.isfinite(err)) or np.any(err <= 0):
            raise InputError(f"D_stderr must be one finite value > 0 per D, got {err.tolist()}")
        p, cov = optimize.curve_fit(
            lambda xx, a, b: a + b * xx, x, y, sigma=err / values, absolute_sigma=True
        )
        intercept, slope = p
        intercept_se, slope_se = np.sqrt(np.diag(cov))
    residual = y - (intercept + slope * x)
    total = ((y - y.mean()) ** 2).sum()
    r2 = 1.0 - (residual**2).sum() / total if total > 0 else 1.0
    order = np.argsort(x)
    eff = np.empty_like(x)
    eff[order] = -np.gradient(y[order], x[order], edge_order=2 if len(x) > 2 else 1)
    D0 = float(np.exp(intercept))
    return ArrheniusFit(
        Ea=float(-slope),
        Ea_stderr=float(slope_se),
        D0=D0,
        D0_stderr=float(D0 * intercept_se),
        temperatures=temps,
        D=values,
        Ea_effective=eff,
        r_squared=float(r2),
    )
