// hops_below — the sub-network of one sample reachable below an energy: every hop whose saddle
// energy (source site energy + barrier) is at most $max_energy.
//
// Mode: read
// Parameters:
//   $sample_id (string)     the sample
//   $max_energy (float)     highest saddle energy, eV (same reference as the site energies)
// Returns: one row per directed hop, by source, target, uid: source, target (site indices), shift,
//   barrier (eV), saddle_energy (eV), uid.
MATCH (a:Site {sample_id: $sample_id})-[h:HOP]->(b:Site)
WITH a, h, b, a.energy + h.barrier AS saddle_energy
WHERE saddle_energy <= $max_energy
RETURN a.index AS source, b.index AS target, h.shift AS shift, h.barrier AS barrier,
       saddle_energy, h.uid AS uid
ORDER BY source, target, uid
