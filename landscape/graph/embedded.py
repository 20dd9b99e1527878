"""Start, find and stop the embedded graph database (ArcadeDB serving Bolt on 127.0.0.1).

The server runs as a child process (:mod:`landscape.graph._server`) in its own session, so it
outlives the command that started it and is shared by every later process using the same data
folder: :func:`start` reuses a running server (its pid is alive, it is that server, and its Bolt
port answers) instead of starting a second one, and a lock file serialises concurrent starts.

Files, all under ``<data folder>/graphdb/`` (the data folder is ``$LANDSCAPE_DATA`` or
``./landscape-data``):

``password``
    The root password, 32 random bytes from :mod:`secrets`, mode 0600, created on first start.
``server.json``
    pid and ports of the running server (absent when none runs).
``server.log``
    Output of the server process (ArcadeDB's own logs go to ``log/``).
``arcadedb/``
    The ArcadeDB server root: ``databases/landscape`` holds the graph.

The listening sockets (Bolt and ArcadeDB's HTTP API) are bound to 127.0.0.1 on free ports. Memory:
the JVM heap is capped at ``$LANDSCAPE_DB_HEAP`` (default ``2g``); other JVM options: see
:mod:`landscape.graph._server` (``$LANDSCAPE_DB_JVM_ARGS``).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..config import Settings
from ..errors import StoreError
from . import _server
from ._server import DATABASE, HOST, PASSWORD_FILE, STATE_FILE

__all__ = ["ServerInfo", "start", "stop", "status", "graphdb_dir", "USER"]

#: The database user of the embedded server.
USER = "root"
LOG_FILE = "server.log"
LOCK_FILE = "lock"
SERVER_MODULE = "landscape.graph._server"

#: Server processes started by this process, to reap them when they stop.
_CHILDREN: dict[int, subprocess.Popen] = {}


@dataclass(frozen=True)
class ServerInfo:
    """A running embedded server."""

    pid: int
    bolt_port: int
    http_port: int
    data_dir: Path
    database: str = DATABASE
    reused: bool = False

    @property
    def uri(self) -> str:
        """The Bolt URI, ``bolt://127.0.0.1:<port>``."""
        return f"bolt://{HOST}:{self.bolt_port}"

    @property
    def user(self) -> str:
        return USER

    @property
    def password_file(self) -> Path:
        return graphdb_dir(self.data_dir) / PASSWORD_FILE

    def password(self) -> str:
        """The root password (read from the 0600 file)."""
        return self.password_file.read_text(encoding="utf-8").strip()


def _data_dir(data_dir: str | os.PathLike | None) -> Path:
    d = Path(data_dir) if data_dir is not None else Settings().data_dir
    return d.expanduser().resolve()


def graphdb_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """The folder of the embedded database inside the data folder."""
    return _data_dir(data_dir) / "graphdb"


def _prepare(data_dir: Path) -> Path:
    if data_dir.exists() and not data_dir.is_dir():
        raise StoreError(f"data folder {data_dir} exists and is not a directory")
    root = data_dir / "graphdb"
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        root.mkdir(mode=0o700, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the data folder {root}: {exc.strerror}") from None
    return root


@contextlib.contextmanager
def _locked(root: Path, timeout: float) -> Iterator[None]:
    """Hold an exclusive lock on ``root/lock`` (serialises start and stop across processes)."""
    fd = os.open(root / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() > deadline:
                    raise StoreError(
                        f"another process holds {root / LOCK_FILE} for more than {timeout:g} s"
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # releases the lock


def _read_state(root: Path) -> dict | None:
    try:
        state = json.loads((root / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(state, dict) or not isinstance(state.get("pid"), int):
        return None
    return state


def _remove_state(root: Path, pid: int | None = None) -> None:
    state = _read_state(root)
    if state is not None and pid is not None and state.get("pid") != pid:
        return
    with contextlib.suppress(FileNotFoundError):
        (root / STATE_FILE).unlink()


def _alive(pid: int) -> bool:
    """True if ``pid`` runs (a zombie is dead; our own children are reaped here)."""
    child = _CHILDREN.get(pid)
    if child is not None:
        if child.poll() is not None:
            _CHILDREN.pop(pid, None)
            return False
        return True
    return _server._alive(pid)


def _is_our_server(pid: int) -> bool:
    """True if ``pid`` runs :mod:`landscape.graph._server` (guards against a reused pid)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return SERVER_MODULE.encode() in fh.read()
    except OSError:
        return sys.platform != "linux"  # no /proc: trust the pid


def _port_answers(port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=timeout):
            return True
    except OSError:
        return False


def _bolt_answers(port: int, timeout: float = 2.0) -> bool:
    """True if a Bolt server on ``port`` completes the version handshake."""
    hello = b"\x60\x60\xb0\x17" + b"\x00\x00\x04\x04" + b"\x00\x00\x00\x04" + b"\x00" * 8
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as s:
            s.sendall(hello)
            reply = b""
            while len(reply) < 4:
                chunk = s.recv(4 - len(reply))
                if not chunk:
                    return False
                reply += chunk
            return reply != b"\x00\x00\x00\x00"
    except OSError:
        return False


def _info(state: dict, data_dir: Path, reused: bool) -> ServerInfo:
    return ServerInfo(
        pid=state["pid"],
        bolt_port=int(state["bolt_port"]),
        http_port=int(state.get("http_port", 0)),
        data_dir=data_dir,
        database=state.get("database", DATABASE),
        reused=reused,
    )


def _running(root: Path) -> dict | None:
    """The state of a live server of ours in ``root`` whose Bolt port accepts connections."""
    state = _read_state(root)
    if state is None:
        return None
    pid = state["pid"]
    if not _alive(pid) or not _is_our_server(pid):
        return None
    if not _port_answers(int(state.get("bolt_port", 0))):
        return None
    return state


def status(data_dir: str | os.PathLike | None = None) -> ServerInfo | None:
    """The running embedded server of ``data_dir``, or ``None`` if none runs."""
    d = _data_dir(data_dir)
    state = _running(d / "graphdb")
    return None if state is None else _info(state, d, reused=True)


def _ensure_password(root: Path) -> None:
    path = root / PASSWORD_FILE
    if path.exists():
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
        return
    # A database without its password file: the root user is re-created with a new password.
    users = root / "arcadedb" / "config" / "server-users.jsonl"
    with contextlib.suppress(FileNotFoundError):
        users.unlink()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(secrets.token_urlsafe(32) + "\n")


def _log_tail(root: Path, lines: int = 3) -> str:
    try:
        text = (root / LOG_FILE).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    keep = [
        ln.strip()
        for ln in text.splitlines()
        if ln.strip()
        and ("ERROR" in ln or "SEVER" in ln or "Exception" in ln or "landscape:" in ln)
    ]
    return " | ".join(keep[-lines:])


def _terminate(pid: int, timeout: float) -> bool:
    """SIGTERM ``pid`` and wait; SIGKILL after ``timeout`` s. True if it stopped on SIGTERM."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return False


def start(
    data_dir: str | os.PathLike | None = None,
    *,
    timeout: float = 120.0,
    owner_pid: int | None = None,
    heap: str | None = None,
) -> ServerInfo:
    """Start the embedded server of ``data_dir``, or return the one already running there.

    Parameters
    ----------
    data_dir
        Data folder (default ``$LANDSCAPE_DATA`` or ``./landscape-data``).
    timeout
        Seconds to wait until Bolt accepts connections; past it the server is stopped and
        :class:`StoreError` raised.
    owner_pid
        If given, a newly started server stops by itself when this process ends (the test suite
        uses it so that no server outlives it). Ignored when a running server is reused.
    heap
        JVM heap cap such as ``"2g"`` (default ``$LANDSCAPE_DB_HEAP`` or ``2g``).

    Returns
    -------
    ServerInfo
        ``reused`` tells whether a running server was found.
    """
    d = _data_dir(data_dir)
    root = _prepare(d)
    with _locked(root, timeout):
        state = _read_state(root)
        if state is not None:
            pid = state["pid"]
            if _alive(pid) and _is_our_server(pid):
                if _port_answers(int(state.get("bolt_port", 0))):
                    return _info(state, d, reused=True)
                raise StoreError(
                    f"the embedded database (pid {pid}) runs but its Bolt port "
                    f"{state.get('bolt_port')} does not answer; run 'landscape db stop'"
                )
            _remove_state(root, pid)  # left behind by a server that is gone
        _ensure_password(root)
        return _spawn(d, root, timeout=timeout, owner_pid=owner_pid, heap=heap)


def _spawn(d: Path, root: Path, *, timeout: float, owner_pid: int | None, heap: str | None):
    import landscape

    cmd = [sys.executable, "-m", SERVER_MODULE, str(root)]
    if owner_pid is not None:
        cmd += ["--owner-pid", str(int(owner_pid))]
    if heap:
        cmd += ["--heap", str(heap)]
    env = dict(os.environ)
    pkg_parent = str(Path(landscape.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (pkg_parent, env.get("PYTHONPATH")) if p)
    with open(root / LOG_FILE, "ab") as log:
        log.write(f"\n--- {time.strftime('%Y-%m-%d %H:%M:%S')} starting\n".encode())
        log.flush()
        proc = subprocess.Popen(
            cmd,
            cwd=root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )
    _CHILDREN[proc.pid] = proc
    deadline = time.monotonic() + timeout
    while True:
        rc = proc.poll()
        if rc is not None:
            _CHILDREN.pop(proc.pid, None)
            tail = _log_tail(root)
            raise StoreError(
                f"the embedded database exited with status {rc} while starting"
                + (f" ({tail})" if tail else "")
                + f"; log: {root / LOG_FILE}"
            )
        state = _read_state(root)
        if (
            state is not None
            and state["pid"] == proc.pid
            and _bolt_answers(int(state["bolt_port"]))
        ):
            return _info(state, d, reused=False)
        if time.monotonic() > deadline:
            _terminate(proc.pid, 10.0)
            _remove_state(root, proc.pid)
            raise StoreError(
                f"the embedded database did not accept Bolt connections on {HOST} within "
                f"{timeout:g} s; log: {root / LOG_FILE}"
            )
        time.sleep(0.05)


def stop(data_dir: str | os.PathLike | None = None, *, timeout: float = 60.0) -> ServerInfo | None:
    """Stop the embedded server of ``data_dir`` cleanly; return what was stopped, or ``None``.

    The server gets SIGTERM and closes the database; if it has not exited after ``timeout``
    seconds it is killed (the database recovers from its write-ahead log on the next start) and
    :class:`StoreError` is raised.
    """
    d = _data_dir(data_dir)
    root = d / "graphdb"
    if not root.is_dir():
        return None
    with _locked(root, timeout):
        state = _read_state(root)
        if state is None:
            return None
        pid = state["pid"]
        if not _alive(pid) or not _is_our_server(pid):
            _remove_state(root, pid)
            return None
        info = _info(state, d, reused=True)
        clean = _terminate(pid, timeout)
        _CHILDREN.pop(pid, None)
        _remove_state(root, pid)
        if not clean:
            raise StoreError(
                f"the embedded database (pid {pid}) did not stop within {timeout:g} s and was killed"
            )
        return info
