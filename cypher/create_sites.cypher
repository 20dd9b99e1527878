// create_sites — create a batch of Site nodes of a sample that has none stored yet, linked by HAS_SITE.
//
// Mode: write
// Parameters:
//   $sample_id (string)  the sample; its Sample node must exist
//   $rows (list)         one map per site: its full property set (uid, sample_id, index, x, y, z,
//                        energy, ...)
// Returns: n, the number of sites created (0 if the sample does not exist).
//
// The first-ingest fast path of upsert_network, which checks in the same transaction that the
// sample has no Site yet (a second site with the same uid would break the constraint on Site.uid):
// CREATE where upsert_sites has two MERGEs per row.
MATCH (s:Sample {sample_id: $sample_id})
UNWIND $rows AS r
CREATE (s)-[:HAS_SITE]->(x:Site)
SET x = r
RETURN count(x) AS n
