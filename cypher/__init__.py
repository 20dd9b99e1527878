"""Named Cypher queries, one ``.cypher`` file each; installed as the package ``landscape.cypher``."""
