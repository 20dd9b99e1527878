"""Process-wide settings the ``landscape`` command applies when it starts: glibc's malloc keeps
the memory it frees.

Why: numpy and torch allocate and free blocks of megabytes thousands of times a second (a chunk
of symmetry functions, a batch of NEB images, a grid of trial positions). By default glibc hands
large freed blocks back to the kernel (``munmap``, or trimming the top of the heap), so the next
allocation of the same size faults every 4 KiB page in again, and the kernel zeroes each one.
Measured on ``landscape explore a-Ta2O5-1a`` (the demo's model, 2026-12-07): 10.6 million minor
page faults and 16.6 s of system time by default; 0.35 million and 1.2 s with the settings
below, 16 % less CPU time in all, and the same network to the last digit (only the timings in
the file differ). ``landscape demo``, back to back on 2 cores: 4 min 17 s (42.8 million faults,
89 s system time) by default, 3 min 25 s (0.45 million, 5 s) tuned, the same results.

The settings are glibc's own (``mallopt``; the environment variables of the same names are read
by every process at its start, so the workers the command spawns and the programs it runs get
them too):

- ``MALLOC_MMAP_THRESHOLD_`` 32 MiB (glibc's largest): blocks below it come from the heap, which
  is reused, instead of a fresh ``mmap`` each time;
- ``MALLOC_TRIM_THRESHOLD_`` 2 GiB: freed memory at the top of the heap is returned to the
  kernel only above this;
- ``MALLOC_TOP_PAD_`` 256 MiB: the heap grows in steps of this much address space (pages are
  only backed by memory when they are touched).

Nothing changes where any of these variables is already set (the user's choice wins), where
``LANDSCAPE_MALLOC=default``, or on a C library without ``mallopt`` (macOS, musl): there the
function does nothing. The Python API does not call it (a library should not change its host
process's allocator); set the variables before starting Python to get the same effect.
"""

from __future__ import annotations

import ctypes
import os

from .errors import InputError

#: glibc's ``mallopt`` parameters: name of the environment variable, ``M_*`` number, value (bytes)
MALLOC_SETTINGS: tuple[tuple[str, int, int], ...] = (
    ("MALLOC_MMAP_THRESHOLD_", -3, 32 * 1024**2),
    ("MALLOC_TRIM_THRESHOLD_", -1, 2 * 1024**3 - 1),
    ("MALLOC_TOP_PAD_", -2, 256 * 1024**2),
)

#: ``LANDSCAPE_MALLOC``: ``tuned`` (or unset) applies :data:`MALLOC_SETTINGS`, ``default`` leaves
#: the C library's allocator as it is
CHOICE = "LANDSCAPE_MALLOC"


def tune_malloc(environ: dict[str, str] | None = None) -> bool:
    """Apply :data:`MALLOC_SETTINGS` to this process (``mallopt``) and to its future children
    (the environment).

    Parameters
    ----------
    environ : dict, optional
        The environment to read and extend; default ``os.environ``.

    Returns
    -------
    bool
        True where the settings were applied to this process; False where the user opted out,
        set one of the variables already, or the C library has no ``mallopt``.

    Raises
    ------
    InputError
        ``LANDSCAPE_MALLOC`` is set to something other than ``tuned`` or ``default``.
    """
    env = os.environ if environ is None else environ
    choice = env.get(CHOICE, "").strip().lower()
    if choice not in ("", "tuned", "default"):
        raise InputError(
            f"{CHOICE}={env[CHOICE]!r}; expected 'tuned' (the default: glibc's malloc keeps the"
            " memory it frees) or 'default' (leave the allocator as it is)"
        )
    if choice == "default":
        return False
    if any(name in env for name, _, _ in MALLOC_SETTINGS):
        return False
    mallopt = _mallopt()
    if mallopt is None:
        return False
    # the threshold first: setting the trim threshold alone switches off glibc's adaptive mmap
    # threshold and leaves it at 128 KiB (measured: 3x more page faults than the default)
    for _, param, value in MALLOC_SETTINGS:
        if mallopt(param, value) != 1:
            return False
    for name, _, value in MALLOC_SETTINGS:
        env[name] = str(value)
    return True


def _mallopt():
    """glibc's ``mallopt(int, int) -> int``, or None where the C library has none."""
    try:
        libc = ctypes.CDLL(None)  # the symbols the process has loaded, the C library's among them
        if not hasattr(libc, "gnu_get_libc_version"):  # mallopt's parameters are glibc's
            return None
        fn = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return None
    fn.argtypes = (ctypes.c_int, ctypes.c_int)
    fn.restype = ctypes.c_int
    return fn
