"""The ``landscape`` command's process settings: glibc's malloc keeps the memory it frees."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import textwrap

import pytest

from landscape import _runtime
from landscape._runtime import MALLOC_SETTINGS, tune_malloc

GLIBC = platform.libc_ver()[0] == "glibc"

# 5 rounds (after one to warm up) of 150 blocks of 1 MiB, each written to, then all freed; prints
# the minor page faults of the 5 rounds
_PATTERN = textwrap.dedent(
    """
    import resource, sys
    import numpy as np
    if sys.argv[1] == "tuned":
        from landscape._runtime import tune_malloc
        assert tune_malloc({})
    for r in range(6):
        if r == 1:
            f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        blocks = [np.ones(1 << 17) for _ in range(150)]
        del blocks
    print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0)
    """
)


def _faults(mode: str) -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    out = subprocess.run(
        [sys.executable, "-c", _PATTERN, mode], capture_output=True, text=True, env=env, check=True
    )
    return int(out.stdout.strip())


@pytest.mark.skipif(not GLIBC, reason="mallopt is glibc's")
def test_tuned_malloc_reuses_freed_memory():
    """By default glibc gives the 150 MiB back every round and faults each page in again
    (5 × 150 × 256 = 192,000 faults of 4 KiB pages); tuned, the heap keeps them."""
    default, tuned = _faults("default"), _faults("tuned")
    assert default > 150_000, default  # the pattern does fault by default (the test can fail)
    assert tuned < default / 20, (tuned, default)


@pytest.mark.skipif(not GLIBC, reason="mallopt is glibc's")
def test_tune_malloc_sets_the_environment_for_children():
    env: dict[str, str] = {}
    assert tune_malloc(env)
    assert env == {name: str(value) for name, _, value in MALLOC_SETTINGS}


def test_tune_malloc_leaves_a_users_choice_alone():
    env = {"MALLOC_TRIM_THRESHOLD_": "0"}
    assert not tune_malloc(env)
    assert env == {"MALLOC_TRIM_THRESHOLD_": "0"}
    env = {"LANDSCAPE_MALLOC": "default"}
    assert not tune_malloc(env)
    assert env == {"LANDSCAPE_MALLOC": "default"}


def test_tune_malloc_refuses_an_unknown_choice():
    from landscape.errors import InputError

    env = {"LANDSCAPE_MALLOC": "defualt"}
    with pytest.raises(InputError, match="LANDSCAPE_MALLOC='defualt'; expected 'tuned'"):
        tune_malloc(env)
    assert env == {"LANDSCAPE_MALLOC": "defualt"}  # nothing set


def test_tune_malloc_without_glibc(monkeypatch):
    monkeypatch.setattr(_runtime, "_mallopt", lambda: None)
    env: dict[str, str] = {}
    assert not tune_malloc(env)
    assert env == {}


@pytest.mark.skipif(not GLIBC, reason="mallopt is glibc's")
def test_the_command_tunes_malloc_and_passes_it_on():
    """``landscape`` applies the settings at start; a process it starts sees them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    env.pop("LANDSCAPE_MALLOC", None)
    code = (
        "import os, sys\n"
        "from landscape.cli import main\n"
        "try:\n"
        "    main(['version'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('ENV', os.environ.get('MALLOC_MMAP_THRESHOLD_'), file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert f"ENV {32 * 1024**2}" in out.stderr, out.stderr
    env["LANDSCAPE_MALLOC"] = "default"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert "ENV None" in out.stderr, out.stderr
