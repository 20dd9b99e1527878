// network_saddles — the lean read of one sample's hop network for the Python queries: every
// site with its energy and position, and its outgoing hops' target, barrier, shift, prefactor.
//
// Mode: read
// Parameters:
//   $sample_id (string)  the sample
// Returns: one row, sites: one list per site, with or without outgoing hops, [i (its index),
//   energy (eV), x, y, z (Å), hops (one list per outgoing hop: [target site index, barrier (eV),
//   shift (3 integers), prefactor (Hz; null where the hop stores none)])].
//
// What minimax_path and bottleneck_hops read (landscape.graph.algorithms, as a HopArrays): the
// fields of the hop-network contract only, no uid (it follows from the sample, the two sites and
// the shift) and no other property. Sites and hops are lists rather than maps, all in one record,
// so the driver decodes one record (a third faster than one record per site, measured); the
// pattern comprehension gives a site without outgoing hops an empty list.
MATCH (a:Site {sample_id: $sample_id})
RETURN collect([a.index, a.energy, a.x, a.y, a.z,
                [(a)-[h:HOP]->(b) | [b.index, h.barrier, h.shift, h.prefactor]]]) AS sites
