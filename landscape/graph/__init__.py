"""The graph store: samples, sites, hops and results in a Neo4j-compatible database.

One code path, the official ``neo4j`` driver over Bolt, serves two databases:

* by default an embedded ArcadeDB (``arcadedb-embedded``, Apache-2.0) that landscape starts as a
  child process serving Bolt on 127.0.0.1 only, on a free port, with a random root password kept
  with mode 0600 in the data folder (:mod:`landscape.graph.embedded`; ``landscape db start | stop |
  status``);
* a real Neo4j 5 server when ``LANDSCAPE_NEO4J_URI`` (+ ``LANDSCAPE_NEO4J_USER``,
  ``LANDSCAPE_NEO4J_PASSWORD``) is set, or a URI is given to :func:`open_store`.

Schema (docs/design.md, "Graph database schema")::

    (:Sample {sample_id, material, formula, n_atoms, cell, density, source, species, ...})
    (:Sample)-[:HAS_SITE]->(:Site {uid, sample_id, index, x, y, z, energy, frequencies, ...})
    (:Site)-[:HOP {uid, key, barrier, shift, prefactor, saddle, profile, length, ...}]->(:Site)
    (:Model {model_id, ...metrics})
    (:Sample)-[:HAS_RESULT]->(:Kinetics {uid, sample_id, name, temperatures, D, Ea, D0, ...})

``Sample.cell`` holds the 9 numbers of the 3x3 cell, row by row (Å). Identities: Site ``uid`` =
``"<sample_id>/<index>"``; HOP ``uid`` = ``"<sample_id>/<i>/<j>/<n1>,<n2>,<n3>"`` (source, target,
lattice image of the target); Kinetics ``uid`` = ``"<sample_id>/kinetics/<name>"``. The saddle
energy of a hop is ``source.energy + hop.barrier``. The named queries live in ``cypher/`` (package
``landscape.cypher``), one file each, with their parameters and columns in a header.

Incompatibilities and differences between ArcadeDB 26.10 (Bolt plugin) and Neo4j 5 met while
writing this, and how the queries avoid them (everything used is the common subset):

1. Neo4j stores only flat, homogeneous lists without nulls as property values; ArcadeDB also
   stores nested and mixed lists. The store therefore flattens the cell to 9 floats, coerces the
   contract's vectors to floats and stores any other value (3x3 matrices, dicts, ``None``,
   mixed lists) as a JSON string in ``<name>__json`` (:mod:`landscape.graph.properties`).
2. Neo4j 5 takes no parameter as the bound of a variable-length relationship
   (``[:HOP*1..$k]`` is a syntax error there; literal bounds only), so ``site_neighbourhood`` is a
   breadth-first search unrolled one level per step (``k <= 10``) instead of a path expansion.
3. Relationship uniqueness constraints (``FOR ()-[h:HOP]-() REQUIRE h.uid IS UNIQUE``) exist only
   from Neo4j 5.7 and are not taken by ArcadeDB. A hop's uniqueness comes from how a network is
   written: in one transaction, the sample's stored hops are deleted and the network's hops
   CREATEd (``create_hops``); a relationship MERGE on its uid checks the source's relationships
   for every hop and makes ingest about 2x slower on ArcadeDB.
4. ArcadeDB does not use an index on a relationship property for a pattern with unbound ends:
   ``MATCH ()-[h:HOP {uid: $u}]->()`` scans every relationship (minutes for a batch of deletions
   on 10^5 hops, measured). Hops are always reached from their source site instead, and HOP.uid
   has no index (one costs ingest time for nothing).
5. ArcadeDB evaluates a MERGE pattern from its first node: ``MERGE (s)-[:HAS_SITE]->(x)`` walks
   all of the sample's HAS_SITE relationships for every site (quadratic), ``MERGE
   (x)<-[:HAS_SITE]-(s)`` does not (3x faster site upserts for 300 sites, measured).
6. A chain of ``OPTIONAL MATCH ... count()`` over the whole graph is 10x slower on ArcadeDB than
   ``COUNT { pattern }`` subqueries, which need Neo4j >= 5.3 (``graph_counts``, ``sample_summary``).
   ArcadeDB keeps the count of a label (``COUNT { (:Site) }`` costs nothing) but not of a
   relationship type: counting every HOP is a scan (36-65 ms at 343,690 hops), so
   ``graph_counts`` sums the ``n_hops`` each Sample holds, written in the hops' own transaction.
7. ArcadeDB's Bolt listener speaks Bolt 4 and serves one named database (``landscape``); the
   driver is given that database name for the embedded server and the server's default database
   for Neo4j.
8. The embedded server's JVM crashes (SIGSEGV inside JPype) when SIGTERM reaches the JVM's own
   handler; the server process installs a Python handler and stops ArcadeDB itself.

``compare_samples`` reads the network statistics (``n_sites``, ``n_hops``, ``n_pairs``,
``barrier_min``, ``barrier_median``, ``barrier_max``) that :meth:`GraphStore.upsert_network` writes on the Sample
node in the transaction that writes the network, so that comparing samples does not read every
hop of the database; ``sample_summary`` computes the same numbers from the hops. Everywhere
(these queries, ``db ingest``/``export``, ``explore``, the study summary and report) ``hops``
counts directed hops, one per direction, and ``pairs`` the undirected site pairs (a hop ``i -> j``
with shift ``s`` and ``j -> i`` with ``-s`` are one pair).

Measured with ArcadeDB 26.10.2 and the neo4j driver 6.4 on the embedded server (the Neo4j 5 path
is the same Cypher; run the test suite with ``LANDSCAPE_NEO4J_URI`` set to check a Neo4j server):
``CREATE CONSTRAINT/INDEX ... IF NOT EXISTS``, ``DROP INDEX ... IF EXISTS``, ``UNWIND`` of lists
of maps, ``MERGE`` + ``SET x = map`` / ``SET x += map`` (a null removes a property), ``CREATE``
with a map literal whose null values are left out, ``WITH x ORDER BY ... WITH collect(x)`` in
that order, ``percentileCont``, ``floor``/``toInteger``, ``FOREACH ( | DETACH DELETE)``, list
comprehensions, ``collect(DISTINCT ...)``, ``OPTIONAL MATCH ... WHERE`` from a null node,
``COUNT { }`` and ``LIMIT $param`` work alike.

Speed (``benchmarks/bench_graph.py``, 34,000 hops, 2 CPUs): writing a network costs ArcadeDB's
Bolt worker ~33 us of CPU per hop on a fresh JVM and ~13 us once its JIT has compiled the write
path; on a fresh server the JIT compilers themselves take ~50 us per hop, which the server's JVM
options (:data:`landscape.graph._server.JVM_ARGS`) reduce. The client's share is the validation
of the network (:func:`~landscape.graph.network.network_to_rows`) and PackStream encoding, ~13 us
per hop with ``neo4j-rust-ext`` (the driver's text of each RUN for its debug log is kept short,
see ``store._Rows``). Rows come back as plain dicts (``Record.data()``'s recursive walk costs
more than the queries), and ``network_hops`` returns one record per source site.
"""

from __future__ import annotations

from .embedded import ServerInfo
from .queries import load_query, query_names
from .store import GraphStore, open_store

__all__ = ["open_store", "GraphStore", "ServerInfo", "load_query", "query_names"]
