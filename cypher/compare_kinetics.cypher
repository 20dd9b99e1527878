// compare_kinetics — one row per sample: its network statistics and one Kinetics result (the one
// named $result_name, or the most recently written).
//
// Mode: read
// Parameters:
//   $result_name (string, optional)      the Kinetics result to show (a study stores its result
//                                        under its model id, `landscape kinetics --sample` under
//                                        "default" or "below-<E>eV"); null: the sample's most
//                                        recently written result (written_at)
//   $sample_ids (string list, optional)  the samples to compare (all samples when left out)
// Returns: one row per sample, by sample_id: sample_id, material, n_sites, n_hops, n_pairs,
//   barrier_min, barrier_median, barrier_max (eV; as compare_samples), result (the result's name;
//   null when the sample has no result of that name, and then so is every column after it),
//   max_energy (eV above the sample's lowest site: the bound of the sub-network the result was
//   computed on; null for the whole network), Ea_exact, Ea_kmc (eV), percolation_barrier (eV),
//   temperatures (K), D (cm²/s at those temperatures: D_exact where stored, else D_kmc), D_method
//   ("exact" or "kmc"; null without D).
//
// Reads the network statistics that upsert_network keeps on the Sample node, and the sample's
// Kinetics nodes (a uid "<sample_id>/kinetics/<name>" is unique), never the hops.
MATCH (s:Sample)
WHERE $sample_ids IS NULL OR s.sample_id IN $sample_ids
OPTIONAL MATCH (s)-[:HAS_RESULT]->(r:Kinetics)
WHERE $result_name IS NULL OR r.name = $result_name
WITH s, r ORDER BY r.written_at DESC, r.name
WITH s, head(collect(r)) AS k
RETURN s.sample_id AS sample_id, s.material AS material,
       coalesce(s.n_sites, 0) AS n_sites, coalesce(s.n_hops, 0) AS n_hops,
       CASE WHEN s.n_hops IS NULL THEN 0 ELSE s.n_pairs END AS n_pairs,
       s.barrier_min AS barrier_min, s.barrier_median AS barrier_median,
       s.barrier_max AS barrier_max, k.name AS result, k.max_energy AS max_energy,
       k.Ea_exact AS Ea_exact, k.Ea_kmc AS Ea_kmc, k.percolation_barrier AS percolation_barrier,
       k.temperatures AS temperatures, coalesce(k.D_exact, k.D_kmc) AS D,
       CASE WHEN k.D_exact IS NOT NULL THEN 'exact' WHEN k.D_kmc IS NOT NULL THEN 'kmc' END
         AS D_method
ORDER BY sample_id
