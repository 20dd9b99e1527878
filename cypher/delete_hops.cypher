// delete_hops — delete HOP relationships by uid (the stale hops of a re-written network).
//
// Mode: write
// Parameters:
//   $rows (list)  one map per hop: {a: uid of its source site, uid: the hop's uid}
// Returns: n, how many were deleted.
//
// The hop is found from its source site: ArcadeDB does not use the index on HOP.uid for a
// pattern with unbound end nodes (MATCH ()-[h:HOP {uid: $u}]->() scans every relationship).
UNWIND $rows AS r
MATCH (:Site {uid: r.a})-[h:HOP {uid: r.uid}]->()
DELETE h
RETURN count(*) AS n
