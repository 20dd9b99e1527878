// graph_counts — how many nodes and relationships of each kind the whole database holds.
//
// Mode: read
// Parameters: none
// Returns: one row: samples, sites, hops (directed HOP relationships, one per direction of a
//   site pair), kinetics, models.
//
// COUNT subqueries for the nodes (Neo4j >= 5.3; a chain of OPTIONAL MATCH ... count() is 10x slower
// on ArcadeDB, where a label's count is kept and costs nothing). The relationships are counted by a
// MATCH in a CALL subquery: ArcadeDB keeps no count of them, so this is a scan of every HOP, and
// without the end labels it is half the time of COUNT { (:Site)-[:HOP]->(:Site) } (measured on
// 343,690 hops of 100 samples: p50 34 ms against 65 ms; benchmarks/bench_graph.py).
CALL () {
  MATCH ()-[:HOP]->()
  RETURN count(*) AS hops
}
RETURN COUNT { (:Sample) } AS samples,
       COUNT { (:Site) } AS sites,
       hops,
       COUNT { (:Kinetics) } AS kinetics,
       COUNT { (:Model) } AS models
