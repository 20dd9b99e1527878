// upsert_sites — create or replace a batch of Site nodes of one sample, linked by HAS_SITE.
//
// Mode: write
// Parameters:
//   $sample_id (string)  the sample; its Sample node must exist
//   $rows (list)         one map per site: its full property set (uid, sample_id, index, x, y, z,
//                        energy, ...); the node's properties are replaced by it
// Returns: n, the number of sites written (0 if the sample does not exist).
//
// The HAS_SITE pattern starts from the site: ArcadeDB checks a MERGE pattern from its first node,
// and the sample has as many HAS_SITE relationships as sites (measured 3x faster this way round).
MATCH (s:Sample {sample_id: $sample_id})
UNWIND $rows AS r
MERGE (x:Site {uid: r.uid})
SET x = r
MERGE (x)<-[:HAS_SITE]-(s)
RETURN count(x) AS n
