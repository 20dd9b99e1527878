// hops_below — the sub-network of one sample reachable below an energy: every hop whose saddle
// energy (source site energy + barrier) lies at most $max_energy above the sample's lowest site.
//
// Mode: read
// Parameters:
//   $sample_id (string)     the sample
//   $max_energy (float)     highest saddle energy, eV above the lowest site energy of the sample
//                           (the reference of the percolation barrier)
// Returns: one row per directed hop, by source, target, uid: source, target (site indices), shift,
//   barrier (eV), saddle_energy (eV, absolute: same reference as the site energies),
//   saddle_relative (eV above the sample's lowest site), uid. No row for an unknown sample.
//
// The lowest site energy comes first from the index on Site.sample_id; the filter then sits
// right after the hop MATCH, so the target site is read only for the hops that pass it (a WITH
// ... WHERE after the MATCH read every target first: 2x slower on ArcadeDB).
MATCH (x:Site {sample_id: $sample_id})
WITH min(x.energy) AS e_min
MATCH (a:Site {sample_id: $sample_id})-[h:HOP]->(b)
WHERE a.energy + h.barrier - e_min <= $max_energy
RETURN a.index AS source, b.index AS target, h.shift AS shift, h.barrier AS barrier,
       a.energy + h.barrier AS saddle_energy, a.energy + h.barrier - e_min AS saddle_relative,
       h.uid AS uid
ORDER BY source, target, uid
