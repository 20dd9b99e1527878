"""Fixtures of the NNP tests (helpers in :mod:`_morse`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from _morse import random_host, write_morse_db
from ase import Atoms


@pytest.fixture(scope="session")
def hosts() -> list[Atoms]:
    return [random_host(1), random_host(2)]


@pytest.fixture(scope="session")
def morse_db(tmp_path_factory: pytest.TempPathFactory, hosts: list[Atoms]) -> Path:
    path = tmp_path_factory.mktemp("nnp") / "morse.db"
    return write_morse_db(path, hosts, [400, 100])


@pytest.fixture(scope="session")
def fitted(morse_db: Path):
    """A small ensemble fitted on the first sample of the Morse data set (seconds)."""
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
