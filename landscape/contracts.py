"""The contracts between the steps: an energy surface, and the hop network with its one builder,
validator, saver and loader.

**EnergySurface** (:class:`EnergySurface`): the energy of the mobile atom's position in one fixed
host, ``energy_and_forces(positions (n, 3) Å) -> (energies (n,) eV, forces (n, 3) eV/Å)``, batched,
periodic in ``cell`` (torch (3, 3), rows are lattice vectors, Å), optionally with ``host``
(``ase.Atoms``). The site search and the hop search take any such object.

**Hop network**: a :class:`networkx.MultiDiGraph` with the graph attributes ``sample_id``, ``cell``
(3×3 list, Å), ``species`` (mobile) and ``energy_unit`` (``"eV"``); node ``i`` (integer site index)
with ``position`` [x, y, z] Å and ``energy`` eV (optional ``frequencies`` THz, ``uncertainty`` eV);
one edge per hop direction ``i → j`` with ``barrier`` eV (``E_saddle − E_i``), ``shift`` [n₁, n₂, n₃]
(the lattice image of ``j`` the hop lands in: the displacement is ``pos[j] + shift·cell − pos[i]``),
``prefactor`` Hz (default 1e13) and optional ``saddle`` [x, y, z] Å, ``profile`` [eV…], ``length`` Å.
Its exchange format is node-link JSON (``networkx.node_link_data(G, edges="edges")``).

- build: :func:`new_network`, :func:`add_site`, :func:`add_hop`;
- validate: :func:`hop_arrays` (gives the :class:`HopArrays` every kinetics function works on),
  with :func:`check_graph_attributes` for what the kinetics do not read (``sample_id``, ...);
- save and load: :func:`save_network` (atomic), :func:`load_network`, with :func:`network_data` /
  :func:`network_from_data` for the JSON object itself.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import networkx as nx
import numpy as np

from ._paths import write_json_atomic
from .errors import InputError
from .geometry import wrap_positions
from .units import DEFAULT_PREFACTOR_HZ, K_B

if TYPE_CHECKING:
    import torch

__all__ = [
    "EnergySurface",
    "check_surface",
    "GRAPH_REQUIRED",
    "new_network",
    "add_site",
    "add_hop",
    "HopArrays",
    "check_graph_attributes",
    "hop_arrays",
    "hop_counts",
    "as_temperatures",
    "network_data",
    "network_from_data",
    "save_network",
    "load_network",
    "network_points",
]

#: Graph attributes every hop network carries.
GRAPH_REQUIRED = ("sample_id", "cell", "species", "energy_unit")


# ----------------------------------------------------------------------------------------------
# EnergySurface


@runtime_checkable
class EnergySurface(Protocol):
    """The energy of the mobile atom's position in one fixed host (eV, Å), periodic in ``cell``.

    Attributes
    ----------
    cell : torch.Tensor, shape (3, 3)
        Rows are lattice vectors, Å; its dtype and device are those of the computation.
    host : ase.Atoms, optional
        The host structure (not part of the runtime check): the site search skips points inside
        its atoms when it is there.

    Examples
    --------
    >>> from landscape.explore import CosineSurface
    >>> isinstance(CosineSurface(2.5, 0.3, 2), EnergySurface)
    True
    """

    cell: torch.Tensor

    def energy_and_forces(self, positions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Energies (n,) eV and forces (n, 3) eV/Å at positions (n, 3) Å."""
        ...


def check_surface(surface: EnergySurface) -> tuple[torch.Tensor, torch.Tensor]:
    """The cell (3, 3) Å of an :class:`EnergySurface` and its inverse; :class:`InputError` if it is none."""
    import torch

    cell = getattr(surface, "cell", None)
    if not isinstance(cell, torch.Tensor) or cell.shape != (3, 3):
        raise InputError(
            "surface.cell must be a torch tensor of shape (3, 3), rows lattice vectors Å"
        )
    if not hasattr(surface, "energy_and_forces"):
        raise InputError(
            "surface must have energy_and_forces(positions) (docs/design.md EnergySurface)"
        )
    return cell, torch.linalg.inv(cell)


# ----------------------------------------------------------------------------------------------
# build


def new_network(
    cell: np.ndarray, *, sample_id: str, species: str = "Cu", **graph: Any
) -> nx.MultiDiGraph:
    """An empty hop network with the contract's graph attributes.

    Parameters
    ----------
    cell : array (3, 3)
        Rows are lattice vectors, Å.
    sample_id, species : str
        The host sample and the mobile species.
    **graph
        Further graph attributes, after the required ones.

    Raises
    ------
    InputError
        A cell that is not 3×3.
    """
    cell = np.asarray(cell, dtype=float)
    if cell.shape != (3, 3):
        raise InputError(f"cell must be 3x3 (rows are lattice vectors, Å), got shape {cell.shape}")
    return nx.MultiDiGraph(
        sample_id=str(sample_id), cell=cell.tolist(), species=species, energy_unit="eV", **graph
    )


def add_site(G: nx.MultiDiGraph, index: int, position: Any, energy: float, **attrs: Any) -> None:
    """Add site ``index`` at ``position`` (3 numbers, Å) with ``energy`` (eV) and further attributes."""
    G.add_node(index, position=[float(v) for v in position], energy=float(energy), **attrs)


def add_hop(
    G: nx.MultiDiGraph,
    i: int,
    j: int,
    shift: Any,
    saddle_energy: float,
    /,
    *,
    saddle: Any,
    profile: Any,
    cell: np.ndarray,
    prefactor: float = DEFAULT_PREFACTOR_HZ,
    reverse_prefactor: float | None = None,
    **attrs: Any,
) -> None:
    """Add the two directed edges of one hop, ``i → j`` (image ``shift`` of ``j``) and back.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Hop network holding sites ``i`` and ``j`` (with their ``energy``, eV).
    shift : 3 integers
        Lattice image of ``j`` the hop lands in.
    saddle_energy : float
        eV; the barriers are ``saddle_energy − E_i`` and ``saddle_energy − E_j``.
    saddle : 3 numbers
        Saddle point seen from ``i``, Å (the reverse edge gets ``saddle − shift·cell``).
    profile : sequence of float
        Energies along the path from ``i`` to ``j``, eV (the reverse edge gets it reversed).
    cell : array (3, 3)
        Rows are lattice vectors, Å.
    prefactor, reverse_prefactor : float
        Attempt frequencies of ``i → j`` and ``j → i``, Hz (the reverse defaults to ``prefactor``).
    **attrs
        Further attributes of both edges (``length``, ``saddle_energy``, ...), after the required
        ones.
    """
    shift = [int(s) for s in shift]
    saddle = np.asarray(saddle)
    back = saddle - np.asarray(shift, dtype=float) @ cell  # the same saddle seen from j's image
    es = float(saddle_energy)
    ei, ej = G.nodes[i]["energy"], G.nodes[j]["energy"]
    nu_ji = prefactor if reverse_prefactor is None else reverse_prefactor
    G.add_edge(
        i,
        j,
        barrier=es - ei,
        shift=shift,
        prefactor=float(prefactor),
        saddle=[float(v) for v in saddle],
        profile=[float(v) for v in profile],
        **attrs,
    )
    G.add_edge(
        j,
        i,
        barrier=es - ej,
        shift=[-v for v in shift],
        prefactor=float(nu_ji),
        saddle=[float(v) for v in back],
        profile=[float(v) for v in profile[::-1]],
        **attrs,
    )


# ----------------------------------------------------------------------------------------------
# validate


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


def check_graph_attributes(G: nx.Graph) -> None:
    """Check the contract's graph attributes: ``sample_id`` and ``species`` non-empty strings,
    ``energy_unit`` ``"eV"`` and ``cell`` present (its values are checked by :func:`hop_arrays`).

    Raises
    ------
    InputError
        A missing attribute or a wrong value, with the value.
    """
    missing = [k for k in GRAPH_REQUIRED if k not in G.graph]
    if missing:
        raise InputError(
            f"hop network lacks graph attribute(s) {missing}; expected {list(GRAPH_REQUIRED)}"
        )
    sid = G.graph["sample_id"]
    if not isinstance(sid, str) or not sid.strip():
        raise InputError(f"graph attribute 'sample_id' must be a non-empty string, got {sid!r}")
    if not isinstance(G.graph["species"], str) or not G.graph["species"]:
        raise InputError(
            f"graph attribute 'species' must be a non-empty string, got {G.graph['species']!r}"
        )
    if G.graph["energy_unit"] != "eV":
        raise InputError(
            f"graph attribute 'energy_unit' must be 'eV', got {G.graph['energy_unit']!r}"
        )


def _vector(value: object, what: str, *, length: int = 3) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{what} must be {length} numbers, got {value!r}") from exc
    if arr.shape != (length,) or not np.all(np.isfinite(arr)):
        raise InputError(f"{what} must be {length} finite numbers, got {value!r}")
    return arr


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
    >>> from landscape.synthetic import cubic_lattice_network
    >>> net = hop_arrays(cubic_lattice_network(2))
    >>> net.n_sites, net.n_hops
    (8, 48)

    Notes
    -----
    O(n + m) Python work to read the attributes; everything after is vectorised.
    """
    if isinstance(G, HopArrays):
        return G
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

    node_ids = list(G.nodes)
    index = {node: k for k, node in enumerate(node_ids)}
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

    order = np.argsort(src, kind="stable")
    src, dst, shift, barrier, prefactor = (
        src[order],
        dst[order],
        shift[order],
        barrier[order],
        prefactor[order],
    )
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


def _barrier(i: object, j: object, data: dict) -> float:
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
    hop = f"hop {i!r} -> {j!r}"
    if "shift" not in data:
        raise InputError(f"{hop} has no attribute 'shift'; expected 3 integers (lattice image)")
    s = _vector(data["shift"], f"shift of {hop}")
    if np.any(s != np.round(s)) or np.any(np.abs(s) > 2**31):
        raise InputError(f"shift of {hop} must be 3 small integers, got {data['shift']!r}")
    return [int(x) for x in s]


def _prefactor(i: object, j: object, nu: object) -> float:
    hop = f"hop {i!r} -> {j!r}"
    try:
        nu = float(nu)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{hop} has prefactor {nu!r}; expected a number in Hz") from exc
    if not math.isfinite(nu) or nu <= 0:
        raise InputError(f"{hop} has prefactor {nu} Hz; expected a finite prefactor > 0 Hz")
    return nu


def hop_counts(G: nx.MultiDiGraph | HopArrays) -> dict[str, int]:
    """How many hops and site pairs a network has, named the same everywhere.

    Returns
    -------
    dict
        ``hops``: directed hops (edges, one per direction); ``pairs``: undirected site pairs (a
        hop and its reverse, ``i → j`` with shift ``s`` and ``j → i`` with ``−s``, count once).
        A network without edges has 0 of each.

    Examples
    --------
    >>> from landscape.synthetic import cubic_lattice_network
    >>> hop_counts(cubic_lattice_network(3))
    {'hops': 162, 'pairs': 81}
    """
    if isinstance(G, HopArrays):
        return {"hops": G.n_hops, "pairs": G.n_pairs}
    pairs = set()  # counted without validating, so that a report or an export never fails here
    for i, j, d in G.edges(data=True):
        s = d.get("shift")
        try:
            fwd = tuple(int(x) for x in s)
            rev = tuple(-x for x in fwd)
        except (TypeError, ValueError):
            fwd = rev = repr(s)
        pairs.add(frozenset(((i, j, fwd), (j, i, rev))))
    return {"hops": G.number_of_edges(), "pairs": len(pairs)}


# ----------------------------------------------------------------------------------------------
# save and load


def network_data(G: nx.MultiDiGraph) -> dict:
    """The node-link JSON object of a hop network (``networkx.node_link_data(G, edges="edges")``)."""
    return nx.node_link_data(G, edges="edges")


def save_network(G: nx.MultiDiGraph, path: str | Path, *, indent: int | None = 1) -> Path:
    """Write a hop network as node-link JSON, atomically: a reader never sees half a file.

    The JSON goes to a temporary file in the same folder, which then replaces ``path``
    (:func:`os.replace`). Folders above ``path`` are made when missing.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Hop network.
    path : str or pathlib.Path
        JSON file.
    indent : int or None
        JSON indentation (None: one line).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(path, network_data(G), indent=indent)
    return path


def load_network(path: str | Path) -> nx.MultiDiGraph:
    """Read a hop network from node-link JSON (``networkx.node_link_data(G, edges="edges")``).

    Parameters
    ----------
    path : str or pathlib.Path
        JSON file. The edge list may be under ``"edges"`` or (older networkx) ``"links"``.

    Returns
    -------
    networkx.MultiDiGraph
        The network, not yet validated beyond its structure (see :func:`hop_arrays`).

    Raises
    ------
    InputError
        Missing file, malformed or empty JSON, no node list, hops to unknown site ids.
    """
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise InputError(f"cannot read hop network {str(path)!r}: {exc.strerror or exc}") from exc
    if not text.strip():
        raise InputError(f"hop network file {str(path)!r} is empty; expected node-link JSON")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"hop network file {str(path)!r} is not valid JSON (line {exc.lineno}: {exc.msg})"
        ) from exc
    return network_from_data(data, name=f"hop network file {str(path)!r}")


def network_from_data(data: Any, *, name: str = "hop network data") -> nx.MultiDiGraph:
    """The hop network of a node-link JSON object (:func:`network_data`), checked for structure.

    ``name`` says in messages where the object came from. Raises :class:`InputError` for an
    object without a node list, a malformed edge list, a node without ``id`` or a hop to an
    unknown site id; the contract itself is checked by :func:`hop_arrays`.
    """
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), list):
        raise InputError(
            f"{name} is not node-link JSON; expected an object with 'nodes' and 'edges'"
        )
    key = "edges" if "edges" in data else "links"
    edges = data.get(key, [])
    if not isinstance(edges, list) or not all(isinstance(e, dict) for e in edges):
        raise InputError(f"{name}: '{key}' must be a list of objects")
    try:
        ids = {_hashable(node["id"]) for node in data["nodes"]}
    except (KeyError, TypeError) as exc:
        raise InputError(f"{name}: every node needs an 'id'") from exc
    for e in edges:
        for end in ("source", "target"):
            if end not in e:
                raise InputError(f"{name}: a hop has no {end!r}")
            if _hashable(e[end]) not in ids:
                raise InputError(
                    f"hop {e.get('source')!r} -> {e.get('target')!r} refers to unknown site id {e[end]!r}"
                )
    data = {**data, "directed": True, "multigraph": True}
    return nx.node_link_graph(data, edges=key, multigraph=True, directed=True)


def _hashable(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value


# ----------------------------------------------------------------------------------------------
# read


def network_points(
    G: nx.MultiDiGraph, *, sites: bool = True, saddles: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the sites and saddle points of a hop network, for targeted reference points.

    A network found on a trained potential has its minima and saddles where the potential's error
    happens to pull them; reference energies computed there (``landscape reference run
    --network``, origin ``"network"``) and added to the training data correct the potential
    exactly where the barriers are read. One saddle per undirected hop (the two directions share
    it).

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Hop network (:func:`landscape.explore.find_hops`), with ``cell`` in its graph attributes.
    sites, saddles : bool
        Include the site positions / the saddle points.

    Returns
    -------
    positions : numpy.ndarray, shape (n, 3)
        Å, Cartesian, wrapped into the cell; sites first (by node id), then saddles.
    kinds : numpy.ndarray of str, shape (n,)
        ``"site"`` or ``"saddle"`` per position.

    Raises
    ------
    InputError
        Neither kind asked for, no cell, or nothing to return.
    """
    if not (sites or saddles):
        raise InputError("network_points: ask for sites, saddles or both")
    if "cell" not in G.graph:
        raise InputError("the network has no 'cell' graph attribute; expected one from find_hops")
    cell = np.asarray(G.graph["cell"], dtype=float).reshape(3, 3)
    pos, kinds = [], []
    if sites:
        for n in sorted(G.nodes):
            pos.append(np.asarray(G.nodes[n]["position"], dtype=float))
            kinds.append("site")
    if saddles:
        for u, v, d in sorted(G.edges(data=True), key=lambda e: (e[0], e[1], tuple(e[2]["shift"]))):
            if (G.nodes[u]["energy"], u) > (G.nodes[v]["energy"], v):
                continue  # the other direction carries the same saddle
            if u == v and tuple(d["shift"]) < tuple(-s for s in d["shift"]):
                continue
            pos.append(np.asarray(d["saddle"], dtype=float))
            kinds.append("saddle")
    if not pos:
        raise InputError("the network has no sites or hops to take points from")
    pos = np.asarray(pos, dtype=float)
    return wrap_positions(pos, cell), np.asarray(kinds)
