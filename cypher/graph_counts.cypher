// graph_counts — how many nodes and relationships of each kind the whole database holds.
//
// Mode: read
// Parameters: none
// Returns: one row: samples, sites, hops (directed HOP relationships, one per direction of a
//   site pair), kinetics, models.
//
// The nodes are counted by COUNT subqueries (Neo4j >= 5.3): a label's count is kept by Neo4j and
// by ArcadeDB and costs nothing (0.7 ms for 30,000 sites). The hops are the sum of the samples'
// n_hops, which upsert_network writes in the same transaction as the sample's HOP relationships
// (and delete_sample removes with them), so the two agree for every database the store wrote:
// that sum is read from one node per sample. ArcadeDB keeps no count of relationships, and the
// exact `MATCH ()-[:HOP]->() RETURN count(*)` is a scan of every HOP: p95 36-65 ms on the 343,690
// hops of 100 samples (benchmarks/bench_graph.py), against the 50 ms every named query must meet.
// A HOP written by hand, outside GraphStore, is not in this count.
MATCH (s:Sample)
WITH count(s) AS samples, coalesce(sum(coalesce(s.n_hops, 0)), 0) AS hops
RETURN samples,
       COUNT { (:Site) } AS sites,
       hops,
       COUNT { (:Kinetics) } AS kinetics,
       COUNT { (:Model) } AS models
