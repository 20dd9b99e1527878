"""Checks on output paths, run before any work so that a bad path costs nothing and writes nothing."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .errors import InputError

__all__ = ["check_writable", "write_json_atomic"]


def check_writable(path: str | os.PathLike, what: str, *, directory: bool = False) -> Path:
    """Refuse an output path that cannot be written, without creating anything.

    Parameters
    ----------
    path : str or os.PathLike
        The file (or, with ``directory=True``, folder) that will be written later.
    what : str
        How the user named it, for the message (``"--out"``, ``"db export -o"``, ``"study out"``).
    directory : bool
        True when ``path`` is a folder that will be created (if missing) and filled.

    Returns
    -------
    pathlib.Path
        ``path`` as a :class:`~pathlib.Path`.

    Raises
    ------
    InputError
        ``path`` is empty, is a folder where a file is expected (or a file where a folder is),
        or its nearest existing ancestor is not a writable folder.
    """
    if path is None or str(path).strip() == "":
        raise InputError(f"{what} is empty; expected a path to write")
    p = Path(path)
    if p.exists():
        if directory and not p.is_dir():
            raise InputError(f"{what} {str(p)!r} is a file; expected a folder to write into")
        if not directory and p.is_dir():
            raise InputError(f"{what} {str(p)!r} is a folder; expected a file path")
        if not os.access(p, os.W_OK):
            raise InputError(f"{what} {str(p)!r} is not writable; expected a writable path")
        return p
    ancestor = p.absolute().parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise InputError(
            f"{what} {str(p)!r} lies under {str(ancestor)!r}, which is a file; expected a folder"
        )
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise InputError(f"{what} {str(p)!r} cannot be created: {str(ancestor)!r} is not writable")
    return p


def write_json_atomic(path: Path, data: Any, *, indent: int | None = 1) -> None:
    """Write ``data`` as JSON to ``path`` through a temporary file in the same folder, then
    :func:`os.replace` it: a reader never sees half a file. Values JSON does not know (numpy
    numbers) are written as floats."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=indent, default=float))
    os.replace(tmp, path)
