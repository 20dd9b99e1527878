// upsert_sample — create or update one Sample node; properties not named are left as they are.
//
// Mode: write
// Parameters:
//   $sample_id (string)  the sample's identifier
//   $props (map)         properties to set (numbers, strings, flat lists); a null removes one
// Returns: sample_id.
MERGE (s:Sample {sample_id: $sample_id})
SET s += $props
RETURN s.sample_id AS sample_id
