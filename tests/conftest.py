"""Shared fixtures: the graph database of the test session.

``graph_store``
    An open :class:`landscape.graph.GraphStore`. By default on an embedded ArcadeDB server started
    once per session in a fresh data folder (and stopped at the end; it also stops by itself if
    pytest dies); on the Neo4j server of ``LANDSCAPE_NEO4J_URI`` when that is set, so every test
    using it runs unchanged against Neo4j 5.
``graph_data_dir``
    The data folder of that embedded server (``None`` on Neo4j).
``graph_env``
    Points ``LANDSCAPE_DATA`` at that folder for one test (for code that calls ``open_store()``
    with no arguments, or the CLI in a subprocess).
``new_sample_id``
    A factory of unique sample ids; the samples are deleted from the store after the test.

Tests using them should carry ``@pytest.mark.service``.
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import pytest

from landscape.config import neo4j_from_env


def _uses_neo4j() -> bool:
    return neo4j_from_env() is not None


@pytest.fixture(scope="session")
def graph_data_dir(tmp_path_factory) -> Path | None:
    """Data folder of the session's embedded server (started here), or None on Neo4j."""
    if _uses_neo4j():
        yield None
        return
    from landscape.graph import embedded

    data = tmp_path_factory.mktemp("landscape-data")
    embedded.start(data, owner_pid=os.getpid())
    try:
        yield data
    finally:
        embedded.stop(data)


@pytest.fixture(scope="session")
def graph_store(graph_data_dir):
    """An open GraphStore on the session's database (embedded ArcadeDB, or Neo4j if configured)."""
    from landscape.graph import open_store

    store = open_store() if graph_data_dir is None else open_store(data_dir=graph_data_dir)
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def graph_env(graph_data_dir, monkeypatch):
    """Environment of one test pointing ``open_store()`` at the session's database."""
    if graph_data_dir is not None:
        monkeypatch.setenv("LANDSCAPE_DATA", str(graph_data_dir))
        monkeypatch.delenv("LANDSCAPE_NEO4J_URI", raising=False)
    return graph_data_dir


@pytest.fixture
def new_sample_id(graph_store, request):
    """``new_sample_id(tag="")`` -> a sample id unique to this test; its data is deleted afterwards."""
    made: list[str] = []
    base = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name)[:40]

    def make(tag: str = "") -> str:
        sid = f"test-{base}{'-' + tag if tag else ''}-{uuid.uuid4().hex[:8]}"
        made.append(sid)
        return sid

    yield make
    for sid in made:
        try:
            graph_store.delete_sample(sid)
        except Exception:  # noqa: BLE001 - never written, or already deleted by the test
            pass


# ---------------------------------------------------------------- the analytic Morse reference
@pytest.fixture(scope="session")
def hosts():
    """Two random periodic Ta–O hosts (tests.helpers.morse.random_host, seeds 1 and 2)."""
    from tests.helpers.morse import random_host

    return [random_host(1), random_host(2)]


@pytest.fixture(scope="session")
def morse_db(tmp_path_factory: pytest.TempPathFactory, hosts) -> Path:
    """A reference database of Morse insertion energies: 400 points of random-1, 100 of random-2."""
    from tests.helpers.morse import write_morse_db

    path = tmp_path_factory.mktemp("nnp") / "morse.db"
    return write_morse_db(path, hosts, [400, 100])


@pytest.fixture(scope="session")
def fitted(morse_db: Path):
    """A small ensemble fitted on the first sample of the Morse data set (seconds), and the data
    set: ``(model, dataset)``."""
    from landscape.nnp import SimplifiedNNP
    from landscape.reference.dataset import load_dataset

    ds = load_dataset(morse_db, ["random-1"])
    model = SimplifiedNNP(
        hidden=(16, 16),
        n_models=3,
        max_epochs=300,
        lbfgs_steps=200,
        patience=50,
        alpha=1e-3,
        random_state=0,
    )
    return model.fit(ds), ds
