"""matplotlib for the package's figures: the Agg backend (files, no display), imported on first use."""

from __future__ import annotations

from typing import Any


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the Agg backend; an ImportError names what to install."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover
        raise ImportError("figures need matplotlib: pip install matplotlib") from exc
    return plt
