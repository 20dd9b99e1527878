// delete_sample — delete a sample with its sites, hops and results.
//
// Mode: write
// Parameters:
//   $sample_id (string)  the sample
// Returns: sites, hops, results: how many were deleted (no row if the sample is unknown).
MATCH (s:Sample {sample_id: $sample_id})
OPTIONAL MATCH (s)-[:HAS_RESULT]->(r)
WITH s, collect(r) AS results
OPTIONAL MATCH (:Site {sample_id: $sample_id})-[h:HOP]->()
WITH s, results, count(h) AS hops
OPTIONAL MATCH (x:Site {sample_id: $sample_id})
WITH s, results, hops, collect(x) AS sites
FOREACH (r IN results | DETACH DELETE r)
FOREACH (x IN sites | DETACH DELETE x)
WITH s, size(sites) AS sites, hops, size(results) AS results
DETACH DELETE s
RETURN sites, hops, results
