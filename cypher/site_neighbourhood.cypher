// site_neighbourhood — the sites within k hops of one site, with their hop distance.
//
// Mode: read
// Parameters:
//   $sample_id (string)      the sample
//   $index (integer)         the start site's index
//   $k (integer, 0..10)      the most hops (0 returns the start site alone)
// Returns: index, distance (the fewest hops from the start site, following HOP directions), one
//   row per site within $k hops, start included, by distance then index; none if the start site
//   is unknown.
//
// A breadth-first search unrolled into one step per level: Neo4j 5 takes no parameter as the
// bound of a variable-length pattern, and a path expansion would visit every path. Hence k <= 10.
// The visited sites are kept as nodes and the ones already seen are dropped in the expansion's
// WHERE, before collect(DISTINCT): 2.5x faster on ArcadeDB than filtering indices after it.
MATCH (start:Site {sample_id: $sample_id, index: $index})
WITH [start] AS seen, [0] AS dist, [start] AS frontier
// level 1
UNWIND CASE WHEN $k >= 1 AND size(frontier) > 0 THEN frontier ELSE [null] END AS f
OPTIONAL MATCH (f)-[:HOP]->(n)
WHERE NOT n IN seen
WITH seen, dist, collect(DISTINCT n) AS frontier
WITH seen + frontier AS seen, dist + [x IN frontier | 1] AS dist, frontier
// level 2
UNWIND CASE WHEN $k >= 2 AND size(frontier) > 0 THEN frontier ELSE [null] END AS f
OPTIONAL MATCH (f)-[:HOP]->(n)
WHERE NOT n IN seen
WITH seen, dist, collect(DISTINCT n) AS frontier
WITH seen + frontier AS seen, dist + [x IN frontier | 2] AS dist, frontier
// level 3
UNWIND CASE WHEN $k >= 3 AND size(frontier) > 0 THEN frontier ELSE [null] END AS f
OPTIONAL MATCH (f)-[:HOP]->(n)
WHERE NOT n IN seen
WITH seen, dist, collect(DISTINCT n) AS frontier
WITH seen + frontier AS seen, dist + [x IN frontier | 3] AS dist, frontier
// level 4
UNWIND CASE WHEN $k >= 4 AND size(frontier) > 0 THEN frontier ELSE [null] END AS f
OPTIONAL MATCH (f)-[:HOP]->(n)
WHERE NOT n IN seen
WITH seen, dist, collect(DISTINCT n) AS frontier
WITH seen + frontier AS seen, dist + [x IN frontier | 4] AS dist, frontier
// level 5
UNWIND CASE WHEN $k >= 5 AND size(frontier) > 0 THEN frontier ELSE [null] END AS f
OPTIONAL MATCH (f)-[:HOP]->(n)
WHERE NOT n IN seen
WITH seen, dist, collect(DISTINCT n) AS frontier
WITH seen + frontier AS seen, dist + [x IN frontier | 5] AS dist, frontier
// level 6
UNWIND CASE WHEN $k >= 6 AND size(frontier) > 0 THEN frontier ELSE [null] END AS f
OPTIONAL MATCH (f)-[:HOP]->(n)
WHERE NOT n IN seen
WITH seen, dist, collect(DISTINCT n) AS frontier
WITH seen + frontier AS seen, dist + [x IN frontier | 6] AS dist, frontier
// level 7
UNWIND CASE WHEN $k >= 7 AND size(frontier) > 0 THEN frontier ELSE [null] END AS f
OPTIONAL MATCH (f)-[:HOP]->(n)
WHERE NOT n IN seen
WITH seen, dist, collect(DISTINCT n) AS frontier
WITH seen + frontier AS seen, dist + [x IN frontier | 7] AS dist, frontier
// level 8
UNWIND CASE WHEN $k >= 8 AND size(frontier) > 0 THEN frontier ELSE [null] END AS f
OPTIONAL MATCH (f)-[:HOP]->(n)
WHERE NOT n IN seen
WITH seen, dist, collect(DISTINCT n) AS frontier
WITH seen + frontier AS seen, dist + [x IN frontier | 8] AS dist, frontier
// level 9
UNWIND CASE WHEN $k >= 9 AND size(frontier) > 0 THEN frontier ELSE [null] END AS f
OPTIONAL MATCH (f)-[:HOP]->(n)
WHERE NOT n IN seen
WITH seen, dist, collect(DISTINCT n) AS frontier
WITH seen + frontier AS seen, dist + [x IN frontier | 9] AS dist, frontier
// level 10
UNWIND CASE WHEN $k >= 10 AND size(frontier) > 0 THEN frontier ELSE [null] END AS f
OPTIONAL MATCH (f)-[:HOP]->(n)
WHERE NOT n IN seen
WITH seen, dist, collect(DISTINCT n) AS frontier
WITH seen + frontier AS seen, dist + [x IN frontier | 10] AS dist, frontier
UNWIND range(0, size(seen) - 1) AS t
RETURN seen[t].index AS index, dist[t] AS distance
ORDER BY distance, index
