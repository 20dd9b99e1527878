"""The hop network as arrays, for the kinetics: contract validation, CSR edge order, rates.

Every kinetics function takes a hop network (a :class:`networkx.MultiDiGraph` following the contract
of :mod:`landscape.contracts`) or the :class:`HopArrays` made from it by :func:`hop_arrays`. The
arrays keep one row per directed edge, sorted by source site (CSR order), so that the out-edges of
site ``i`` are rows ``indptr[i]:indptr[i + 1]``. The names are those of :mod:`landscape.contracts`,
the one place the contract is written down.
"""

from __future__ import annotations

from ..contracts import HopArrays, as_temperatures, hop_arrays, hop_counts, load_network

__all__ = ["HopArrays", "hop_arrays", "hop_counts", "load_network", "as_temperatures"]
