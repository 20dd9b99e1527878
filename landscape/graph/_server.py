"""The embedded graph database process: ArcadeDB with its Bolt plugin, on 127.0.0.1 only.

Run as ``python -m landscape.graph._server ROOT [--owner-pid PID] [--heap SIZE]`` by
:func:`landscape.graph.embedded.start`, never by hand. ``ROOT`` is the ``graphdb`` folder of the data
folder; it holds the root password file (written by the parent, mode 0600), the ArcadeDB server
files under ``arcadedb/``, and the state file ``server.json`` that this process writes once Bolt
listens: ``{"pid", "bolt_port", "http_port", "database", "started", "arcadedb"}``.

Both listeners (Bolt and ArcadeDB's HTTP API, which cannot be switched off) bind to 127.0.0.1 on
free ports chosen here. SIGTERM or SIGINT stops the server cleanly (the Java shutdown hook alone
crashes the JVM inside JPype: measured, SIGSEGV in PyObject_RichCompare); so does the death of
``--owner-pid`` when given (the test suite ties its server to its own life this way).

JVM options: :data:`JVM_ARGS` unless ``$LANDSCAPE_DB_JVM_ARGS`` (which replaces them; empty means
the JVM's defaults) or arcadedb-embedded's own ``$ARCADEDB_JVM_ARGS`` is set. They are recorded in
``server.json`` as ``jvm_args``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path

#: Name of the ArcadeDB database that holds the landscape graph.
DATABASE = "landscape"
STATE_FILE = "server.json"
PASSWORD_FILE = "password"
BOLT_PLUGIN = "Bolt:com.arcadedb.bolt.BoltProtocolPlugin"
HOST = "127.0.0.1"
#: JVM options of the server. On a fresh server most of the CPU time of a first ingest goes to the
#: C2 JIT compiler inlining ArcadeDB's large methods (JFR: single compilations of 0.4-0.9 s); with
#: these smaller inlining limits a fresh server's first 34,000-hop ingest takes ~40% less server CPU
#: and the steady state is not slower (benchmarks/bench_graph.py, measured on 2 loaded CPUs). The
#: serial collector spares a small machine the concurrent GC threads of G1.
#: Measured alternatives, none better overall:
#: C1 only (``-XX:+UseSerialGC -XX:TieredStopAtLevel=1`` in ``$LANDSCAPE_DB_JVM_ARGS``), on 2 CPUs,
#: cuts the JIT's CPU on a fresh server from ~1.7 s to ~0.3 s per 34,000 hops and so makes the
#: first ingest 1.2-1.5x faster while another process keeps one CPU busy, but not faster on an idle
#: machine (14.1-18.2k against 15.4-18.9k hops/s with these options), and C1's code is slower for
#: good: warm ingest ~10-20% slower, read queries ~2x (lowest_barrier_hops p50 ~32 ms instead of
#: ~16 ms).
#: A JDK 25 AOT cache (the bundled JRE; ``-XX:AOTCacheOutput`` during one bench_graph ingest, then
#: ``-XX:AOTCache``) cuts the server's start from ~2.0 s to ~1.2 s but not its first ingest
#: (17.4-19.3k against 17.7-19.4k hops/s, 3 alternating runs each on an idle machine; JIT CPU
#: 1.36-1.49 s against 1.50-1.52 s), so it is not used: a 52 MB file per machine for 0.8 s per start.
#: On 2 idle CPUs (3-4 alternating fresh-server runs each): ``-XX:MaxInlineLevel=6`` (JIT CPU
#: 1.38-1.54 s against 1.32-1.44 s), ``-XX:FreqInlineSize=50 -XX:InlineSmallCode=500`` (JIT CPU
#: 1.19-1.47 s, but 20.6-29.5k hops/s after the warm-up against 27.7-33.4k),
#: ``-XX:-TieredCompilation`` (JIT CPU 1.61-1.67 s, 25.8-28.5k after the warm-up).
JVM_ARGS = ("-XX:+UseSerialGC", "-XX:FreqInlineSize=100", "-XX:InlineSmallCode=1000")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def _write_state(root: Path, state: dict) -> None:
    tmp = root / (STATE_FILE + ".tmp")
    tmp.write_text(json.dumps(state, indent=1), encoding="utf-8")
    os.replace(tmp, root / STATE_FILE)


def jvm_options() -> list[str]:
    """The JVM options to start the server with (see the module docstring)."""
    import shlex

    if "LANDSCAPE_DB_JVM_ARGS" in os.environ:
        return shlex.split(os.environ["LANDSCAPE_DB_JVM_ARGS"])
    if os.environ.get("ARCADEDB_JVM_ARGS"):
        return []  # arcadedb-embedded applies those; ours could contradict them (two GCs)
    return list(JVM_ARGS)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m landscape.graph._server")
    ap.add_argument("root", type=Path)
    ap.add_argument("--owner-pid", type=int, default=None)
    ap.add_argument("--heap", default=os.environ.get("LANDSCAPE_DB_HEAP", "2g"))
    args = ap.parse_args(argv)
    root: Path = args.root.resolve()
    password = (root / PASSWORD_FILE).read_text(encoding="utf-8").strip()
    os.environ.setdefault("ARCADEDB_JVM_ERROR_FILE", str(root / "hs_err_pid%p.log"))

    stop = threading.Event()

    def _on_signal(signum, frame):  # noqa: ARG001
        stop.set()

    signal.signal(signal.SIGHUP, signal.SIG_IGN)

    import arcadedb_embedded as adb
    from arcadedb_embedded.jvm import start_jvm

    jvm_args = jvm_options()
    start_jvm(heap_size=args.heap, jvm_args=jvm_args)
    # Installed after the JVM started, so that ours, not the JVM's, handles them.
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)

    server = None
    last_error: Exception | None = None
    for _attempt in range(5):  # a free port can be taken between choosing and binding it
        bolt_port, http_port = _free_port(), _free_port()
        config = {
            "host": HOST,
            "http_port": http_port,
            "server_plugins": BOLT_PLUGIN,
            "bolt_host": HOST,
            "bolt_port": bolt_port,
            "bolt_defaultDatabase": DATABASE,
            "server_defaultDatabases": f"{DATABASE}[root]",
            "server_logsDirectory": str(root / "log"),
        }
        candidate = adb.ArcadeDBServer(str(root / "arcadedb"), password, config)
        try:
            candidate.start()
        except adb.ArcadeDBError as exc:
            last_error = exc
            if stop.is_set():
                return 1
            continue
        server = candidate
        break
    if server is None:
        print(f"landscape: the embedded database did not start: {last_error}", file=sys.stderr)
        return 1

    _write_state(
        root,
        {
            "pid": os.getpid(),
            "bolt_port": bolt_port,
            "http_port": http_port,
            "host": HOST,
            "database": DATABASE,
            "started": time.time(),
            "arcadedb": adb.__version__,
            "owner_pid": args.owner_pid,
            "jvm_args": jvm_args,
        },
    )
    print(f"landscape: bolt://{HOST}:{bolt_port} ready (pid {os.getpid()})", flush=True)
    while not stop.wait(0.5):
        if args.owner_pid is not None and not _alive(args.owner_pid):
            print(f"landscape: owner process {args.owner_pid} is gone; stopping", flush=True)
            break
    t0 = time.perf_counter()
    server.stop()
    print(f"landscape: stopped in {time.perf_counter() - t0:.2f} s", flush=True)
    try:
        state = json.loads((root / STATE_FILE).read_text(encoding="utf-8"))
        if state.get("pid") == os.getpid():
            (root / STATE_FILE).unlink()
    except (OSError, ValueError):
        pass
    import jpype

    jpype.shutdownJVM()
    return 0


if __name__ == "__main__":
    sys.exit(main())
