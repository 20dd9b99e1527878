"""The simplified neural-network potential step: descriptors, model, training, files, surface.

- :mod:`~landscape.nnp.descriptors` — :class:`SymmetryFunctions` (Behler–Parrinello, in torch),
  :func:`propose_grids`.
- :mod:`~landscape.nnp.model` — :class:`SimplifiedNNP`, the estimator (parameters, fit, predict).
- :mod:`~landscape.nnp.training` — the members' training loop (serial or in spawned processes).
- :mod:`~landscape.nnp.io` — the model files (JSON + safetensors, SHA-256 checked):
  :func:`model_paths`.
- :mod:`~landscape.nnp.surface` — :class:`NNPSurface` (an EnergySurface) and
  :class:`NNPCalculator` (ASE).
- :mod:`~landscape.nnp.plots` — parity plot and learning curve.

Torch loads with the first name used from this package (``import landscape.nnp`` alone is cheap).
"""

from __future__ import annotations

from .._lazy import lazy_getattr

#: Public name -> submodule that defines it (imported on first use).
_LAZY: dict[str, str] = {
    "SymmetryFunctions": ".descriptors",
    "propose_grids": ".descriptors",
    "HostTensors": ".descriptors",
    "SimplifiedNNP": ".model",
    "NNPSurface": ".surface",
    "NNPCalculator": ".surface",
    "model_paths": ".io",
    "parity_plot": ".plots",
    "learning_curve": ".plots",
}

__all__ = list(_LAZY)


__getattr__ = lazy_getattr(__name__, _LAZY)


def __dir__() -> list[str]:
    return sorted(__all__)
