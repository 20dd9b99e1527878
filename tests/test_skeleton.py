"""The package skeleton: exception tree, settings, units and the CLI's error convention."""

from __future__ import annotations

import subprocess
import sys

import pytest

import landscape
from landscape import units
from landscape.config import DEFAULTS, Settings, neo4j_from_env
from landscape.errors import ConvergenceError, InputError, LandscapeError, StoreError


def test_exception_tree():
    for cls in (InputError, ConvergenceError, StoreError):
        assert issubclass(cls, LandscapeError)
    assert issubclass(InputError, ValueError)


def test_settings_defaults_and_override():
    assert DEFAULTS.r_cut == 6.0
    assert DEFAULTS.temperatures == (500.0, 600.0, 700.0, 800.0)
    s = DEFAULTS.with_(grid_spacing=0.2)
    assert isinstance(s, Settings) and s.grid_spacing == 0.2 and DEFAULTS.grid_spacing == 0.25
    with pytest.raises(InputError, match="unknown setting"):
        DEFAULTS.with_(grid_spacin=0.2)


def test_units_match_ase():
    from ase.units import create_units

    assert units.K_B == pytest.approx(8.617333262e-5, rel=1e-9)
    assert units.K_B == create_units("2018")["kB"]
    # harmonic frequency of a 1 eV/Å² spring on a 1 amu mass: 15.633 THz (textbook value)
    assert units.EV_A2_AMU_TO_THZ == pytest.approx(15.6333, rel=1e-4)


def test_neo4j_from_env(monkeypatch):
    monkeypatch.delenv("LANDSCAPE_NEO4J_URI", raising=False)
    assert neo4j_from_env() is None
    monkeypatch.setenv("LANDSCAPE_NEO4J_URI", "bolt://127.0.0.1:7687")
    monkeypatch.setenv("LANDSCAPE_NEO4J_USER", "u")
    monkeypatch.setenv("LANDSCAPE_NEO4J_PASSWORD", "p")
    assert neo4j_from_env() == ("bolt://127.0.0.1:7687", "u", "p")


def test_lazy_attribute_error():
    with pytest.raises(AttributeError, match="no attribute"):
        landscape.does_not_exist  # noqa: B018


def test_cli_version_and_usage_error():
    ok = subprocess.run(
        [sys.executable, "-m", "landscape.cli", "version"], capture_output=True, text=True
    )
    assert ok.returncode == 0 and ok.stdout.strip() == landscape.__version__
    bad = subprocess.run(
        [sys.executable, "-m", "landscape.cli", "no-such-command"], capture_output=True, text=True
    )
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr
