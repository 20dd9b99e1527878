// traps — the sites of one sample whose lowest escape barrier exceeds $min_barrier: the traps a
// walker leaves only over a high barrier, deepest first.
//
// Mode: read
// Parameters:
//   $sample_id (string)           the sample
//   $min_barrier (float, 0..)     escape barrier to exceed, eV (strictly: a site whose lowest
//                                 outgoing barrier equals it is not returned)
// Returns: one row per trap: index (site index), energy (eV, absolute), energy_relative (eV above
//   the sample's lowest site), escape_barrier (eV, the lowest barrier of the site's outgoing hops;
//   null for a site without any), exits (number of outgoing hops). Sites without an outgoing hop
//   come first (a walker never leaves them: a trap at any threshold), then by decreasing
//   escape_barrier, ties by index. No row for an unknown sample.
//
// The sort key for the sites without exits is spelled out with CASE, so that the order does not
// depend on where a database puts nulls in a descending sort.
MATCH (s:Site {sample_id: $sample_id})
WITH min(s.energy) AS e_min
MATCH (x:Site {sample_id: $sample_id})
OPTIONAL MATCH (x)-[h:HOP]->()
WITH e_min, x, min(h.barrier) AS escape_barrier, count(h) AS exits
WHERE escape_barrier IS NULL OR escape_barrier > $min_barrier
RETURN x.index AS index, x.energy AS energy, x.energy - e_min AS energy_relative,
       escape_barrier, exits
ORDER BY CASE WHEN escape_barrier IS NULL THEN 0 ELSE 1 END, escape_barrier DESC, index
