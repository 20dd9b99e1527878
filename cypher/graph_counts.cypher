// graph_counts — how many nodes and relationships of each kind the whole database holds.
//
// Mode: read
// Parameters: none
// Returns: one row: samples, sites, hops (directed HOP relationships, one per direction of a
//   site pair), kinetics, models.
//
// COUNT subqueries (Neo4j >= 5.3): a chain of OPTIONAL MATCH ... count() is 10x slower on ArcadeDB.
RETURN COUNT { (:Sample) } AS samples,
       COUNT { (:Site) } AS sites,
       COUNT { (:Site)-[:HOP]->(:Site) } AS hops,
       COUNT { (:Kinetics) } AS kinetics,
       COUNT { (:Model) } AS models
