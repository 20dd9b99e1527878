// network_hops — every HOP between the sites of one sample with all its properties.
//
// Mode: read
// Parameters:
//   $sample_id (string)  the sample
// Returns: one row per site with outgoing hops: i (its index), hops (list of {j: target site
//   index, p: the hop's property map}).
//
// Grouped by source site: the Python driver's cost is per record, and one record per hop made
// reading a 3,400-hop network 2-3x slower than the query itself.
MATCH (a:Site {sample_id: $sample_id})-[h:HOP]->(b)
RETURN a.index AS i, collect({j: b.index, p: properties(h)}) AS hops
