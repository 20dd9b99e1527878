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
// upsert_network keeps on the Sample node instead). The hops are found from the index on
// Site.sample_id, and their targets are not read (a HOP only joins two Sites): half the time of
// a chain of OPTIONAL MATCHes from the Sample node on ArcadeDB.
MATCH (s:Sample {sample_id: $sample_id})
OPTIONAL MATCH (:Site {sample_id: $sample_id})-[h:HOP]->()
WITH s, count(h) AS n_hops, min(h.barrier) AS barrier_min,
     percentileCont(h.barrier, 0.5) AS barrier_median, max(h.barrier) AS barrier_max
RETURN s.sample_id AS sample_id, COUNT { (s)-[:HAS_SITE]->(:Site) } AS n_sites, n_hops,
       barrier_min, barrier_median, barrier_max
