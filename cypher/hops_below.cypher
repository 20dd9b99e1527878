// hops_below — the sub-network of one sample reachable below an energy: every hop whose saddle
// energy (source site energy + barrier) is at most $max_energy.
//
// Mode: read
// Parameters:
//   $sample_id (string)     the sample
//   $max_energy (float)     highest saddle energy, eV (same reference as the site energies)
// Returns: one row per directed hop, by source, target, uid: source, target (site indices), shift,
//   barrier (eV), saddle_energy (eV), uid.
//
// The filter sits in the MATCH, so the target site is read only for the hops that pass it
// (a WITH ... WHERE after the MATCH read every target first: 2x slower on ArcadeDB).
MATCH (a:Site {sample_id: $sample_id})-[h:HOP]->(b)
WHERE a.energy + h.barrier <= $max_energy
RETURN a.index AS source, b.index AS target, h.shift AS shift, h.barrier AS barrier,
       a.energy + h.barrier AS saddle_energy, h.uid AS uid
ORDER BY source, target, uid
