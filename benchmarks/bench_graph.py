"""Graph store benchmark: ingest rate, named-query latency, and an ingest killed with SIGKILL.

    .venv/bin/python benchmarks/bench_graph.py [--samples 10] [--sites 300] [--repeats 50]
                                               [--fresh-runs 1] [--warm-passes 3] [--no-kill]

1. Ingest: a synthetic database of ``--samples`` networks (``random_network(300, max_distance=4.1)``,
   distinct seeds and sample ids, each >= 3000 directed hops) into a fresh embedded database;
   hops/s over the whole ingest (goal >= 20 000), then the same ingest again (idempotent: the
   counts must not change). The rate of one fresh server varies by 20-30 % from run to run on
   a small shared machine (the JVM compiles during it); ``--fresh-runs N`` repeats the first
   ingest on N-1 more fresh servers and prints the median and the range of all N.
   The CPU time of the embedded server is split by thread (from /proc): the Bolt worker that runs
   the queries, the JIT compilers, GC and VM threads, so a fresh JVM's warm-up shows as such.
2. Latency: every named read query (the ``.cypher`` files and the queries computed in Python,
   ``minimax_path`` and ``bottleneck_hops``, which read the whole network), ``--repeats`` times
   each on random samples of that database with random parameters, after 3 warm-up runs; p50 and
   p95 in ms (goal p95 < 50 ms). Then the embedded server's resident memory (after the ingest,
   after the queries, and its peak) and the size of its data folder. ``compare_models`` reads two kinetics results per sample stored
   for it.
2b. Warm ingest (``--warm-passes``, default 3): the same networks under new sample ids, ingested
   again into the same, now warmed-up server, one pass after another. Not the goal's measure
   (that is the first ingest into a fresh server, above); it shows what a long-running server does.
3. SIGKILL: a subprocess ingests the same samples into a second fresh database and is killed with
   SIGKILL in the middle of the transaction of the sample after half of them; the state right
   after the kill is recorded, the ingest is run again to the end, and the result is compared with
   the uninterrupted database: counts and a canonical dump (SHA-256 of every sample's hop network,
   sorted JSON) must be identical.

With ``LANDSCAPE_NEO4J_URI`` set, parts 1 and 2 run on that Neo4j server instead (its database must
hold nothing else); part 3 always uses embedded databases.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from landscape.config import neo4j_from_env
from landscape.graph import embedded, open_store
from landscape.graph.algorithms import bottleneck_hops, minimax_path
from landscape.kinetics.synthetic import random_network
from landscape.units import K_B

MAX_DISTANCE = 4.1  # Å: 300 sites at 0.04 /Å³ give 3200-3600 directed hops


def make_networks(n_samples: int, n_sites: int) -> list:
    nets = []
    for s in range(n_samples):
        G = random_network(
            n_sites, max_distance=MAX_DISTANCE, random_state=1000 + s, sample_id=f"bench-{s:02d}"
        )
        if G.number_of_edges() < 3000:
            raise SystemExit(f"sample {s} has only {G.number_of_edges()} hops; raise MAX_DISTANCE")
        nets.append(G)
    return nets


def canonical_dump(store, sample_ids) -> tuple[dict, str]:
    """Counts and a SHA-256 over every sample's hop network in sorted JSON."""
    import networkx as nx

    h = hashlib.sha256()
    for sid in sorted(sample_ids):
        G = store.hop_network(sid)
        data = nx.node_link_data(G, edges="edges")
        data["nodes"] = sorted(data["nodes"], key=lambda n: n["id"])
        data["edges"] = sorted(
            data["edges"], key=lambda e: (e["source"], e["target"], str(e["key"]))
        )
        h.update(json.dumps(data, sort_keys=True).encode())
    return store.counts(), h.hexdigest()


def _server_cpu(store) -> float:
    """CPU seconds used so far by the embedded server process (0 for a remote server)."""
    if store.server is None:
        return 0.0
    try:
        with open(f"/proc/{store.server.pid}/stat", encoding="ascii") as fh:
            f = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def _server_memory(store) -> tuple[float, float] | None:
    """Resident memory of the embedded server process now and at its peak (MiB; None if
    unknown, e.g. on a remote Neo4j)."""
    if store.server is None:
        return None
    try:
        text = Path(f"/proc/{store.server.pid}/status").read_text(encoding="ascii")
    except OSError:
        return None
    kb = {
        line.split(":")[0]: int(line.split()[1])
        for line in text.splitlines()
        if line.startswith(("VmRSS", "VmHWM"))
    }
    return kb["VmRSS"] / 1024, kb["VmHWM"] / 1024


def _folder_mib(path: Path) -> float:
    """Size on disk of the files under ``path``, MiB."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def _server_threads(store) -> dict[str, float]:
    """CPU seconds used so far by the embedded server's threads, by kind (empty if unknown)."""
    out = {"Bolt worker": 0.0, "JIT compilers": 0.0, "GC + VM": 0.0, "other": 0.0}
    if store.server is None:
        return {}
    tck = os.sysconf("SC_CLK_TCK")
    try:
        tids = os.listdir(f"/proc/{store.server.pid}/task")
    except OSError:
        return {}
    for tid in tids:
        try:
            with open(f"/proc/{store.server.pid}/task/{tid}/stat", encoding="ascii") as fh:
                text = fh.read()
        except OSError:
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        f = text.rsplit(")", 1)[1].split()
        cpu = (int(f[11]) + int(f[12])) / tck
        if name.startswith("BOLT"):
            kind = "Bolt worker"
        elif "Compiler" in name:
            kind = "JIT compilers"
        elif "GC" in name or name.startswith(("G1", "VM ")):
            kind = "GC + VM"
        else:
            kind = "other"
        out[kind] += cpu
    return out


def ingest(store, nets) -> tuple[float, float, float, dict[str, float], list[float]]:
    """Wall seconds, client CPU, server CPU (seconds), server CPU by thread and wall seconds per
    network of ingesting ``nets``."""
    th0 = _server_threads(store)
    c0, s0, t0 = time.process_time(), _server_cpu(store), time.perf_counter()
    per = []
    for G in nets:
        t1 = time.perf_counter()
        store.upsert_network(G)
        per.append(time.perf_counter() - t1)
    wall, client, server = (
        time.perf_counter() - t0,
        time.process_time() - c0,
        _server_cpu(store) - s0,
    )
    th1 = _server_threads(store)
    return wall, client, server, {k: th1[k] - th0.get(k, 0.0) for k in th1}, per


def fresh_ingest(nets) -> float:
    """hops/s of ingesting ``nets`` into a new embedded server, started for it and stopped after."""
    work = Path(tempfile.mkdtemp(prefix="bench-graph-fresh-"))
    try:
        embedded.start(work, owner_pid=os.getpid())
        with open_store(data_dir=work) as st:
            dt = ingest(st, nets)[0]
    finally:
        embedded.stop(work)
        shutil.rmtree(work, ignore_errors=True)
    return sum(G.number_of_edges() for G in nets) / dt


def _threads_line(threads: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.2f}" for k, v in threads.items())


def store_model_results(store, nets) -> None:
    """Two kinetics results per sample, of models ``bench-model-a`` and ``bench-model-b``
    (made-up values: Eₐ in eV, D in cm²/s at 500-800 K), for ``compare_models``."""
    temperatures = [500.0, 600.0, 700.0, 800.0]
    for k, G in enumerate(nets):
        for model, ea in (("bench-model-a", 0.50), ("bench-model-b", 0.52)):
            ea += 0.01 * k
            store.upsert_result(
                G.graph["sample_id"],
                "kinetics",
                name=model,
                model_id=model,
                temperatures=temperatures,
                D_exact=[1e-3 * float(np.exp(-ea / (K_B * t))) for t in temperatures],
                Ea_exact=ea,
                D0_exact=1e-3,
                percolation_barrier=ea + 0.3,
            )


def latency(store, nets, repeats: int, rng) -> list[tuple[str, float, float]]:
    """p50 and p95 (ms) of every named read query, the Python ones included, on random samples
    with random parameters."""
    sids = [G.graph["sample_id"] for G in nets]
    n = min(G.number_of_nodes() for G in nets)
    store_model_results(store, nets)
    cases = {
        "sample_summary": lambda s: {"sample_id": s},
        "barrier_histogram": lambda s: {"sample_id": s, "bin_width": 0.05},
        "lowest_barrier_hops": lambda s: {"sample_id": s, "limit": 20},
        "site_neighbourhood k=2": lambda s: {
            "sample_id": s,
            "index": int(rng.integers(n)),
            "k": 2,
        },
        "site_neighbourhood k=4": lambda s: {
            "sample_id": s,
            "index": int(rng.integers(n)),
            "k": 4,
        },
        # eV above the lowest site: the lowest 5-25 % of the saddles of these networks
        "hops_below": lambda s: {"sample_id": s, "max_energy": float(rng.uniform(0.6, 0.9))},
        "traps": lambda s: {"sample_id": s, "min_barrier": float(rng.uniform(0.4, 0.6))},
        "compare_models": lambda s: {
            "sample_id": s,
            "model_a": "bench-model-a",
            "model_b": "bench-model-b",
        },
        "minimax_path (Python)": lambda s: {
            "sample_id": s,
            "source": int(rng.integers(n)),
            "target": int(rng.integers(n)),
        },
        "bottleneck_hops (Python)": lambda s: {"sample_id": s},
        "compare_samples": lambda s: {},
        "graph_counts": lambda s: {},
        "list_samples": lambda s: {},
    }
    out = []
    for label, params in cases.items():
        name = label.split()[0]
        for _ in range(3):
            store.query(name, **params(sids[0]))
        times = []
        for _ in range(repeats):
            p = params(sids[int(rng.integers(len(sids)))])
            t0 = time.perf_counter()
            store.query(name, **p)
            times.append((time.perf_counter() - t0) * 1e3)
        out.append((label, float(np.percentile(times, 50)), float(np.percentile(times, 95))))
    times = []
    for _ in range(max(5, repeats // 5)):
        t0 = time.perf_counter()
        store.hop_network(sids[int(rng.integers(len(sids)))])
        times.append((time.perf_counter() - t0) * 1e3)
    out.append(
        (
            "hop_network() (read a whole network)",
            float(np.percentile(times, 50)),
            float(np.percentile(times, 95)),
        )
    )
    # the Python queries' own share: the same computation on the networks in memory
    for label, work in (
        ("minimax_path, Python part", lambda G: minimax_path(G, *rng.integers(n, size=2).tolist())),
        ("bottleneck_hops, Python part", bottleneck_hops),
    ):
        times = []
        for _ in range(repeats):
            G = nets[int(rng.integers(len(nets)))]
            t0 = time.perf_counter()
            work(G)
            times.append((time.perf_counter() - t0) * 1e3)
        out.append((label, float(np.percentile(times, 50)), float(np.percentile(times, 95))))
    return out


CHILD = r"""
import sys, time
from landscape.graph import open_store
sys.path.insert(0, sys.argv[4])
from bench_graph import make_networks
nets = make_networks(int(sys.argv[2]), int(sys.argv[3]))
with open_store(data_dir=sys.argv[1]) as st:
    for k, G in enumerate(nets):
        print("begin", k, time.perf_counter(), flush=True)
        st.upsert_network(G)
        print("done", k, time.perf_counter(), flush=True)
"""


def sigkill_test(nets, n_samples, n_sites, reference) -> dict:
    work = Path(tempfile.mkdtemp(prefix="bench-graph-kill-"))
    env = {k: v for k, v in os.environ.items() if k != "LANDSCAPE_NEO4J_URI"}
    embedded.start(work, owner_pid=os.getpid())
    try:
        child = subprocess.Popen(
            [
                sys.executable,
                "-c",
                CHILD,
                str(work),
                str(n_samples),
                str(n_sites),
                str(Path(__file__).parent),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        half = n_samples // 2
        durations = []
        began = None
        for line in child.stdout:
            word, k, t = line.split()
            if word == "begin":
                began = float(t)
                if int(k) == half:
                    break
            else:
                durations.append(float(t) - began)
        # into the middle of the transaction of sample `half`
        time.sleep(0.5 * float(np.median(durations)))
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        with open_store(data_dir=work) as st:
            after_kill = st.counts()
            present = st.samples()
            # every sample present is complete (one transaction per network)
            complete = all(
                st.query("sample_summary", sample_id=s)[0]["n_hops"]
                == nets[int(s[-2:])].number_of_edges()
                for s in present
            )
            t0 = time.perf_counter()
            for G in nets:
                st.upsert_network(G)
            rerun = time.perf_counter() - t0
            counts, digest = canonical_dump(st, [G.graph["sample_id"] for G in nets])
        log = (work / "graphdb" / "server.log").read_text(errors="replace")
        return {
            "killed_during_sample": half,
            "after_kill": after_kill,
            "samples_present_after_kill": len(present),
            "present_samples_complete": complete,
            "rerun_s": rerun,
            "counts": counts,
            "digest": digest,
            "same_as_uninterrupted": (counts, digest) == reference,
            "ghost_edge_warnings": log.count("Ghost (dangling) edges"),
        }
    finally:
        embedded.stop(work)
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=10)
    ap.add_argument("--sites", type=int, default=300)
    ap.add_argument("--repeats", type=int, default=50)
    ap.add_argument("--batch-size", type=int, default=None)
    ap.add_argument("--no-kill", action="store_true", help="skip the SIGKILL part")
    ap.add_argument(
        "--fresh-runs",
        type=int,
        default=1,
        help="first ingests on this many fresh servers in all (embedded only): median and range",
    )
    ap.add_argument(
        "--warm-passes", type=int, default=3, help="ingests into the warmed-up server (part 2b)"
    )
    args = ap.parse_args()
    try:
        import neo4j._rust  # noqa: F401

        packer = "neo4j-rust-ext (Rust PackStream)"
    except ImportError:
        packer = "pure-Python PackStream (pip install neo4j-rust-ext for ~4x faster packing)"
    print(
        f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; driver: {packer}"
    )

    t0 = time.perf_counter()
    nets = make_networks(args.samples, args.sites)
    n_hops = sum(G.number_of_edges() for G in nets)
    n_sites = sum(G.number_of_nodes() for G in nets)
    print(
        f"{args.samples} samples, {n_sites} sites, {n_hops} hops "
        f"(min {min(G.number_of_edges() for G in nets)} per sample), generated in {time.perf_counter() - t0:.1f} s"
    )

    tmp = None
    t0 = time.perf_counter()
    if neo4j_from_env():
        store = open_store()
        backend = f"Neo4j at {store.uri}"
    else:
        tmp = Path(tempfile.mkdtemp(prefix="bench-graph-"))
        embedded.start(tmp, owner_pid=os.getpid())
        store = open_store(data_dir=tmp)
        state = json.loads((embedded.graphdb_dir(tmp) / "server.json").read_text(encoding="utf-8"))
        backend = f"embedded ArcadeDB, JVM options {' '.join(state.get('jvm_args') or []) or '(defaults)'}"
    start_s = time.perf_counter() - t0
    if args.batch_size:
        store.batch_size = args.batch_size
    try:
        for G in nets:  # a clean slate on a shared Neo4j
            try:
                store.delete_sample(G.graph["sample_id"])
            except Exception:  # noqa: BLE001
                pass
        before = store.counts()
        dt1, cpu_client, cpu_server, threads1, per1 = ingest(store, nets)
        c1 = store.counts()
        memory = {"after the first ingest": _server_memory(store)}
        dt2, *_ = ingest(store, nets)
        c2 = store.counts()
        reference = canonical_dump(store, [G.graph["sample_id"] for G in nets])
        rng = np.random.default_rng(0)
        lat = latency(store, nets, args.repeats, rng)
        memory["after the queries"] = _server_memory(store)
        disk = _folder_mib(tmp) if tmp is not None else None
        warm = []
        for p in range(args.warm_passes):
            copies = []
            for G in nets:
                H = G.copy()
                H.graph["sample_id"] = f"bench-warm{p}-{G.graph['sample_id']}"
                copies.append(H)
            warm.append(ingest(store, copies))
            if tmp is None:  # leave a shared Neo4j as it was
                for H in copies:
                    store.delete_sample(H.graph["sample_id"])
    finally:
        store.close()
        if tmp is not None:
            embedded.stop(tmp)
            shutil.rmtree(tmp, ignore_errors=True)

    print(f"\nbackend: {backend}; start/connect {start_s:.1f} s")
    print(f"{'measure':44s} {'value':>14s}  goal")
    print(f"{'ingest, first time (hops/s)':44s} {n_hops / dt1:14,.0f}  >= 20,000   ({dt1:.2f} s)")
    if cpu_server:
        print(
            f"{'  CPU: client + server (s)':44s} {cpu_client:7.2f} + {cpu_server:5.2f}  "
            f"-> {n_hops / (cpu_client + cpu_server):,.0f} hops per CPU-second (one core, no contention)"
        )
    if threads1:
        print(f"{'  server CPU by thread (s)':44s} {_threads_line(threads1)}")
    if len(per1) <= 12:
        print(f"{'  wall per sample (s)':44s} {' '.join(f'{t:.3f}' for t in per1)}")
    else:
        q = np.percentile(per1, [0, 50, 95, 100])
        print(
            f"{'  wall per sample (s)':44s} first three {' '.join(f'{t:.3f}' for t in per1[:3])}; "
            f"min {q[0]:.3f}, median {q[1]:.3f}, p95 {q[2]:.3f}, max {q[3]:.3f}"
        )
    if len(nets) > 3:  # a fresh JVM compiles during the first networks: the rate after them
        later = sum(G.number_of_edges() for G in nets[3:]) / sum(per1[3:])
        print(
            f"{'  samples 4-' + str(len(nets)) + ', after the warm-up (hops/s)':44s} {later:14,.0f}"
        )
    print(
        f"{'ingest again, idempotent (hops/s)':44s} {n_hops / dt2:14,.0f}              ({dt2:.2f} s)"
    )
    same = (
        c1 == c2
        and c1["hops"] - before["hops"] == n_hops
        and c1["sites"] - before["sites"] == n_sites
    )
    print(f"{'counts after 1st == after 2nd ingest':44s} {str(same):>14s}  True         {c1}")
    for label, p50, p95 in lat:
        flag = "" if p95 < 50 else "  <-- over goal"
        print(f"{'p95 ' + label + ' (ms)':44s} {p95:14.1f}  < 50  (p50 {p50:.1f}){flag}")
    for when, mem in memory.items():
        if mem is not None:
            print(
                f"{'server memory ' + when + ' (MiB)':44s} {mem[0]:14,.0f}  "
                f"(resident; peak so far {mem[1]:,.0f}; JVM heap cap $LANDSCAPE_DB_HEAP or 2g)"
            )
    if disk is not None:
        print(f"{'data folder on disk (MiB)':44s} {disk:14,.0f}")
    for p, (dt, cc, cs, th, _) in enumerate(warm):
        print(
            f"{f'warm server, pass {p + 1}, new samples (hops/s)':44s} {n_hops / dt:14,.0f}  "
            f"(not the goal's measure; {dt:.2f} s; CPU client {cc:.2f} + server {cs:.2f}"
            + (f": {_threads_line(th)}" if th else "")
            + ")"
        )
    if args.fresh_runs > 1 and tmp is not None:
        rates = [n_hops / dt1] + [fresh_ingest(nets) for _ in range(args.fresh_runs - 1)]
        print(
            f"{f'ingest, first time, {len(rates)} fresh servers':44s} "
            f"{float(np.median(rates)):14,.0f}  >= 20,000   (median; "
            f"min {min(rates):,.0f}, max {max(rates):,.0f}: "
            + " ".join(f"{r / 1e3:.1f}k" for r in rates)
            + ")"
        )
    if not args.no_kill:
        k = sigkill_test(nets, args.samples, args.sites, reference)
        print(f"{'SIGKILL during sample (0-based)':44s} {k['killed_during_sample']:14d}")
        print(
            f"{'samples present right after the kill':44s} {k['samples_present_after_kill']:14d}  all complete: {k['present_samples_complete']}  {k['after_kill']}"
        )
        print(f"{'re-run to the end (s)':44s} {k['rerun_s']:14.2f}")
        print(
            f"{'same graph as uninterrupted':44s} {str(k['same_as_uninterrupted']):>14s}  True   {k['counts']}, sha256 {k['digest'][:16]}"
        )
        print(f"{'ArcadeDB ghost-edge warnings in the log':44s} {k['ghost_edge_warnings']:14d}  0")
    print(f"uninterrupted: {reference[0]}, sha256 {reference[1][:16]}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
