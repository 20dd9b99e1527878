// site_uids — the uids of the Site nodes stored for one sample.
//
// Mode: read
// Parameters:
//   $sample_id (string)  the sample
// Returns: one row: uids (list; empty for an unknown sample or one without sites).
MATCH (x:Site {sample_id: $sample_id})
RETURN collect(x.uid) AS uids
