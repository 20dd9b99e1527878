// network_sample — every property of one Sample node (used to rebuild a hop network's graph attributes).
//
// Mode: read
// Parameters:
//   $sample_id (string)  the sample
// Returns: props, the property map (no row if the sample is unknown).
MATCH (s:Sample {sample_id: $sample_id})
RETURN properties(s) AS props
