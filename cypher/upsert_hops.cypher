// upsert_hops — create or replace a batch of HOP relationships between existing sites.
//
// Mode: write
// Parameters:
//   $rows (list)  one map per directed hop: {a: source site uid, b: target site uid,
//                 uid: hop uid, p: the hop's full property set (uid, key, barrier, shift, ...)}
// Returns: n, the number of hops written (rows whose sites do not exist are skipped).
UNWIND $rows AS r
MATCH (a:Site {uid: r.a})
MATCH (b:Site {uid: r.b})
MERGE (a)-[h:HOP {uid: r.uid}]->(b)
SET h = r.p
RETURN count(h) AS n
