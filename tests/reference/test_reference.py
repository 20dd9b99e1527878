"""Reference machinery with a cheap Lennard-Jones calculator: points, relaxation, resumable runs."""

from __future__ import annotations

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk
from ase.calculators.calculator import all_changes
from ase.calculators.lj import LennardJones
from ase.db import connect

from landscape.errors import InputError
from landscape.reference import (
    Execution,
    InsertionPoints,
    Relaxation,
    check_points,
    grid_points,
    load_dataset,
    merge_databases,
    random_points,
    relax_insertion,
    run_reference,
)
from landscape.reference.points import distance_to_host

LJ = "ase.calculators.lj:LennardJones"
LJ_KW = {"sigma": 2.0, "epsilon": 0.05, "rc": 4.5, "smooth": True}


A = 2.0 * 2 ** (1 / 6) * 2**0.5  # fcc lattice constant at the LJ pair minimum (sigma 2 Å)


def small_host() -> Atoms:
    """8 Ar atoms, fcc (2 x 1 x 1 cubic cells), slightly rattled: the host relaxes smoothly."""
    host = bulk("Ar", "fcc", a=A, cubic=True) * (2, 1, 1)
    host.rattle(0.02, seed=1)
    host.info["sample_id"] = "lj-host"
    return host


# ------------------------------------------------------------------------- points


def test_random_points_keep_distance_and_are_prefix_stable():
    host = small_host()
    pts = random_points(host, 12, seed=5, min_distance=1.2)
    d, _ = distance_to_host(host, pts)
    assert np.all(d >= 1.2)
    np.testing.assert_array_equal(random_points(host, 5, seed=5, min_distance=1.2), pts[:5])
    assert not np.allclose(random_points(host, 5, seed=6, min_distance=1.2), pts[:5])


def test_distance_to_host_is_periodic():
    host = small_host()
    p = host.positions[3] + np.asarray(host.cell).sum(axis=0) + [0.3, 0.0, 0.4]
    d, i = distance_to_host(host, p[None])
    assert i[0] == 3
    assert d[0] == pytest.approx(0.5, abs=1e-12)


def test_grid_points_spacing_and_exclusion():
    host = small_host()
    pts = grid_points(host, 0.5, min_distance=1.0)
    assert len(pts) > 0
    assert np.all(distance_to_host(host, pts)[0] >= 1.0)
    all_pts = grid_points(host, 0.5, min_distance=0.0)
    n = np.ceil(host.cell.lengths() / 0.5).astype(int)
    assert len(all_pts) == n.prod()
    steps = np.diff(np.unique(np.round(all_pts[:, 0], 9)))
    assert np.all(steps <= 0.5 + 1e-12)


def test_point_inside_host_atom_is_one_line_error():
    host = small_host()
    with pytest.raises(InputError, match="inside host atom 2") as err:
        check_points(host, [[A / 2, A / 2, A / 2], host.positions[2] + 0.1], min_distance=1.0)
    assert "\n" not in str(err.value)
    with pytest.raises(InputError, match="shape"):
        check_points(host, np.zeros((2, 2)))


# ------------------------------------------------------------------------- relaxation


def test_relax_insertion_fixes_mobile_atom_and_reaches_fmax():
    host = small_host()
    pos = np.array([A / 2, A / 2, A / 2])  # octahedral interstice
    res = relax_insertion(host, pos, LennardJones(**LJ_KW), species="Ar", fmax=0.01)
    assert res["converged"] and res["fmax"] <= 0.01
    np.testing.assert_allclose(res["position"], pos, atol=1e-12)
    assert res["max_displacement"] > 0.05  # the host did relax
    # the energy is the calculator's energy of a configuration with these forces
    assert np.isfinite(res["energy"]) and res["steps"] > 0


def test_relaxation_radius_freezes_far_atoms():
    host = bulk("Ar", "sc", a=3.0) * (3, 3, 3)
    host.rattle(0.05, seed=2)
    pos = host.positions[0] + [1.5, 1.5, 1.5]
    calc = LennardJones(**LJ_KW)
    from ase.geometry import find_mic

    d = np.linalg.norm(find_mic(host.positions - pos, host.cell, True)[0], axis=1)
    res = relax_insertion(host, pos, calc, species="Ar", fmax=0.02, relax_radius=2.7)
    assert res["converged"]
    # rerun to get positions: freeze check through max_displacement of a run with tiny radius
    tiny = relax_insertion(host, pos, calc, species="Ar", fmax=0.02, relax_radius=0.1)
    assert tiny["max_displacement"] == 0.0 and tiny["steps"] == 0
    assert np.any(d <= 2.7) and np.any(d > 2.7)


# ------------------------------------------------------------------------- runs


def _run(db, n, fmax=0.02, *, first_id=0, origin=None, optimizer="BFGS", **execution):
    return run_reference(
        small_host(),
        db,
        InsertionPoints(n_points=n, seed=11, min_distance=1.2, first_id=first_id, origin=origin),
        calculator=LJ,
        calculator_kwargs=LJ_KW,
        species="Ar",
        relaxation=Relaxation(fmax=fmax, optimizer=optimizer),
        execution=Execution(**execution),
    )


def test_run_writes_contract_rows_and_resumes_without_duplicates(tmp_path):
    db_path = tmp_path / "ref.db"
    s1 = _run(db_path, 3)
    assert (s1.done, s1.failed, s1.skipped) == (3, 0, 0)
    s2 = _run(db_path, 5)
    assert (s2.done, s2.skipped) == (2, 3)
    db = connect(str(db_path))
    hosts = list(db.select(kind="host"))
    assert len(hosts) == 1  # e_host computed once
    rows = list(db.select(kind="point"))
    assert sorted(r.point_id for r in rows) == [0, 1, 2, 3, 4]
    for r in rows:
        assert r.natoms == 1 and r.symbols == ["Ar"]
        assert r.e_insert == pytest.approx(r.energy - hosts[0].e_host, abs=1e-12)
        assert r.e_host == hosts[0].e_host
        assert r.converged and r.relax_fmax <= 0.02
        assert r.calculator_label == LJ and r.target_fmax == 0.02 and r.optimizer == "BFGS"
        assert '"sigma": 2.0' in r.calculator_params
        frac = r.positions[0] @ np.linalg.inv(np.asarray(r.cell))
        assert np.all((frac >= 0) & (frac < 1))
    pts = random_points(small_host(), 5, seed=11, min_distance=1.2)
    for r in rows:
        np.testing.assert_allclose(r.positions[0], pts[r.point_id], atol=1e-9)
    ds = load_dataset(db_path)
    assert len(ds) == 5 and ds.species == "Ar"
    # the relaxed host alone has e_host: re-evaluate it
    h = hosts[0].toatoms()
    h.calc = LennardJones(**LJ_KW)
    assert h.get_potential_energy() == pytest.approx(hosts[0].e_host, abs=1e-10)
    assert np.linalg.norm(h.get_forces(), axis=1).max() <= 0.02


def test_two_point_sets_share_one_database_through_first_id(tmp_path):
    db_path = tmp_path / "ref.db"
    _run(db_path, 2)
    points = InsertionPoints(n_points=3, min_distance=1.0, seed=12, first_id=1000)
    kw = dict(
        calculator=LJ, calculator_kwargs=LJ_KW, species="Ar", relaxation=Relaxation(fmax=0.02)
    )
    s = run_reference(small_host(), db_path, points, **kw)
    assert (s.done, s.skipped) == (3, 0)
    again = run_reference(small_host(), db_path, points, **kw)
    assert (again.done, again.skipped) == (0, 3)  # resumed, nothing written twice
    rows = {r.point_id: r for r in connect(str(db_path)).select(kind="point")}
    assert sorted(rows) == [0, 1, 1000, 1001, 1002]
    assert rows[1000].seed == 12 and rows[1000].min_distance == 1.0 and rows[0].min_distance == 1.2
    pts = random_points(small_host(), 3, seed=12, min_distance=1.0)
    np.testing.assert_allclose(rows[1002].positions[0], pts[2], atol=1e-9)
    with pytest.raises(InputError, match="first_id"):
        _run(db_path, 1, first_id=-1)


def test_pool_batched_and_dask_give_the_serial_energies(tmp_path):
    # paths differ at round-off, so each stops somewhere inside |F| < fmax: the energies agree
    # to about fmax^2 / (2 k) ~ 1e-7 eV at fmax = 1e-3 eV/Å
    serial = _run(tmp_path / "a.db", 4, fmax=1e-3)
    assert serial.done == 4
    _run(tmp_path / "b.db", 4, fmax=1e-3, workers=2)
    _run(tmp_path / "c.db", 4, fmax=1e-3, batch=3)
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        _run(tmp_path / "d.db", 4, fmax=1e-3, scheduler=client)
    ref = {r.point_id: r.e_insert for r in connect(str(tmp_path / "a.db")).select(kind="point")}
    for name in ("b.db", "c.db", "d.db"):
        got = {r.point_id: r.e_insert for r in connect(str(tmp_path / name)).select(kind="point")}
        assert got.keys() == ref.keys()
        for k in ref:
            assert got[k] == pytest.approx(ref[k], abs=1e-5), name


class FlakyLJ(LennardJones):
    """LJ that raises, or returns NaN, when the last atom is in the lower / upper x slab."""

    flaky = True

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        if not self.flaky:
            return
        x = self.atoms.positions[-1, 0] % (2 * A)
        if len(self.atoms) == 9 and x < 1.0:
            raise RuntimeError("SCF did not converge\nsecond line")
        if len(self.atoms) == 9 and x > 1.7 * A:
            self.results["energy"] = float("nan")


def test_failed_points_are_recorded_and_do_not_stop_the_others(tmp_path):
    host = small_host()
    pts = np.array(
        [[0, A / 2, 0], [1.75 * A, A / 4, A / 4], [A / 2, 0, 0], [1.5 * A, A / 2, A / 2]]
    )
    given = InsertionPoints(positions=pts, min_distance=1.0)
    kw = dict(species="Ar", relaxation=Relaxation(fmax=0.02))
    s = run_reference(host, tmp_path / "f.db", given, calculator=FlakyLJ(**LJ_KW), **kw)
    assert (s.done, s.failed) == (2, 2)
    rows = {r.point_id: r for r in connect(str(tmp_path / "f.db")).select(kind="point")}
    assert rows[0].status == "failed" and rows[0].error == "RuntimeError: SCF did not converge"
    assert rows[1].status == "failed" and "non-finite" in rows[1].error
    assert rows[2].status == "ok" and rows[3].status == "ok"
    assert len(load_dataset(tmp_path / "f.db")) == 2
    # a plain resume skips failed points; retry_failed computes them again and replaces the rows
    calc = FlakyLJ(**LJ_KW)
    assert run_reference(host, tmp_path / "f.db", given, calculator=calc, **kw).skipped == 4
    calc.flaky = False
    s = run_reference(host, tmp_path / "f.db", given, calculator=calc, retry_failed=True, **kw)
    assert (s.done, s.failed, s.skipped) == (2, 0, 2)
    rows = list(connect(str(tmp_path / "f.db")).select(kind="point"))
    assert sorted(r.point_id for r in rows) == [0, 1, 2, 3]
    assert all(r.status == "ok" for r in rows)


def test_bad_run_parameters(tmp_path):
    with pytest.raises(InputError, match="exactly one"):
        run_reference(small_host(), tmp_path / "x.db", InsertionPoints(), calculator=LJ)
    with pytest.raises(InputError, match="unknown optimiser"):
        _run(tmp_path / "x.db", 1, optimizer="newton")
    with pytest.raises(InputError, match="unknown calculator 'vasp-magic'"):
        run_reference(
            small_host(), tmp_path / "y.db", InsertionPoints(n_points=1), calculator="vasp-magic"
        )
    with pytest.raises(InputError, match="a calculator object runs only in this process"):
        run_reference(
            small_host(),
            tmp_path / "z.db",
            InsertionPoints(n_points=1, min_distance=1.2),
            calculator=LennardJones(**LJ_KW),
            species="Ar",
            execution=Execution(workers=2),
        )
    assert not (tmp_path / "z.db").exists()  # refused before the database is created


def test_merge_never_duplicates_and_refuses_other_host_energy(tmp_path):
    _run(tmp_path / "a.db", 3)
    import shutil

    shutil.copy(tmp_path / "a.db", tmp_path / "b.db")
    _run(tmp_path / "b.db", 5)  # b = a + points 3, 4
    counts = merge_databases([tmp_path / "a.db", tmp_path / "b.db"], tmp_path / "m.db")
    assert counts == {"hosts": 1, "points": 5, "skipped": 3}
    ids = [r.point_id for r in connect(str(tmp_path / "m.db")).select(kind="point")]
    assert sorted(ids) == [0, 1, 2, 3, 4]
    other = connect(str(tmp_path / "a.db"))
    hid = next(other.select(kind="host")).id
    other.update(hid, e_host=-1.0)
    with pytest.raises(InputError, match="cannot merge"):
        merge_databases([tmp_path / "a.db"], tmp_path / "m.db")


def test_cli_reference_run_and_info(tmp_path):
    import ase.io
    from typer.testing import CliRunner

    from landscape.cli import app

    ase.io.write(str(tmp_path / "host.extxyz"), small_host())
    args = [
        "reference",
        "run",
        str(tmp_path / "host.extxyz"),
        "--points",
        "2",
        "--db",
        str(tmp_path / "r.db"),
        "--calculator",
        LJ,
        "--calculator-kwargs",
        '{"sigma": 2.0, "epsilon": 0.05, "rc": 4.5, "smooth": true}',
        "--species",
        "Ar",
        "--min-distance",
        "1.2",
        "--fmax",
        "0.02",
    ]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "2 done, 0 failed" in res.output
    res = CliRunner().invoke(app, ["reference", "info", str(tmp_path / "r.db")])
    assert res.exit_code == 0 and "host: 2 points (2 ok" in res.output


def _torch_threads() -> int:
    import torch

    return torch.get_num_threads()


def _blas_threads() -> list[int]:
    """Threads of every BLAS library loaded in this process (numpy's OpenBLAS at least)."""
    import numpy as np  # noqa: F401  (loads numpy's BLAS library)
    import scipy.linalg  # noqa: F401  (and scipy's)
    from threadpoolctl import threadpool_info

    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


def test_local_workers_share_the_cores(monkeypatch) -> None:
    """Each worker process runs cores // workers torch threads (at least one): oversubscribed
    workers made CHGNet relaxations 8x slower on 2 cores."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    from landscape.reference import worker

    monkeypatch.setattr(worker.os, "cpu_count", lambda: 8)
    assert [worker.worker_threads(w) for w in (1, 2, 3, 8, 16)] == [8, 4, 2, 1, 1]
    ctx = mp.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=ctx, initializer=worker.init_worker,
                             initargs=(1,)) as pool:  # fmt: skip
        assert pool.submit(_torch_threads).result() == 1
        # and one BLAS thread: ASE's BFGS diagonalises its Hessian with it every step
        blas = pool.submit(_blas_threads).result()
        assert blas and set(blas) == {1}, blas


def _tiny_network(host: Atoms, sample_id: str):
    """Two sites and one hop (both directions) at free points of ``host``: what network_points reads."""
    import networkx as nx

    p = random_points(host, 3, seed=5, min_distance=1.2)
    G = nx.MultiDiGraph(cell=np.asarray(host.cell).tolist(), sample_id=sample_id)
    G.add_node(0, position=p[0].tolist(), energy=-0.2)
    G.add_node(1, position=p[1].tolist(), energy=-0.1)
    G.add_edge(0, 1, shift=[0, 0, 0], saddle=p[2].tolist(), barrier=0.3)
    G.add_edge(1, 0, shift=[0, 0, 0], saddle=p[2].tolist(), barrier=0.2)
    return G, p


def test_network_points_run_records_origin_and_are_never_tested_on(tmp_path):
    import json

    import ase.io
    import networkx as nx
    from typer.testing import CliRunner

    from landscape.cli import app
    from landscape.nnp import SimplifiedNNP

    host = small_host()
    ase.io.write(str(tmp_path / "host.extxyz"), host)
    G, p = _tiny_network(host, "lj-host")
    net = tmp_path / "net.json"
    net.write_text(json.dumps(nx.node_link_data(G, edges="edges")))
    db = tmp_path / "r.db"
    common = ["--db", str(db), "--calculator", LJ, "--calculator-kwargs", json.dumps(LJ_KW),
              "--species", "Kr", "--fmax", "0.02"]  # fmt: skip
    host_file = str(tmp_path / "host.extxyz")
    res = CliRunner().invoke(
        app, ["reference", "run", host_file, "--network", str(net), "--first-id", "500", *common]
    )
    assert res.exit_code == 0, res.output
    assert "3 done, 0 failed" in res.output
    rows = {r.point_id: r for r in connect(str(db)).select(kind="point")}
    assert sorted(rows) == [500, 501, 502] and {r.origin for r in rows.values()} == {"network"}
    again = CliRunner().invoke(
        app, ["reference", "run", host_file, "--network", str(net), "--first-id", "500", *common]
    )  # resumed: the same positions under the same ids, nothing to compute
    assert again.exit_code == 0 and "0 done, 0 failed, 3 already present of 3" in again.output
    assert "per point" not in again.output
    for k in range(3):  # sites first, then the saddle
        np.testing.assert_allclose(rows[500 + k].positions[0], p[k], atol=1e-9)
    s = run_reference(
        host,
        db,
        InsertionPoints(n_points=12, seed=11, min_distance=1.2),
        calculator=LJ,
        calculator_kwargs=LJ_KW,
        species="Kr",
        relaxation=Relaxation(fmax=0.02),
    )  # random points beside them
    assert s.done == 12
    ds = load_dataset(db)
    assert sorted(ds.origin[ds.point_ids >= 500]) == ["network"] * 3
    assert set(ds.origin[ds.point_ids < 500]) == {"random"}
    assert len(load_dataset(db, origins=["random"])) == 12
    res = CliRunner().invoke(app, ["reference", "info", str(db)])
    assert (
        "lj-host: 15 points (15 ok, 0 failed, 15 converged); by origin: network 3, random 12"
        in (res.output)
    )
    assert sorted(load_dataset(db, origins=["network"]).point_ids) == [500, 501, 502]
    with pytest.raises(InputError, match="unknown point origins"):
        load_dataset(db, origins=["networks"])
    # a resumed run must ask for the points stored under its ids
    moved = _tiny_network(host, "lj-host")[0]
    moved.nodes[1]["position"] = (np.asarray(p[1]) + 0.1).tolist()
    net2 = tmp_path / "net2.json"
    net2.write_text(json.dumps(nx.node_link_data(moved, edges="edges")))
    res = CliRunner().invoke(
        app, ["reference", "run", host_file, "--network", str(net2), "--first-id", "500", *common]
    )
    assert "point_id 501 of 'lj-host' is stored at" in str(res.exception)
    # the held-out test set is drawn from the random points only, the same ones as without the
    # network points
    kw = dict(hidden=(4,), n_models=1, max_epochs=5, lbfgs_steps=0, test_fraction=0.25,
              random_state=3, verbose=False)  # fmt: skip
    m = SimplifiedNNP(**kw).fit(ds)
    alone = SimplifiedNNP(**kw).fit(ds.subset(ds.point_ids < 500))
    tested = set(ds.point_ids[m.test_index_])
    assert tested == set(ds.subset(ds.point_ids < 500).point_ids[alone.test_index_])
    assert len(tested) == 3 and not tested & {500, 501, 502}
    # bad input: one line, nothing written
    for bad, msg in [
        (["--network", str(net), "--points", "2"], "exactly one of --points N or --network"),
        ([], "exactly one of --points N or --network"),
    ]:
        res = CliRunner().invoke(app, ["reference", "run", host_file, *bad, *common])
        assert res.exit_code != 0 and msg in str(res.exception)
    G.graph["sample_id"] = "other"
    net.write_text(json.dumps(nx.node_link_data(G, edges="edges")))
    res = CliRunner().invoke(app, ["reference", "run", host_file, "--network", str(net), *common])
    assert "is of sample 'other', not 'lj-host'" in str(res.exception)
    assert len(list(connect(str(db)).select(kind="point"))) == 15
    with pytest.raises(InputError, match="origin must be one of"):
        _run(tmp_path / "x.db", 1, origin="nope")


def test_dataset_order_does_not_depend_on_the_order_rows_were_written(tmp_path):
    """Parallel workers write points in the order they finish: the data set (and so the NNP's
    split and batches) comes in (sample id, point id) order whatever that order was."""
    from tests.helpers.morse import random_host, write_morse_db

    written = write_morse_db(tmp_path / "a.db", [random_host(1), random_host(2)], [6, 5])
    shuffled = tmp_path / "b.db"
    with connect(written) as src, connect(shuffled, append=False) as dst:
        rows = list(src.select())
        hosts = [r for r in rows if r.kind == "host"]
        points = [r for r in rows if r.kind == "point"]
        order = np.random.default_rng(3).permutation(len(points))
        for r in hosts[::-1] + [points[i] for i in order]:
            dst.write(r.toatoms(), key_value_pairs=r.key_value_pairs, data=r.data)
    a, b = load_dataset(written), load_dataset(shuffled)
    keys = list(zip(b.sample_ids.tolist(), b.point_ids.tolist(), strict=True))
    assert keys == sorted(keys) and len(keys) == 11
    for name in ("sample_ids", "point_ids", "positions", "e_insert", "origin"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


def test_reference_info_reports_how_far_insertions_moved_the_host(tmp_path, capsys):
    """dataset_info (and ``landscape reference info``) give the median and 90th percentile of each
    point's largest host displacement and the share above 0.6 Å: the numbers that tell whether a
    host rearranges when the mobile atom goes in."""
    from landscape._cli.reference import _echo_samples
    from landscape.reference.importer import dataset_info

    db_path = tmp_path / "ref.db"
    _run(db_path, 5)
    with connect(db_path) as db:
        disp = np.array([r.max_displacement for r in db.select(kind="point")])
    d = dataset_info(db_path)["samples"]["lj-host"]
    assert d["host_displacement_median"] == pytest.approx(np.median(disp), abs=1e-12)
    assert d["host_displacement_p90"] == pytest.approx(np.percentile(disp, 90), abs=1e-12)
    assert d["rearranged_fraction"] == pytest.approx(np.mean(disp > 0.6), abs=1e-12)
    assert 0 < d["host_displacement_median"] <= d["host_displacement_p90"]
    _echo_samples(dataset_info(db_path))
    assert f"median {np.median(disp):.2f} Å" in capsys.readouterr().out
