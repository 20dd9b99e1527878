// network_hops — every HOP between the sites of one sample with all its properties.
//
// Mode: read
// Parameters:
//   $sample_id (string)  the sample
// Returns: i, j (source and target site index), p (the hop's property map).
MATCH (a:Site {sample_id: $sample_id})-[h:HOP]->(b:Site)
RETURN a.index AS i, b.index AS j, properties(h) AS p
