// barrier_histogram — histogram of the hop barriers of one sample in bins of equal width.
//
// Mode: read
// Parameters:
//   $sample_id (string)          the sample
//   $bin_width (float, 1e-9..)   bin width, eV
// Returns: one row per non-empty bin, by increasing barrier: bin (integer, floor(barrier /
//   bin_width)), lower, upper (bin edges, eV; a barrier on an edge counts in the bin above), count.
MATCH (:Site {sample_id: $sample_id})-[h:HOP]->()
WITH toInteger(floor(h.barrier / $bin_width)) AS bin, count(h) AS count
RETURN bin, bin * $bin_width AS lower, (bin + 1) * $bin_width AS upper, count
ORDER BY bin
