// schema — uniqueness constraints and indexes of the landscape graph (idempotent: IF NOT EXISTS).
//
// Mode: schema
// Parameters: none
// Returns: nothing.
//
// The unique constraints back every MERGE (Sample.sample_id, Site.uid, Model.model_id,
// Kinetics.uid); Site.sample_id finds a sample's sites. Relationship uniqueness constraints are
// left out: ArcadeDB does not take them and Neo4j Community 5 only from 5.7. No index on HOP.uid:
// every query reaches a hop from its source site, and keeping such an index cost 10-20% of the
// ingest time on ArcadeDB; an index hop_uid made by an earlier version is dropped.
CREATE CONSTRAINT sample_sample_id IF NOT EXISTS FOR (s:Sample) REQUIRE s.sample_id IS UNIQUE;
CREATE CONSTRAINT site_uid IF NOT EXISTS FOR (x:Site) REQUIRE x.uid IS UNIQUE;
CREATE CONSTRAINT model_model_id IF NOT EXISTS FOR (m:Model) REQUIRE m.model_id IS UNIQUE;
CREATE CONSTRAINT kinetics_uid IF NOT EXISTS FOR (k:Kinetics) REQUIRE k.uid IS UNIQUE;
CREATE INDEX site_sample_id IF NOT EXISTS FOR (x:Site) ON (x.sample_id);
DROP INDEX hop_uid IF EXISTS;
