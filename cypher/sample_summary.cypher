// sample_summary — site and hop counts of one sample and the spread of its hop barriers.
//
// Mode: read
// Parameters:
//   $sample_id (string)  the sample
// Returns: one row (none if the sample is unknown): sample_id, n_sites, n_hops (directed HOP
//   relationships), barrier_min, barrier_median, barrier_max (eV; null without hops; the median
//   interpolates between the two middle values of an even count, like numpy.median).
//
// Computed from the stored hops each time (compare_samples reads the statistics that
// upsert_network keeps on the Sample node instead).
MATCH (s:Sample {sample_id: $sample_id})
WITH s, COUNT { (s)-[:HAS_SITE]->(:Site) } AS n_sites
OPTIONAL MATCH (a:Site {sample_id: $sample_id})
WITH s, n_sites, a
OPTIONAL MATCH (a)-[h:HOP]->()
RETURN s.sample_id AS sample_id, n_sites, count(h) AS n_hops,
       min(h.barrier) AS barrier_min, percentileCont(h.barrier, 0.5) AS barrier_median,
       max(h.barrier) AS barrier_max
