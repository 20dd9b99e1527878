"""Every shipped ``cypher/*.cypher`` file through Neo4j's own Cypher linter
(``tools/cypher-lint/lint.mjs``, ``@neo4j-cypher/language-support`` pinned in its package.json,
Cypher 5), and the linter's answer on broken queries: the file, line and column (1-based) of each
error and a non-zero exit status.

The linter is installed by ``make install`` (``npm ci --prefix tools/cypher-lint``); without node
or the installed module these tests fail (never skip) and say so.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from landscape.graph import load_query, query_names

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "cypher-lint"
SCRIPT = TOOL / "lint.mjs"
MODULE = TOOL / "node_modules" / "@neo4j-cypher" / "language-support" / "package.json"
#: Seconds one run of the linter may take (the shipped files take ~10 s on 2 busy cores).
TIMEOUT_S = 300


def _lint(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not on PATH: install Node.js >= 20, then run `make install`")
    if not MODULE.is_file():
        pytest.fail(f"{MODULE.parent} is missing: run `make install` (npm ci --prefix {TOOL})")
    return subprocess.run(
        [node, str(SCRIPT), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )


def test_pinned_version_is_the_installed_one():
    pinned = json.loads((TOOL / "package.json").read_text())["dependencies"]
    version = pinned["@neo4j-cypher/language-support"]
    assert version[0].isdigit(), f"not an exact version: {version!r}"
    lock = json.loads((TOOL / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/@neo4j-cypher/language-support"]["version"] == version
    if not MODULE.is_file():
        pytest.fail(f"{MODULE.parent} is missing: run `make install`")
    assert json.loads(MODULE.read_text())["version"] == version, "run `make install`"


def test_every_shipped_query_lints_clean():
    proc = _lint("--json")
    report = json.loads(proc.stdout)
    files = sorted(p.name for p in (ROOT / "cypher").glob("*.cypher"))
    for r in report["results"]:
        for w in r["warnings"]:  # shown with -rA / on failure; warnings never fail
            print(f"{r['file']}:{w['line']}:{w['col']} warning: {w['message']}")
    errors = [
        f"{r['file']}:{e['line']}:{e['col']} {e['message']}"
        for r in report["results"]
        for e in r["errors"]
    ]
    assert errors == [], "\n".join(errors)
    assert proc.returncode == 0, proc.stderr
    assert report["errors"] == 0
    assert report["cypher"] == "CYPHER 5"
    # Every file was checked, once.
    assert report["files"] == len(files) == len(query_names())
    assert [Path(r["file"]).name for r in report["results"]] == files
    # The parameters handed to the linter are the ones landscape.graph.queries reads.
    for r in report["results"]:
        q = load_query(Path(r["file"]).stem)
        assert r["params"] == {p.name: p.type for p in q.params}, r["file"]


BROKEN_SYNTAX = """\
// syntax_error — a misspelt keyword.
//
// Mode: read
// Parameters:
//   $sample_id (string)   the sample
// Returns: nothing.
MATCH (a:Site {sample_id: $sample_id})
RETRN a.index AS index
"""

BROKEN_SEMANTICS = """\
// semantic_error — an undefined variable, an undeclared parameter, an unused declared one.
//
// Mode: read
// Parameters:
//   $sample_id (string)   the sample
//   $limit (integer)      never used
// Returns: nothing.
MATCH (a:Site {sample_id: $sample_id})-[h:HOP]->(b)
WHERE a.energy + h.barrier <= $max_energy
RETURN c.index AS source
"""

BROKEN_SCHEMA = """\
// schema_error — three statements, the second one unclosed.
//
// Mode: schema
// Parameters: none
// Returns: nothing.
CREATE CONSTRAINT sample_sample_id IF NOT EXISTS FOR (s:Sample) REQUIRE s.sample_id IS UNIQUE;
CREATE INDEX site_sample_id IF NOT EXISTS FOR (x:Site) ON (x.sample_id;
MATCH (n:Site) RETURN m;
"""

CLEAN = """\
// clean — a correct query: COUNT subquery, parameter in a map.
//
// Mode: read
// Parameters:
//   $sample_id (string)   the sample
// Returns: one row: hops.
MATCH (s:Sample {sample_id: $sample_id})
RETURN COUNT { (s)-[:HAS_SITE]->(:Site)-[:HOP]->(:Site) } AS hops
"""


def test_broken_queries_are_reported_with_file_line_and_column(tmp_path):
    for name, text in {
        "syntax_error": BROKEN_SYNTAX,
        "semantic_error": BROKEN_SEMANTICS,
        "schema_error": BROKEN_SCHEMA,
        "clean": CLEAN,
    }.items():
        (tmp_path / f"{name}.cypher").write_text(text, encoding="utf-8")
    proc = _lint(".", cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    errors = [line for line in lines[:-1] if " warning: " not in line]
    # Positions counted by hand in the texts above (line 1 is the file's first line).
    assert "semantic_error.cypher:6:1 header: parameter $limit is declared but not used" in errors
    assert "semantic_error.cypher:9:31 Parameter $max_energy is not defined." in errors
    assert "semantic_error.cypher:10:8 Variable `c` not defined" in errors
    assert any(e.startswith("syntax_error.cypher:8:1 Invalid input 'RETRN'") for e in errors), lines
    assert any(e.startswith("schema_error.cypher:7:71 Invalid input") for e in errors), lines
    assert "schema_error.cypher:8:23 Variable `m` not defined" in errors
    assert not any(line.startswith("clean.cypher:") for line in lines), lines
    assert lines[-1].startswith("cypher-lint: 4 files checked, 3 failed, "), lines[-1]


def test_bad_arguments_end_in_one_line_and_status_2(tmp_path):
    (tmp_path / "notes.txt").write_text("RETURN 1\n")
    for args, expected in [
        ((str(tmp_path / "absent"),), "no such file or folder"),
        ((str(tmp_path / "notes.txt"),), "not a .cypher file"),
        ((str(tmp_path),), "no .cypher file in"),
        (("--fix",), "unknown option(s) --fix"),
    ]:
        proc = _lint(*args, cwd=tmp_path)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert proc.stdout == ""
        err = proc.stderr.splitlines()
        assert len(err) == 1 and err[0].startswith("cypher-lint: ") and expected in err[0], err
