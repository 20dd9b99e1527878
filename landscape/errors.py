"""The exception tree of landscape.

``LandscapeError`` is the root; catch it to handle every error the package raises on purpose.
Messages are one line: what was wrong, and what was expected.
"""

from __future__ import annotations


class LandscapeError(Exception):
    """Base class of every error raised on purpose by landscape."""


class InputError(LandscapeError, ValueError):
    """Bad input: a file, a parameter, a network or a data set that does not meet the contract."""


class ConvergenceError(LandscapeError, RuntimeError):
    """An iterative method (minimisation, NEB, relaxation, training) did not converge."""


class StoreError(LandscapeError, RuntimeError):
    """The graph database could not be started, reached, authenticated against, or written."""


__all__ = ["LandscapeError", "InputError", "ConvergenceError", "StoreError"]
