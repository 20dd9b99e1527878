"""The contracts between the steps: an energy surface, and the hop network with its one builder,
validator, saver and loader.

**EnergySurface** (:class:`EnergySurface`, :mod:`.surface`): the energy of the mobile atom's
position in one fixed host, ``energy_and_forces(positions (n, 3) Å) -> (energies (n,) eV, forces
(n, 3) eV/Å)``, batched, periodic in ``cell`` (torch (3, 3), rows are lattice vectors, Å),
optionally with ``host`` (``ase.Atoms``). The site search and the hop search take any such object.

**Hop network** (:mod:`.network`): a :class:`networkx.MultiDiGraph` with the graph attributes
``sample_id``, ``cell`` (3×3 list, Å), ``species`` (mobile) and ``energy_unit`` (``"eV"``); node
``i`` (integer site index) with ``position`` [x, y, z] Å and ``energy`` eV (optional
``frequencies`` THz, ``uncertainty`` eV); one edge per hop direction ``i → j`` with ``barrier`` eV
(``E_saddle − E_i``), ``shift`` [n₁, n₂, n₃] (the lattice image of ``j`` the hop lands in: the
displacement is ``pos[j] + shift·cell − pos[i]``), ``prefactor`` Hz (default 1e13) and optional
``saddle`` [x, y, z] Å, ``profile`` [eV…], ``length`` Å. Its exchange format is node-link JSON
(``networkx.node_link_data(G, edges="edges")``).

- build: :func:`new_network`, :func:`add_site`, :func:`add_hop`;
- validate: :func:`hop_arrays` (:mod:`.arrays`; gives the :class:`HopArrays` every kinetics
  function works on), with :func:`check_graph_attributes` for what the kinetics do not read
  (``sample_id``, ...);
- save and load: :func:`save_network` (atomic), :func:`load_network`, with :func:`network_data` /
  :func:`network_from_data` for the JSON object itself.
"""

from __future__ import annotations

from .arrays import HopArrays, as_temperatures, hop_arrays
from .network import (
    GRAPH_REQUIRED,
    add_hop,
    add_site,
    check_graph_attributes,
    hop_counts,
    load_network,
    network_data,
    network_from_data,
    network_points,
    new_network,
    save_network,
)
from .surface import EnergySurface, check_surface

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
