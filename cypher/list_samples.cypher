// list_samples — the identifiers of every stored sample.
//
// Mode: read
// Parameters: none
// Returns: sample_id, one row per sample, sorted.
MATCH (s:Sample)
RETURN s.sample_id AS sample_id
ORDER BY sample_id
