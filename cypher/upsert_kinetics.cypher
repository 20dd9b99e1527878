// upsert_kinetics — create or replace one Kinetics result of a sample, linked by HAS_RESULT.
//
// Mode: write
// Parameters:
//   $sample_id (string)  the sample; its Sample node must exist
//   $uid (string)        "<sample_id>/kinetics/<name>": one node per sample and result name
//   $props (map)         the result's full property set (uid, sample_id, name, temperatures, D, Ea, ...)
// Returns: uid (no row if the sample is unknown).
MATCH (s:Sample {sample_id: $sample_id})
MERGE (k:Kinetics {uid: $uid})
SET k = $props
MERGE (s)-[:HAS_RESULT]->(k)
RETURN k.uid AS uid
