// schema — uniqueness constraints and indexes of the landscape graph (idempotent: IF NOT EXISTS).
//
// Mode: schema
// Parameters: none
// Returns: nothing.
//
// The unique constraints back every MERGE (Sample.sample_id, Site.uid, Model.model_id,
// Kinetics.uid); Site.sample_id finds a sample's sites, HOP.uid a hop. Relationship uniqueness
// constraints are left out: ArcadeDB does not take them and Neo4j Community 5 only from 5.7.
CREATE CONSTRAINT sample_sample_id IF NOT EXISTS FOR (s:Sample) REQUIRE s.sample_id IS UNIQUE;
CREATE CONSTRAINT site_uid IF NOT EXISTS FOR (x:Site) REQUIRE x.uid IS UNIQUE;
CREATE CONSTRAINT model_model_id IF NOT EXISTS FOR (m:Model) REQUIRE m.model_id IS UNIQUE;
CREATE CONSTRAINT kinetics_uid IF NOT EXISTS FOR (k:Kinetics) REQUIRE k.uid IS UNIQUE;
CREATE INDEX site_sample_id IF NOT EXISTS FOR (x:Site) ON (x.sample_id);
CREATE INDEX hop_uid IF NOT EXISTS FOR ()-[h:HOP]-() ON (h.uid);
