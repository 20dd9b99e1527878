// lowest_barrier_hops — the hops of one sample with the lowest barriers.
//
// Mode: read
// Parameters:
//   $sample_id (string)       the sample
//   $limit (integer, 0..)     how many hops
// Returns: up to $limit rows by increasing barrier (ties by source, target, uid): source, target
//   (site indices), shift (lattice image of the target), barrier (eV), saddle_energy (eV, energy
//   of the source plus the barrier), uid.
//
// Two passes: the $limit-th lowest barrier first (reading one property of each hop), then only
// the hops at or below it are read in full and sorted (ties at the cut included, so the answer
// is that of a full sort); about half the time of sorting every hop's row on ArcadeDB.
MATCH (:Site {sample_id: $sample_id})-[h:HOP]->()
WITH h.barrier AS barrier
ORDER BY barrier
LIMIT $limit
WITH max(barrier) AS cut
MATCH (a:Site {sample_id: $sample_id})-[h:HOP]->(b)
WHERE h.barrier <= cut
RETURN a.index AS source, b.index AS target, h.shift AS shift, h.barrier AS barrier,
       a.energy + h.barrier AS saddle_energy, h.uid AS uid
ORDER BY barrier, source, target, uid
LIMIT $limit
