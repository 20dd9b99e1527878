"""The lean read of a stored hop network for the Python queries: :func:`saddle_network`.

:mod:`landscape.graph.algorithms` (``minimax_path``, ``bottleneck_hops``) needs of a stored network
only what :class:`~landscape.contracts.HopArrays` holds. :meth:`GraphStore.hop_network` reads every
property of every site and hop, builds a networkx graph equal to the one written, and
:func:`~landscape.contracts.hop_arrays` then walks it again; here ``cypher/network_saddles.cypher``
returns all sites in one record, each as a list of its index, energy, position and outgoing hops
(``[target, barrier, shift, prefactor]``; no uid: it follows from the sample, the sites and the
shift), read in one transaction with the sample's cell, and becomes :class:`HopArrays` directly.
The contract's checks are vectorised (nothing walks the hops in Python unless one is wrong, to
name it). For 300 sites and 3,400 hops on 2 idle cores, ``minimax_path`` takes 28 ms p50 and
``bottleneck_hops`` 39 ms, against 115 ms p50 for :meth:`GraphStore.hop_network` alone
(``benchmarks/bench_graph.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import numpy as np

from ..contracts import HopArrays
from ..contracts.arrays import hop_arrays_from_columns
from ..errors import InputError
from ..units import DEFAULT_PREFACTOR_HZ
from .network import gc_paused

__all__ = ["SaddleStore", "saddle_network"]


class SaddleStore(Protocol):
    """What :func:`saddle_network` needs of :class:`~landscape.graph.store.GraphStore`."""

    def read_network(self, sample_id: str, *names: str) -> tuple[dict, list[list[dict]]]: ...


def saddle_network(store: SaddleStore, sample_id: str) -> HopArrays:
    """The hop network of a stored sample as :class:`HopArrays`, read lean.

    ``cypher/network_saddles.cypher`` reads every site's index, energy (eV) and position (Å)
    with its outgoing hops' target, barrier (eV), shift and prefactor (Hz), and
    ``network_sample.cypher`` the cell (Å), in one read transaction: no hop uid and no other
    property, and no networkx graph in between. The result equals
    ``hop_arrays(store.hop_network(sample_id))`` up to the order of each site's hops (here by
    target, then shift); sites are in index order.

    Raises
    ------
    InputError
        An unknown sample, a sample without a stored hop network, or a stored network that breaks
        the hop-network contract (checked vectorised: finite energies and positions, finite
        barriers >= 0 eV, integer shifts, finite prefactors > 0 Hz, targets among the sites).
    """
    if not isinstance(sample_id, str) or not sample_id.strip():
        raise InputError(f"sample_id must be a non-empty string, got {sample_id!r}")
    props, (record,) = store.read_network(sample_id, "network_saddles")
    keys = ("i", "energy", "x", "y", "z", "hops")
    with gc_paused():
        sites = [dict(zip(keys, site, strict=True)) for site in record[0]["sites"]]
        return _saddle_arrays(f"the stored network of sample {sample_id!r}", props, sites)


def _floats(values: list, what: str, where: str) -> np.ndarray:
    """``values`` as a float array (a null becomes nan); :class:`InputError` if not numbers."""
    try:
        return np.array(values, dtype=float)
    except (TypeError, ValueError):
        for v in values if isinstance(values, list) else [values]:
            try:
                np.array(v, dtype=float)
            except (TypeError, ValueError):
                raise InputError(f"{where}: {what} must be numbers, got {v!r}") from None
        raise InputError(f"{where}: {what} must be numbers, got {values!r}") from None


def _bad_hop(where: str, site: int, hop: list) -> InputError:
    """The refusal of the stored hop ``hop`` of ``site`` (``[target, barrier, shift, prefactor]``:
    eV, 3 integers, Hz)."""
    return InputError(
        f"{where}: hop {site} -> {hop[0]!r} has barrier {hop[1]!r} eV, shift {hop[2]!r}, "
        f"prefactor {hop[3]!r} Hz; expected a finite barrier >= 0 eV, 3 integers and a "
        "finite prefactor > 0 Hz (or none)"
    )


def _lattice_image(shift: Any) -> bool:
    """True if ``shift`` is 3 small Python integers (as :func:`hop_arrays` takes them)."""
    return (
        type(shift) is list
        and len(shift) == 3
        and all(type(x) is int and abs(x) <= 2**31 for x in shift)
    )


def _saddle_arrays(where: str, sample: Mapping[str, Any], rows: list[dict]) -> HopArrays:
    """:class:`HopArrays` from the ``Sample`` properties and the rows of ``network_saddles``,
    checked vectorised (a Python walk only to name what is wrong)."""
    cell = _floats(sample.get("cell"), "the cell (9 numbers, Å)", where)
    if cell.shape != (9,) or not np.all(np.isfinite(cell)):
        raise InputError(f"{where}: the cell must be 9 finite numbers (Å), got {cell.tolist()}")
    index = np.array([r["i"] for r in rows])
    if index.dtype.kind != "i":
        raise InputError(f"{where}: site indices must be integers, got {index.tolist()!r:.200}")
    order = np.argsort(index)
    index = index[order]
    if np.any(index[1:] == index[:-1]):
        same = int(index[1:][index[1:] == index[:-1]][0])
        raise InputError(f"{where}: two sites have the index {same}; expected distinct indices")
    rows = [rows[k] for k in order.tolist()]
    energies = _floats([r["energy"] for r in rows], "site energies (eV)", where)
    positions = _floats([(r["x"], r["y"], r["z"]) for r in rows], "site positions (Å)", where)
    bad = np.flatnonzero(~np.isfinite(energies) | ~np.all(np.isfinite(positions), axis=1))
    if len(bad):
        k = int(bad[0])
        raise InputError(
            f"{where}: site {int(index[k])} has energy {energies[k]} eV and position "
            f"{positions[k].tolist()} Å; expected finite numbers"
        )
    n_out = [len(r["hops"]) for r in rows]
    hops = [h for r in rows for h in r["hops"]]
    if not hops:
        raise InputError(f"{where} has no hops; expected at least one hop")
    src = np.repeat(np.arange(len(rows)), n_out)
    target = np.array([h[0] for h in hops])
    dst = np.searchsorted(index, target) if target.dtype.kind == "i" else np.full(len(hops), -1)
    lost = (dst < 0) | (dst >= len(index))
    lost |= index[np.where(lost, 0, dst)] != target
    barrier = _floats([h[1] for h in hops], "barriers (eV)", where)
    nu = [DEFAULT_PREFACTOR_HZ if h[3] is None else h[3] for h in hops]
    nu = _floats(nu, "prefactors (Hz)", where)
    try:
        shift = np.array([h[2] for h in hops])
    except ValueError:  # shifts of different lengths
        shift = np.zeros((0,))
    bad = lost | ~np.isfinite(barrier) | (barrier < 0) | ~np.isfinite(nu) | (nu <= 0)
    if np.any(bad) or shift.shape != (len(hops), 3) or shift.dtype.kind != "i":
        k = next(k for k, h in enumerate(hops) if bad[k] or not _lattice_image(h[2]))
        raise _bad_hop(where, int(index[src[k]]), hops[k])
    shift = shift.astype(np.int64)
    order = np.lexsort((shift[:, 2], shift[:, 1], shift[:, 0], dst, src))  # source, target, shift
    return hop_arrays_from_columns(
        index.tolist(), positions, energies, cell.reshape(3, 3), src, dst, shift, barrier, nu, order
    )
