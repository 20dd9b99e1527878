"""Checks on option values, run before any work: each refuses a bad value with one line that names
the option, the value and what was expected (an :class:`~landscape.errors.InputError`)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from .errors import InputError

__all__ = ["check_number", "check_choice", "check_species", "check_device"]


def check_number(
    value: Any,
    what: str,
    *,
    gt: float | None = None,
    ge: float | None = None,
    le: float | None = None,
    unit: str = "",
    optional: bool = False,
) -> Any:
    """Refuse a number that is NaN, infinite or out of range; ``None`` passes when ``optional``.

    Examples
    --------
    >>> check_number(0.05, "--fmax", gt=0)
    0.05
    >>> check_number(float("nan"), "--fmax", gt=0)
    Traceback (most recent call last):
    ...
    landscape.errors.InputError: --fmax must be a finite number > 0, got nan
    """
    if value is None and optional:
        return value
    bounds = []
    if gt is not None:
        bounds.append(f"> {gt:g}")
    if ge is not None:
        bounds.append(f">= {ge:g}")
    if le is not None:
        bounds.append(f"<= {le:g}")
    expected = "a finite number" + (" " + " and ".join(bounds) if bounds else "")
    expected += f" {unit}" if unit else ""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{what} must be {expected}, got {value!r}") from None
    if (
        isinstance(value, bool)
        or not math.isfinite(x)
        or (gt is not None and not x > gt)
        or (ge is not None and not x >= ge)
        or (le is not None and not x <= le)
    ):
        raise InputError(f"{what} must be {expected}, got {value}")
    return value


def check_choice(value: str, what: str, choices: Iterable[str]) -> str:
    """Refuse a value that is not one of ``choices``."""
    choices = list(choices)
    if value not in choices:
        raise InputError(f"{what} {value!r} is unknown; expected one of {choices}")
    return value


def check_species(symbol: str, what: str = "--species") -> str:
    """Refuse a string that is not a chemical symbol (``"Cu"``, not ``"Xx"`` or ``"cu"``)."""
    from ase.data import chemical_symbols

    if not isinstance(symbol, str) or symbol not in chemical_symbols[1:]:
        raise InputError(f"{what} {symbol!r} is not a chemical symbol; expected e.g. 'Cu' or 'Li'")
    return symbol


def check_device(device: str, what: str = "--device") -> str:
    """Refuse a torch device that does not exist or is not available on this machine."""
    import torch

    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise InputError(
            f"{what} {device!r} is not a torch device; expected 'cpu', 'cuda' or 'cuda:N'"
        ) from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise InputError(f"{what} {device!r}: CUDA is not available here; expected 'cpu'")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise InputError(
                f"{what} {device!r}: this machine has {torch.cuda.device_count()} CUDA device(s)"
            )
    elif dev.type == "mps":
        if not torch.backends.mps.is_available():
            raise InputError(f"{what} {device!r}: MPS is not available here; expected 'cpu'")
    elif dev.type != "cpu":
        raise InputError(f"{what} {device!r} is not supported; expected 'cpu' or 'cuda'")
    return device
