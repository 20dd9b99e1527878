"""Content-hash caching of the study's stages.

Each stage's result lives in ``<out>/cache`` under a name that carries the hash of its inputs
(:func:`sha`), so a re-run recomputes only what changed and a run that failed resumes from the last
finished stage. The keys hash plain data only (settings, file and structure hashes), never module
paths, so they survive moving code around.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .._paths import write_json_atomic

__all__ = ["atoms_sha", "cache_copy", "cached_json", "file_sha", "publish_copy", "sha"]


def sha(*parts: Any) -> str:
    """16 hex digits of the SHA-256 of ``parts`` (bytes as they are, anything else as sorted JSON)."""
    h = hashlib.sha256()
    for p in parts:
        if isinstance(p, bytes):
            h.update(p)
        else:
            h.update(json.dumps(p, sort_keys=True, default=str).encode())
        h.update(b"\x00")
    return h.hexdigest()[:16]


def file_sha(path: Path) -> str:
    """16 hex digits of the SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]


def atoms_sha(atoms) -> str:
    """Hash of a structure: its symbols, positions and cell (Å, rounded to 1e-6)."""
    return sha(
        atoms.get_chemical_symbols(),
        np.round(atoms.get_positions(), 6).tobytes(),
        np.round(np.asarray(atoms.cell), 6).tobytes(),
    )


def cached_json(path: Path, compute: Callable[[], Any]) -> tuple[Any, bool]:
    """The JSON at ``path``, or ``compute()`` written there (atomically); and whether it was cached."""
    if path.exists():
        return json.loads(path.read_text()), True
    value = compute()
    write_json_atomic(path, value)
    return value, False


def cache_copy(db: Path, work: Path) -> Path:
    """``work``, a copy of ``db`` made once (atomically) and then resumed, never overwritten."""
    if not work.exists():
        tmp = work.with_suffix(".db.part")
        tmp.write_bytes(db.read_bytes())
        os.replace(tmp, work)
    return work


def publish_copy(src: Path, dest: Path) -> None:
    """A complete copy of ``src`` at ``dest`` (atomic; a file made there meanwhile is kept)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(src.read_bytes())
        try:
            os.link(tmp, dest)
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links
            if not dest.exists():
                os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
