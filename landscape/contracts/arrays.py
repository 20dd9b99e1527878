"""The hop network as validated flat arrays: :class:`HopArrays`, built by :func:`hop_arrays`.

:func:`hop_arrays` is the one validator of the hop-network contract (docs/design.md, "Hop
network"): every kinetics function and ``landscape db ingest`` work on what it returns, so what
can be stored is exactly what the kinetics accept. :func:`as_temperatures` checks temperatures
(K) the same way for every caller.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import networkx as nx
import numpy as np

from ..errors import InputError
from ..units import DEFAULT_PREFACTOR_HZ, K_B

__all__ = ["HopArrays", "as_temperatures", "hop_arrays", "hop_arrays_from_columns"]


@dataclass(frozen=True, eq=False)
class HopArrays:
    """A validated hop network as flat arrays (edges in CSR order, sorted by source site).

    Attributes
    ----------
    node_ids : list
        Original node labels; site index ``i`` of every array is ``node_ids[i]``.
    positions : numpy.ndarray, shape (n, 3)
        Site positions, Å.
    energies : numpy.ndarray, shape (n,)
        Site energies, eV.
    cell : numpy.ndarray, shape (3, 3)
        Periodic cell, Å (rows are lattice vectors).
    src, dst : numpy.ndarray of int64, shape (m,)
        Source and target site of every directed hop.
    shift : numpy.ndarray of int64, shape (m, 3)
        Lattice image of the target the hop lands in.
    barrier : numpy.ndarray, shape (m,)
        Barrier ``E_saddle − E_src``, eV.
    prefactor : numpy.ndarray, shape (m,)
        Attempt frequency, Hz.
    displacement : numpy.ndarray, shape (m, 3)
        ``pos[dst] + shift · cell − pos[src]``, Å.
    indptr : numpy.ndarray of int64, shape (n + 1,)
        CSR row pointer: the out-edges of site ``i`` are ``indptr[i]:indptr[i + 1]``.
    """

    node_ids: list
    positions: np.ndarray
    energies: np.ndarray
    cell: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    shift: np.ndarray
    barrier: np.ndarray
    prefactor: np.ndarray
    displacement: np.ndarray
    indptr: np.ndarray

    @property
    def n_sites(self) -> int:
        """Number of sites."""
        return len(self.energies)

    @property
    def n_hops(self) -> int:
        """Number of directed hops (edges)."""
        return len(self.src)

    @property
    def n_pairs(self) -> int:
        """Number of undirected site pairs: a hop ``i → j`` (shift ``s``) and ``j → i`` (``−s``) are one.

        Equals ``n_hops / 2`` when every hop has its reverse, as the contract asks.
        """
        fwd = np.column_stack([self.src, self.dst, self.shift])  # (m, 5)
        rev = np.column_stack([self.dst, self.src, -self.shift])  # (m, 5)
        d = fwd - rev
        first = (d != 0).argmax(axis=1)  # first column where they differ (0 if equal)
        take_rev = d[np.arange(len(d)), first] > 0
        canon = np.where(take_rev[:, None], rev, fwd)  # (m, 5): the smaller of the two
        return int(len(np.unique(canon, axis=0))) if len(canon) else 0

    @property
    def saddle_energies(self) -> np.ndarray:
        """Saddle energy ``E_src + barrier`` of every directed hop, eV, shape (m,)."""
        return self.energies[self.src] + self.barrier

    def rates(self, temperature: float) -> np.ndarray:
        """Hop rates ``k = prefactor · exp(−barrier / k_B T)``, Hz, shape (m,).

        Parameters
        ----------
        temperature : float
            Temperature, K (> 0).
        """
        (T,) = as_temperatures(temperature)
        return self.prefactor * np.exp(-self.barrier / (K_B * T))


def as_temperatures(T: float | np.ndarray | list[float]) -> np.ndarray:
    """Temperatures as a 1-D float array, K; raise :class:`InputError` unless all are finite and > 0."""
    try:
        temps = np.atleast_1d(np.asarray(T, dtype=float))
    except (TypeError, ValueError) as exc:
        raise InputError(f"temperatures must be numbers in K, got {T!r}") from exc
    if temps.ndim != 1 or temps.size == 0:
        raise InputError(f"temperatures must be a scalar or a 1-D list of K, got {T!r}")
    if not np.all(np.isfinite(temps)) or np.any(temps <= 0):
        raise InputError(f"temperatures must be finite and > 0 K, got {temps.tolist()}")
    return temps


def hop_arrays(G: nx.MultiDiGraph | HopArrays) -> HopArrays:
    """Validate a hop network against the contract and convert it to :class:`HopArrays`.

    Parameters
    ----------
    G : networkx.MultiDiGraph or HopArrays
        Hop network (docs/design.md, "Hop network"): graph attribute ``cell`` (3×3, Å); node attributes
        ``position`` (Å) and ``energy`` (eV); edge attributes ``barrier`` (eV, finite, >= 0),
        ``shift`` (3 integers) and optional ``prefactor`` (Hz, > 0; default 1e13). A
        :class:`networkx.DiGraph` is accepted too. A :class:`HopArrays` is returned unchanged.

    Returns
    -------
    HopArrays
        Sites in the graph's node order, edges sorted by source site.

    Raises
    ------
    InputError
        Empty network, no hops, a missing or non-finite attribute, a negative barrier, a
        non-integer shift, a non-positive prefactor, an undirected graph.

    Examples
    --------
    >>> from landscape.kinetics.synthetic import cubic_lattice_network
    >>> net = hop_arrays(cubic_lattice_network(2))
    >>> net.n_sites, net.n_hops
    (8, 48)

    Notes
    -----
    O(n + m) Python work to read the attributes; everything after is vectorised.
    """
    if isinstance(G, HopArrays):
        return G
    cell = _network_cell(G)
    node_ids, positions, energies = _site_arrays(G)
    index = {node: k for k, node in enumerate(node_ids)}
    src, dst, shift, barrier, prefactor = _hop_columns(G, index)

    order = np.argsort(src, kind="stable")
    return hop_arrays_from_columns(
        node_ids, positions, energies, cell, src, dst, shift, barrier, prefactor, order
    )


def hop_arrays_from_columns(
    node_ids: list,
    positions: np.ndarray,
    energies: np.ndarray,
    cell: np.ndarray,
    src: np.ndarray,
    dst: np.ndarray,
    shift: np.ndarray,
    barrier: np.ndarray,
    prefactor: np.ndarray,
    order: np.ndarray,
) -> HopArrays:
    """:class:`HopArrays` from checked columns: sites (positions Å, energies eV), cell (3×3, Å)
    and hops (src, dst, shift, barrier eV, prefactor Hz), the hops taken in ``order`` (which
    must sort them by source site); adds the CSR pointers and the displacements (Å)."""
    src, dst, shift, barrier, prefactor = (
        src[order],
        dst[order],
        shift[order],
        barrier[order],
        prefactor[order],
    )
    n = len(node_ids)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    displacement = positions[dst] + shift @ cell - positions[src]  # (m, 3)
    return HopArrays(
        node_ids=node_ids,
        positions=positions,
        energies=energies,
        cell=cell,
        src=src,
        dst=dst,
        shift=shift,
        barrier=barrier,
        prefactor=prefactor,
        displacement=displacement,
        indptr=indptr,
    )


def _network_cell(G: object) -> np.ndarray:
    """The cell (3, 3) Å of a directed networkx graph with at least one site.

    Raises
    ------
    InputError
        Not a networkx graph, an undirected graph, no sites, no or a malformed ``cell``.
    """
    if not isinstance(G, nx.Graph):
        raise InputError(f"expected a networkx MultiDiGraph hop network, got {type(G).__name__}")
    if not G.is_directed():
        raise InputError(
            "hop network must be directed (one edge per hop direction), got undirected"
        )
    if G.number_of_nodes() == 0:
        raise InputError("hop network is empty: no sites; expected at least one node")
    if "cell" not in G.graph:
        raise InputError("hop network has no graph attribute 'cell'; expected a 3x3 cell in Å")
    try:
        cell = np.asarray(G.graph["cell"], dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"cell must be a 3x3 list of Å, got {G.graph['cell']!r}") from exc
    if cell.shape != (3, 3) or not np.all(np.isfinite(cell)):
        raise InputError(f"cell must be a finite 3x3 list of Å, got {G.graph['cell']!r}")
    return cell


def _site_arrays(G: nx.Graph) -> tuple[list, np.ndarray, np.ndarray]:
    """The node labels, positions (n, 3) Å and energies (n,) eV of the sites, in node order.

    Raises
    ------
    InputError
        A site without ``position`` or ``energy``, or with a malformed or non-finite one.
    """
    node_ids = list(G.nodes)
    n = len(node_ids)
    positions = np.empty((n, 3))
    energies = np.empty(n)
    for k, (node, data) in enumerate(G.nodes(data=True)):
        for key in ("position", "energy"):
            if key not in data:
                raise InputError(
                    f"site {node!r} has no attribute {key!r}; expected position (Å) and energy (eV)"
                )
        positions[k] = _vector(data["position"], f"position of site {node!r}")
        try:
            energies[k] = float(data["energy"])
        except (TypeError, ValueError) as exc:
            raise InputError(
                f"energy of site {node!r} must be a number in eV, got {data['energy']!r}"
            ) from exc
        if not math.isfinite(energies[k]):
            raise InputError(
                f"energy of site {node!r} is {energies[k]}; expected a finite number of eV"
            )
    return node_ids, positions, energies


def _hop_columns(
    G: nx.Graph, index: dict
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The hops of ``G`` in edge order, checked, as columns.

    Parameters
    ----------
    G : networkx.DiGraph or networkx.MultiDiGraph
        Hop network.
    index : dict
        Node label -> site index.

    Returns
    -------
    src, dst : numpy.ndarray of int64, shape (m,)
        Source and target site index.
    shift : numpy.ndarray of int64, shape (m, 3)
        Lattice image of the target.
    barrier : numpy.ndarray, shape (m,)
        eV.
    prefactor : numpy.ndarray, shape (m,)
        Hz (the default attempt frequency where a hop has none).

    Raises
    ------
    InputError
        No hops, or a hop with a missing or invalid barrier, shift or prefactor.
    """
    m = G.number_of_edges()
    if m == 0:
        raise InputError("hop network has no hops (edges); expected at least one hop")
    src = np.empty(m, dtype=np.int64)
    dst = np.empty(m, dtype=np.int64)
    shifts: list = [None] * m
    barrier = np.empty(m)
    prefactor = np.empty(m)
    default_nu = float(DEFAULT_PREFACTOR_HZ)
    # Plain Python values (what node-link JSON gives) take the fast paths; ``x - x == 0.0`` holds
    # for finite floats only. Anything else goes through the full checks and their messages.
    for e, (i, j, data) in enumerate(G.edges(data=True)):
        src[e], dst[e] = index[i], index[j]
        b = data.get("barrier")
        if not (type(b) is float and b >= 0.0 and b - b == 0.0):
            b = _barrier(i, j, data)
        barrier[e] = b
        s = data.get("shift")
        if not (
            type(s) is list
            and len(s) == 3
            and type(s[0]) is int
            and type(s[1]) is int
            and type(s[2]) is int
        ):
            s = _shift(i, j, data)
        shifts[e] = s
        nu = data.get("prefactor")
        if nu is None:
            nu = default_nu
        elif not (type(nu) is float and nu > 0.0 and nu - nu == 0.0):
            nu = _prefactor(i, j, nu)
        prefactor[e] = nu
    try:
        shift = np.array(shifts, dtype=np.int64).reshape(m, 3)
    except OverflowError:
        raise InputError(
            "a hop's shift does not fit 64-bit integers; expected small lattice-image integers"
        ) from None
    return src, dst, shift, barrier, prefactor


def _vector(value: object, what: str, *, length: int = 3) -> np.ndarray:
    """``value`` as ``length`` finite floats; :class:`InputError` naming ``what`` otherwise."""
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{what} must be {length} numbers, got {value!r}") from exc
    if arr.shape != (length,) or not np.all(np.isfinite(arr)):
        raise InputError(f"{what} must be {length} finite numbers, got {value!r}")
    return arr


def _barrier(i: object, j: object, data: dict) -> float:
    """The barrier (eV, finite, >= 0) of hop ``i -> j`` from its attributes ``data``."""
    hop = f"hop {i!r} -> {j!r}"
    if "barrier" not in data:
        raise InputError(f"{hop} has no attribute 'barrier'; expected a barrier in eV")
    try:
        b = float(data["barrier"])
    except (TypeError, ValueError) as exc:
        raise InputError(f"{hop} has barrier {data['barrier']!r}; expected a number in eV") from exc
    if not math.isfinite(b) or b < 0:
        raise InputError(f"{hop} has barrier {b} eV; expected a finite barrier >= 0 eV")
    return b


def _shift(i: object, j: object, data: dict) -> list[int]:
    """The lattice-image shift (3 integers) of hop ``i -> j`` from its attributes ``data``."""
    hop = f"hop {i!r} -> {j!r}"
    if "shift" not in data:
        raise InputError(f"{hop} has no attribute 'shift'; expected 3 integers (lattice image)")
    s = _vector(data["shift"], f"shift of {hop}")
    if np.any(s != np.round(s)) or np.any(np.abs(s) > 2**31):
        raise InputError(f"shift of {hop} must be 3 small integers, got {data['shift']!r}")
    return [int(x) for x in s]


def _prefactor(i: object, j: object, nu: object) -> float:
    """The prefactor ``nu`` (Hz, finite, > 0) of hop ``i -> j`` as a float."""
    hop = f"hop {i!r} -> {j!r}"
    try:
        nu = float(nu)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{hop} has prefactor {nu!r}; expected a number in Hz") from exc
    if not math.isfinite(nu) or nu <= 0:
        raise InputError(f"{hop} has prefactor {nu} Hz; expected a finite prefactor > 0 Hz")
    return nu
