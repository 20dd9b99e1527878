// sample_summary — site and hop counts of one sample and the spread of its hop barriers.
//
// Mode: read
// Parameters:
//   $sample_id (string)  the sample
// Returns: one row (none if the sample is unknown): sample_id, n_sites, n_hops (directed HOP
//   relationships, one per direction), n_pairs (undirected site pairs: the hop i -> j with shift
//   s and the hop j -> i with shift -s are one pair, so n_pairs = n_hops / 2 when every hop has
//   its reverse), barrier_min, barrier_median, barrier_max (eV; null without hops; the median
//   interpolates between the two middle values of an even count, like numpy.median).
//
// Computed from the stored hops each time (compare_samples reads the statistics that
// upsert_network keeps on the Sample node instead). The hops are found from the index on
// Site.sample_id: half the time of a chain of OPTIONAL MATCHes from the Sample node on ArcadeDB.
// A pair is keyed by the smaller of [i, j] + s and [j, i] + (-s) (site indices first, then the
// shift), spelled out with CASE rather than a comparison of lists.
MATCH (s:Sample {sample_id: $sample_id})
OPTIONAL MATCH (a:Site {sample_id: $sample_id})-[h:HOP]->(b:Site)
WITH s, h, CASE
       WHEN a.index < b.index THEN [a.index, b.index] + h.shift
       WHEN a.index > b.index THEN [b.index, a.index] + [x IN h.shift | -x]
       WHEN h.shift[0] > 0 OR (h.shift[0] = 0 AND (h.shift[1] > 0
            OR (h.shift[1] = 0 AND h.shift[2] >= 0))) THEN [a.index, b.index] + h.shift
       ELSE [b.index, a.index] + [x IN h.shift | -x]
     END AS pair
WITH s, count(h) AS n_hops, count(DISTINCT pair) AS n_pairs, min(h.barrier) AS barrier_min,
     percentileCont(h.barrier, 0.5) AS barrier_median, max(h.barrier) AS barrier_max
RETURN s.sample_id AS sample_id, COUNT { (s)-[:HAS_SITE]->(:Site) } AS n_sites, n_hops, n_pairs,
       barrier_min, barrier_median, barrier_max
