"""The CLI in-process (:func:`run_cli`) and in a subprocess (:func:`run_landscape`), and snapshots of
a folder's files (:func:`snapshot`: the bad-input corpus checks that a refused command writes
nothing)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from landscape.cli import main

#: The repository root: on ``PYTHONPATH`` of a CLI subprocess, so that a study file may name the
#: test calculator ``tests.helpers.morse:RigidHostMorse`` as a user names their own module.
REPO_ROOT = Path(__file__).resolve().parents[2]


def run_cli(capsys, argv: list) -> tuple[int, str, str]:
    """``landscape ARGV`` in-process: (exit status, stdout, stderr)."""
    try:
        main([str(a) for a in argv])
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def snapshot(root: Path) -> dict[str, str]:
    """Every file and folder under ``root``: relative path -> SHA-256 of the bytes ("dir")."""
    snap = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            snap[os.path.relpath(os.path.join(dirpath, d), root)] = "dir"
        for f in filenames:
            p = os.path.join(dirpath, f)
            snap[os.path.relpath(p, root)] = hashlib.sha256(Path(p).read_bytes()).hexdigest()
    return snap


def run_landscape(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """``landscape ARGS`` in a subprocess in ``cwd`` (text output captured), the repository root
    on ``PYTHONPATH`` so that ``tests.helpers`` modules import there."""
    path = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH")) if p)
    return subprocess.run(
        [sys.executable, "-m", "landscape.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": path},
    )
