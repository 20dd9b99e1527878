// network_sites — every Site of one sample with all its properties.
//
// Mode: read
// Parameters:
//   $sample_id (string)  the sample
// Returns: props, one property map per site (uid, sample_id, index, x, y, z, energy, ...).
MATCH (x:Site {sample_id: $sample_id})
RETURN properties(x) AS props
