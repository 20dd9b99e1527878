// delete_sites — delete Site nodes by uid, with their hops (the stale sites of a re-written network).
//
// Mode: write
// Parameters:
//   $uids (string list)  uids of the sites to delete
// Returns: n, how many were deleted.
UNWIND $uids AS u
MATCH (x:Site {uid: u})
DETACH DELETE x
RETURN count(*) AS n
