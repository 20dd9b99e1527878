// compare_samples — one row per sample: its size, its barriers and its stored kinetics results.
//
// Mode: read
// Parameters:
//   $sample_ids (string list, optional)  the samples to compare (all samples when left out)
// Returns: one row per sample, by sample_id: sample_id, material, n_sites, n_hops (directed hops,
//   0 without a network), n_pairs (undirected site pairs; null for a network stored before
//   landscape counted them), barrier_min, barrier_median, barrier_max (eV; null without hops),
//   kinetics (list of the property maps of its Kinetics results, by uid; empty when none is
//   stored).
//
// The network statistics are those upsert_network stores on the Sample node in the transaction
// that writes the network, so this query does not read every hop of every sample
// (sample_summary computes them from the hops).
MATCH (s:Sample)
WHERE $sample_ids IS NULL OR s.sample_id IN $sample_ids
OPTIONAL MATCH (s)-[:HAS_RESULT]->(k:Kinetics)
WITH s, k
ORDER BY k.uid
WITH s, collect(properties(k)) AS kinetics
RETURN s.sample_id AS sample_id, s.material AS material,
       coalesce(s.n_sites, 0) AS n_sites, coalesce(s.n_hops, 0) AS n_hops,
       CASE WHEN s.n_hops IS NULL THEN 0 ELSE s.n_pairs END AS n_pairs,
       s.barrier_min AS barrier_min, s.barrier_median AS barrier_median,
       s.barrier_max AS barrier_max, kinetics
ORDER BY sample_id
