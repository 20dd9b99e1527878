// lowest_barrier_hops — the hops of one sample with the lowest barriers.
//
// Mode: read
// Parameters:
//   $sample_id (string)       the sample
//   $limit (integer, 0..)     how many hops
// Returns: up to $limit rows by increasing barrier (ties by source, target, uid): source, target
//   (site indices), shift (lattice image of the target), barrier (eV), saddle_energy (eV, energy
//   of the source plus the barrier), uid.
MATCH (a:Site {sample_id: $sample_id})-[h:HOP]->(b:Site)
RETURN a.index AS source, b.index AS target, h.shift AS shift, h.barrier AS barrier,
       a.energy + h.barrier AS saddle_energy, h.uid AS uid
ORDER BY barrier, source, target, uid
LIMIT $limit
