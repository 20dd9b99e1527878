// network_uids — the uids of the sites and hops stored for one sample.
//
// Mode: read
// Parameters:
//   $sample_id (string)  the sample
// Returns: one row: sites, hops (lists of uids; empty for an unknown sample).
OPTIONAL MATCH (x:Site {sample_id: $sample_id})
WITH collect(x.uid) AS sites
OPTIONAL MATCH (:Site {sample_id: $sample_id})-[h:HOP]->(:Site)
RETURN sites, collect(h.uid) AS hops
