"""The vectorised CHGNet crystal-graph builder: moved to :mod:`landscape.calculators.chgnet_graph`,
re-exported here."""

from __future__ import annotations

from ..calculators.chgnet_graph import crystal_graph, graph_arrays

__all__ = ["crystal_graph", "graph_arrays"]
