"""The embedded ArcadeDB server: password file, loopback only, reuse, restart, CLI (own data folders)."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from landscape.errors import StoreError
from landscape.graph import embedded, open_store
from landscape.kinetics.synthetic import cubic_lattice_network

pytestmark = pytest.mark.service


@pytest.fixture(autouse=True)
def _embedded_only(monkeypatch):
    """These tests are about the embedded server, whatever LANDSCAPE_NEO4J_URI says."""
    monkeypatch.delenv("LANDSCAPE_NEO4J_URI", raising=False)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("embedded")
    info = embedded.start(data, owner_pid=os.getpid())
    yield info
    embedded.stop(data)


def _landscape(*args, env=None, timeout=300):
    return subprocess.run(
        [sys.executable, "-m", "landscape.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )


def _listening_addresses(pid: int) -> list[tuple[str, int]]:
    """(address, port) of every TCP socket in LISTEN state that process ``pid`` holds."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    out = []
    for table, v6 in (("/proc/net/tcp", False), ("/proc/net/tcp6", True)):
        for line in Path(table).read_text().splitlines()[1:]:
            f = line.split()
            if f[3] != "0A" or f[9] not in inodes:  # 0A: LISTEN
                continue
            addr_hex, port_hex = f[1].split(":")
            raw = bytes.fromhex(addr_hex)
            if v6:  # four little-endian 32-bit words
                raw = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
                addr = socket.inet_ntop(socket.AF_INET6, raw)
            else:
                addr = socket.inet_ntop(socket.AF_INET, raw[::-1])
            out.append((addr, int(port_hex, 16)))
    return out


def test_password_file_is_private_and_random(server):
    pw = server.password_file
    assert stat.S_IMODE(pw.stat().st_mode) == 0o600
    assert stat.S_IMODE(pw.parent.stat().st_mode) == 0o700
    assert len(server.password()) >= 32
    other = embedded._data_dir(None)  # never the default folder in the tests
    assert server.data_dir != other


def test_jvm_options_recorded_and_overridable(server, monkeypatch):
    from landscape.graph import _server

    state = json.loads((server.data_dir / "graphdb" / "server.json").read_text())
    assert state["jvm_args"] == _server.jvm_options()
    monkeypatch.delenv("LANDSCAPE_DB_JVM_ARGS", raising=False)
    monkeypatch.delenv("ARCADEDB_JVM_ARGS", raising=False)
    assert _server.jvm_options() == list(_server.JVM_ARGS)
    monkeypatch.setenv("LANDSCAPE_DB_JVM_ARGS", "-XX:TieredStopAtLevel=1  -Dx=1")
    assert _server.jvm_options() == ["-XX:TieredStopAtLevel=1", "-Dx=1"]
    monkeypatch.setenv("LANDSCAPE_DB_JVM_ARGS", "")
    assert _server.jvm_options() == []
    monkeypatch.delenv("LANDSCAPE_DB_JVM_ARGS")
    monkeypatch.setenv("ARCADEDB_JVM_ARGS", "-XX:+UseG1GC")
    assert _server.jvm_options() == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_listens_on_loopback_only(server):
    addrs = _listening_addresses(server.pid)
    assert (("127.0.0.1", server.bolt_port) in addrs) or (
        ("::ffff:127.0.0.1", server.bolt_port) in addrs
    )
    assert addrs, "no listening socket found"
    for addr, _port in addrs:
        assert addr in ("127.0.0.1", "::ffff:127.0.0.1", "::1"), addrs
    # from another address of this machine, the port is closed
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("10.255.255.255", 1))  # no packet is sent; picks the outgoing interface
            mine = s.getsockname()[0]
    except OSError:
        mine = None
    if mine and not mine.startswith("127."):
        with pytest.raises(OSError):
            socket.create_connection((mine, server.bolt_port), timeout=2).close()


def test_second_process_reuses_the_running_server(server):
    code = (
        "import sys, json\n"
        "from landscape.graph import open_store\n"
        "from landscape.kinetics.synthetic import cubic_lattice_network\n"
        "with open_store(data_dir=sys.argv[1]) as st:\n"
        "    st.upsert_network(cubic_lattice_network(2, sample_id='from-child'))\n"
        "    print(json.dumps({'pid': st.server.pid, 'reused': st.server.reused, 'uri': st.uri}))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, str(server.data_dir)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    child = json.loads(run.stdout.strip().splitlines()[-1])
    assert child == {"pid": server.pid, "reused": True, "uri": server.uri}
    again = embedded.start(server.data_dir)
    assert again.pid == server.pid and again.reused
    with open_store(data_dir=server.data_dir) as st:
        assert st.server.pid == server.pid
        assert st.query("sample_summary", sample_id="from-child")[0]["n_sites"] == 8


def test_concurrent_starts_make_one_server(tmp_path):
    code = (
        "import sys, json, os\n"
        "from landscape.graph import embedded\n"
        "i = embedded.start(sys.argv[1], owner_pid=int(sys.argv[2]))\n"
        "print(json.dumps({'pid': i.pid, 'reused': i.reused}))\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(tmp_path), str(os.getpid())],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    try:
        outs = [p.communicate(timeout=300) for p in procs]
        assert all(p.returncode == 0 for p in procs), [o[1][-1000:] for o in outs]
        res = [json.loads(o[0].strip().splitlines()[-1]) for o in outs]
        assert len({r["pid"] for r in res}) == 1
        assert sorted(r["reused"] for r in res) == [False, True, True]
    finally:
        embedded.stop(tmp_path)
    assert embedded.status(tmp_path) is None


def test_stop_then_start_keeps_the_data(tmp_path):
    G = cubic_lattice_network(3, sample_id="persist")
    G.graph["note"] = "survives a restart"
    first = embedded.start(tmp_path, owner_pid=os.getpid())
    try:
        with open_store(data_dir=tmp_path) as st:
            st.upsert_network(G)
            st.upsert_result("persist", "kinetics", Ea=0.5)
            counts = st.counts()
        stopped = embedded.stop(tmp_path)
        assert stopped is not None and stopped.pid == first.pid
        assert embedded.status(tmp_path) is None
        assert not (tmp_path / "graphdb" / "server.json").exists()
        deadline = time.monotonic() + 10
        while embedded._alive(first.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not embedded._alive(first.pid)
        assert "landscape: stopped" in (tmp_path / "graphdb" / "server.log").read_text()
        with open_store(data_dir=tmp_path) as st:
            assert st.server.pid != first.pid and not st.server.reused
            assert st.counts() == counts
            H = st.hop_network("persist")
        assert H.graph == G.graph and sorted(H.edges(keys=True)) == sorted(G.edges(keys=True))
        assert dict(H.nodes(data=True)) == dict(G.nodes(data=True))
        log = (tmp_path / "graphdb" / "server.log").read_text()
        assert "was not closed properly" not in log  # the stop was clean
    finally:
        embedded.stop(tmp_path)


def test_stale_state_file_is_ignored(tmp_path):
    root = tmp_path / "graphdb"
    root.mkdir(parents=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (root / "server.json").write_text(json.dumps({"pid": dead.pid, "bolt_port": 1}))
    assert embedded.status(tmp_path) is None
    assert embedded.stop(tmp_path) is None
    assert not (root / "server.json").exists()


def test_start_timeout_and_unusable_folder_raise_store_error(tmp_path):
    with pytest.raises(
        StoreError, match=r"did not accept Bolt connections on 127\.0\.0\.1 within"
    ) as err:
        embedded.start(tmp_path / "slow", timeout=0.2)
    assert "\n" not in str(err.value)
    assert embedded.status(tmp_path / "slow") is None
    afile = tmp_path / "a-file"
    afile.write_text("x")
    with pytest.raises(StoreError, match="not a directory"):
        embedded.start(afile)


def test_cli_db_start_status_stop(tmp_path):
    d = str(tmp_path / "cli-data")
    r = _landscape("db", "status", "--data-dir", d)
    assert r.returncode == 1 and "not running" in r.stdout
    r = _landscape("db", "start", "--data-dir", d)
    try:
        assert r.returncode == 0, r.stderr
        assert r.stdout.startswith("started: ") and "bolt://127.0.0.1:" in r.stdout
        info = embedded.status(d)
        assert info is not None and info.uri in r.stdout
        r = _landscape("db", "start", "--data-dir", d)
        assert (
            r.returncode == 0
            and r.stdout.startswith("already running: ")
            and str(info.pid) in r.stdout
        )
        r = _landscape("db", "status", "--data-dir", d)
        assert r.returncode == 0 and r.stdout.startswith("running: ") and info.uri in r.stdout
        assert "; 0 samples, 0 sites, 0 hops" in r.stdout  # what it holds
        # LANDSCAPE_DATA is the default data folder
        r = _landscape("db", "status", env={"LANDSCAPE_DATA": d})
        assert r.returncode == 0 and info.uri in r.stdout
    finally:
        r = _landscape("db", "stop", "--data-dir", d)
    assert r.returncode == 0 and "stopped" in r.stdout
    r = _landscape("db", "stop", "--data-dir", d)
    assert r.returncode == 0 and "no embedded graph database runs" in r.stdout
    r = _landscape("db", "status", "--data-dir", d)
    assert r.returncode == 1


def test_cli_db_errors_exit_2_without_traceback(tmp_path):
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    (blocked / "graphdb").write_text("not a folder")
    r = _landscape("db", "start", "--data-dir", str(blocked))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.startswith("error: ") and len(r.stderr.strip().splitlines()) == 1
    r = _landscape("db", "start", "--data-dir", str(tmp_path / "t"), "--timeout", "0.2")
    assert r.returncode == 2 and "Traceback" not in r.stderr and "did not accept Bolt" in r.stderr
    r = _landscape(
        "db",
        "status",
        env={"LANDSCAPE_NEO4J_URI": "bolt://127.0.0.1:1", "LANDSCAPE_NEO4J_PASSWORD": "x"},
    )
    assert r.returncode == 2 and "Traceback" not in r.stderr and "cannot reach" in r.stderr
