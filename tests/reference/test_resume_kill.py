"""A generation killed with SIGKILL at three moments and resumed: no point lost, none duplicated;
the workers of a killed parent end with it."""

from __future__ import annotations

import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

N_POINTS = 10

SCRIPT = """
import sys
from ase.build import bulk
from landscape.reference import InsertionPoints, Relaxation, run_reference

A = 2.0 * 2 ** (1 / 6) * 2**0.5
host = bulk("Ar", "fcc", a=A, cubic=True) * (2, 1, 1)
host.rattle(0.02, seed=1)
host.info["sample_id"] = "lj-host"
if __name__ == "__main__":
    run_reference(
        host, sys.argv[1], InsertionPoints(n_points=int(sys.argv[2]), seed=3, min_distance=1.2),
        species="Ar", relaxation=Relaxation(fmax=0.005),
        calculator="ase.calculators.lj:LennardJones",
        calculator_kwargs={"sigma": 2.0, "epsilon": 0.05, "rc": 4.5, "smooth": True},
    )
"""


def _count(db: Path, kind: str) -> int:
    if not db.exists():
        return 0
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.1)
        n = con.execute(
            "SELECT COUNT(*) FROM text_key_values WHERE key='kind' AND value=?", (kind,)
        ).fetchone()[0]
        con.close()
        return int(n)
    except sqlite3.Error:
        return 0


def _start(script: Path, db: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        [sys.executable, str(script), str(db), str(N_POINTS)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@pytest.mark.slow
def test_sigkill_at_three_moments_loses_and_duplicates_nothing(tmp_path):
    script = tmp_path / "gen.py"
    script.write_text(SCRIPT)
    db = tmp_path / "ref.db"
    kills = []
    # moment 1: before anything is written (the host is being relaxed); moments 2 and 3: after
    # 2 and after 5 finished points, in the middle of the next relaxation
    for kind, at_least in (("host", 0), ("point", 2), ("point", 5)):
        proc = _start(script, db)
        deadline = time.monotonic() + 120
        if at_least == 0:
            time.sleep(0.5)
        else:
            while _count(db, kind) < at_least and time.monotonic() < deadline:
                if proc.poll() is not None:
                    break
                time.sleep(0.02)
        if proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace")[-2000:]
            raise AssertionError(
                f"the run ended before it could be killed ({kind} {at_least}):\n{err}"
            )
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills.append(_count(db, "point"))
    print(f"points in the database at the three kills: {kills}")
    assert kills[1] >= 2 and kills[2] >= 5
    proc = _start(script, db)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()[-2000:]

    from ase.db import connect

    rows = list(connect(str(db)).select(kind="point"))
    ids = [r.point_id for r in rows]
    assert sorted(ids) == list(range(N_POINTS))  # none lost, none duplicated
    assert len(list(connect(str(db)).select(kind="host"))) == 1
    assert all(r.status == "ok" for r in rows)


def _lj_run(db: Path, n: int = 2):
    from ase.build import bulk

    from landscape.reference import InsertionPoints, Relaxation, run_reference

    host = bulk("Ar", "fcc", a=2.0 * 2 ** (1 / 6) * 2**0.5, cubic=True) * (2, 1, 1)
    host.rattle(0.02, seed=1)
    host.info["sample_id"] = "lj-host"
    return run_reference(
        host, db, InsertionPoints(n_points=n, seed=3, min_distance=1.2), species="Ar",
        relaxation=Relaxation(fmax=0.005), calculator="ase.calculators.lj:LennardJones",
        calculator_kwargs={"sigma": 2.0, "epsilon": 0.05, "rc": 4.5, "smooth": True},
        progress=False,
    )  # fmt: skip


def _partial_schema(db: Path, upto: str) -> None:
    """The file ASE leaves when killed while creating its tables (each CREATE commits alone)."""
    from ase.db.sqlite import init_statements

    creates = [s for s in init_statements if s.lstrip().upper().startswith("CREATE")]
    con = sqlite3.connect(db)
    for s in creates[:1] if upto == "first table" else creates:
        con.execute(s)
    con.commit()
    con.close()


@pytest.mark.parametrize("upto", ["first table", "every table, no version row"])
def test_a_database_killed_while_ase_created_its_tables_resumes(tmp_path, upto):
    db = tmp_path / "ref.db"
    _partial_schema(db, upto)
    with pytest.raises((sqlite3.OperationalError, TypeError)):  # what ASE alone makes of it
        from ase.db import connect

        connect(str(db)).count()
    _lj_run(db)
    from ase.db import connect

    assert sorted(r.point_id for r in connect(str(db)).select(kind="point")) == [0, 1]
    assert [p.name for p in tmp_path.iterdir()] == ["ref.db"]  # no temporary file left


def test_a_new_database_appears_complete_and_rows_with_a_broken_schema_are_refused(tmp_path):
    from landscape.errors import InputError
    from landscape.reference.database import open_reference_db

    db = open_reference_db(tmp_path / "sub" / "new.db")
    con = sqlite3.connect(tmp_path / "sub" / "new.db")
    assert con.execute("SELECT value FROM information WHERE name='version'").fetchone()
    con.close()
    assert db.count() == 0
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["new.db"]

    broken = tmp_path / "broken.db"
    _partial_schema(broken, "first table")
    con = sqlite3.connect(broken)
    con.execute("INSERT INTO systems (unique_id) VALUES ('x')")
    con.commit()
    con.close()
    before = broken.read_bytes()
    with pytest.raises(InputError, match="has rows but an incomplete schema") as exc:
        open_reference_db(broken)
    assert "\n" not in str(exc.value)
    assert broken.read_bytes() == before

    text = tmp_path / "notes.db"
    text.write_text("not a database\n")
    with pytest.raises(InputError, match="is not an SQLite file"):
        open_reference_db(text)
    assert text.read_text() == "not a database\n"


POOL_SCRIPT = """
import multiprocessing as mp, sys, time
from concurrent.futures import ProcessPoolExecutor
from landscape.reference import worker

def pid_then_sleep(seconds):
    import os
    # one write of the whole line (atomic on a pipe): print() writes the number and the newline
    # separately, so the two workers' lines could interleave
    os.write(1, f"{os.getpid()}\\n".encode())
    time.sleep(seconds)

if __name__ == "__main__":
    ctx = mp.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=ctx, initializer=worker.init_worker,
                             initargs=(1,)) as pool:
        futures = [pool.submit(pid_then_sleep, 120) for _ in range(4)]
        time.sleep(300)
"""


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_pool_workers_end_when_their_parent_is_killed(tmp_path):
    # The workers of a reference run's process pool stop within seconds when the parent is killed
    # with SIGKILL (no clean-up runs), instead of relaxing their queued points for minutes.
    script = tmp_path / "pool.py"
    script.write_text(POOL_SCRIPT)
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=lambda: [lines.put(x) for x in parent.stdout], daemon=True).start()
        pids = [int(lines.get(timeout=120)) for _ in range(2)]  # both workers busy
        assert all(_running(p) for p in pids)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(10)
        deadline = time.monotonic() + 10.0
        while time.monotonic() < deadline and any(_running(p) for p in pids):
            time.sleep(0.1)
        assert not any(_running(p) for p in pids), "pool workers outlived their parent"
    finally:
        parent.kill()
        parent.stdout.close()
