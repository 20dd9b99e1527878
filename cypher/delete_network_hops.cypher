// delete_network_hops — delete every HOP of one sample (before its network is written again).
//
// Mode: write
// Parameters:
//   $sample_id (string)  the sample
// Returns: one row: uids (the uids of the deleted hops; empty if none).
MATCH (:Site {sample_id: $sample_id})-[h:HOP]->()
WITH h, h.uid AS uid
DELETE h
RETURN collect(uid) AS uids
