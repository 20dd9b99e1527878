// create_hops — create a batch of HOP relationships between the stored sites of one sample.
//
// Mode: write
// Parameters:
//   $sample_id (string)  the sample
//   $rows (list)         one map per directed hop: {a: position of its source site, b: position of
//                        its target site, p: the hop's full property set (uid, key, barrier, shift,
//                        ...)}, positions counting from 0 in the sample's sites sorted by index
// Returns: sites (how many sites the sample has), n (hops created); no row when $rows is empty.
//
// CREATE, not MERGE: upsert_network first deletes the sample's hops in the same transaction (or
// found no site of the sample), so no hop is created twice. The sites are looked up once per
// statement through the index on Site.sample_id and addressed by position, instead of two uid
// lookups per row (measured 1.6x faster on ArcadeDB); `sites` lets the caller check the positions.
// r.p is bound to p once per row, so the property map reads p.x rather than r.p.x for each
// property: 5-15% less time for this statement on ArcadeDB running C1-compiled code (measured,
// 5 rounds of 10 networks), no clear difference once C2 has compiled the write path.
MATCH (x:Site {sample_id: $sample_id})
WITH x
ORDER BY x.index
WITH collect(x) AS xs, count(x) AS sites
UNWIND $rows AS r
WITH sites, xs[r.a] AS a, xs[r.b] AS b, r.p AS p
CREATE (a)-[h:HOP]->(b)
SET h = p
RETURN sites, count(h) AS n
