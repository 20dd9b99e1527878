"""The docker files: a Neo4j 5 service and a landscape image that uses it.

No Docker engine runs where the suite runs, so these check the files themselves: the contract
with landscape's settings (LANDSCAPE_NEO4J_URI / _USER / _PASSWORD), credentials only from the
environment, the server reachable from this machine only, the data on a volume, and the image's
install order (torch pinned first). Against a running Neo4j, set LANDSCAPE_NEO4J_URI and the whole
suite runs unchanged on it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")  # installed by the dev extra

DOCKER = Path(__file__).resolve().parents[1] / "docker"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DOCKER / "docker-compose.yml").read_text(encoding="utf-8"))


def _required_env(value: str) -> set[str]:
    """Names of the ``${NAME:?message}`` substitutions in a compose value (set or fail)."""
    return set(re.findall(r"\$\{(\w+):\?[^}]*\}", value))


def test_neo4j_service_is_neo4j_5_local_only_with_a_data_volume(compose) -> None:
    neo = compose["services"]["neo4j"]
    assert re.fullmatch(r"neo4j:5(\.[\w.-]+)?", neo["image"])
    # Bolt and HTTP bound to the loopback interface only
    assert sorted(neo["ports"]) == ["127.0.0.1:7474:7474", "127.0.0.1:7687:7687"]
    volume, target = neo["volumes"][0].split(":")
    assert target == "/data" and volume in compose["volumes"]
    assert "cypher-shell" in " ".join(neo["healthcheck"]["test"])


def test_credentials_come_from_the_environment_only(compose) -> None:
    auth = compose["services"]["neo4j"]["environment"]["NEO4J_AUTH"]
    user, password = auth.split("/", 1)
    assert user == "${LANDSCAPE_NEO4J_USER:-neo4j}"
    # no default password: compose refuses to start without LANDSCAPE_NEO4J_PASSWORD
    assert _required_env(password) == {"LANDSCAPE_NEO4J_PASSWORD"} and password.startswith("${")
    env = compose["services"]["landscape"]["environment"]
    assert _required_env(env["LANDSCAPE_NEO4J_PASSWORD"]) == {"LANDSCAPE_NEO4J_PASSWORD"}
    assert env["LANDSCAPE_NEO4J_USER"] == "${LANDSCAPE_NEO4J_USER:-neo4j}"
    assert env["LANDSCAPE_NEO4J_PASSWORD"] == password  # one secret, set once


def test_landscape_service_uses_the_neo4j_service(compose) -> None:
    from landscape.graph import store

    svc = compose["services"]["landscape"]
    uri = svc["environment"]["LANDSCAPE_NEO4J_URI"]
    assert uri == "bolt://neo4j:7687"  # the service name on the compose network, Bolt port
    # the names landscape reads (landscape.graph.store) are the ones compose sets
    source = Path(store.__file__).read_text(encoding="utf-8")
    for name in ("LANDSCAPE_NEO4J_URI", "LANDSCAPE_NEO4J_USER", "LANDSCAPE_NEO4J_PASSWORD"):
        assert name in svc["environment"] and name in source
    assert svc["depends_on"]["neo4j"]["condition"] == "service_healthy"
    assert svc["build"] == {"context": "..", "dockerfile": "docker/Dockerfile"}
    assert (DOCKER / ".." / svc["build"]["dockerfile"]).resolve() == DOCKER / "Dockerfile"


def test_image_installs_pinned_torch_before_the_package() -> None:
    lines = (DOCKER / "Dockerfile").read_text(encoding="utf-8")
    torch = lines.index("torch==2.13.0")
    package = lines.index('pip install --no-cache-dir ".[dev]"')
    assert torch < package
    assert re.search(r"^FROM python:3\.1[1-9]", lines, re.M)
    assert re.search(r'^ENTRYPOINT \["landscape"\]', lines, re.M)
