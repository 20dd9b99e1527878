"""Does annealing the host with the reference calculator make the relaxed insertion energy smoother?

    .venv/bin/python benchmarks/bench_annealing.py            # compare (about 2 min on 1 core)
    .venv/bin/python benchmarks/bench_annealing.py --make     # regenerate the annealed data (~45 min)
    .venv/bin/python benchmarks/bench_annealing.py --learning-curve 150,300,600   # test RMSE vs size

The bundled a-Ta2O5-1 was melt-quenched with a cheap pair potential and only relaxed with CHGNet. Its
annealed twin, the bundled a-Ta2O5-1a, was made by (``scripts/make_samples.sh``)::

    landscape sample anneal a-Ta2O5-1 a-Ta2O5-1a.extxyz --sample-id a-Ta2O5-1a \\
        --anneal-steps 2000 --cool-steps 2000          # 4 ps at 1500 K, 4 ps to 300 K, 2 fs steps

The shipped reference data (``landscape/data/reference/chgnet-cu-a-Ta2O5.db``) is computed on the
annealed samples; the data of the first release, on the melt-quenched samples by the same protocol
(``--seed 0 --min-distance 1.6 --relax-radius 5 --fmax 0.05``), is kept here as
``annealing/chgnet-cu-a-Ta2O5-quenched.db``. For both
hosts the script compares, on the first ``--n`` points of that protocol (``point_id < n``):

1. the largest host displacement on insertion (rearrangements move atoms by more than 0.6 Å);
2. 40 pairs 0.15 Å apart (the first 40 points and a copy of each moved by 0.15 Å in a random
   direction, ``pairs-*.db``): energy differences against the trapezoid rule on the forces
   (:mod:`landscape.reference.quality`); a smooth surface misses by a few meV at this distance;
3. the NNP's 5-fold cross-validated RMSE on the same number of points, also relative to the spread.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent / "annealing"
ROOT = Path(__file__).parents[1]
SHIPPED = ROOT / "landscape" / "data" / "reference" / "chgnet-cu-a-Ta2O5.db"
HOSTS = {
    "original": ("a-Ta2O5-1", HERE / "chgnet-cu-a-Ta2O5-quenched.db", HERE / "pairs-original.db"),
    "annealed": ("a-Ta2O5-1a", SHIPPED, HERE / "pairs-annealed.db"),
}
SETTINGS = dict(relax_radius=5.0, fmax=0.05, max_steps=300, optimizer="BFGS")  # Relaxation


def _points(db: Path, n: int):
    from landscape.reference.dataset import load_dataset

    ds = load_dataset(db, only_converged=False)
    sid = sorted(set(ds.sample_ids.tolist()) & {"a-Ta2O5-1", "a-Ta2O5-1a"})[0]
    ds = ds.subset((ds.sample_ids == sid) & (ds.point_ids < n))
    return ds.subset(np.argsort(ds.point_ids)), sid


def make(n: int) -> None:
    """Reference points (the shipped protocol) and 0.15 Å pairs on the annealed host (and pairs on
    the original)."""
    from landscape.reference import InsertionPoints, Relaxation, run_reference
    from landscape.samples import load_sample

    relaxation = Relaxation(**SETTINGS)
    source, db, _ = HOSTS["annealed"]
    run_reference(load_sample(source), db, InsertionPoints(n_points=n, seed=0, min_distance=1.6),
                  relaxation=relaxation, progress=True)  # fmt: skip
    for source, db, pairs in HOSTS.values():
        ds, _ = _points(db, 40)
        u = np.random.default_rng(42).normal(size=(len(ds), 3))
        u /= np.linalg.norm(u, axis=1)[:, None]
        given = InsertionPoints(positions=ds.positions + 0.15 * u, min_distance=1.4)
        run_reference(load_sample(source), pairs, given, relaxation=relaxation, progress=True)


def compare(n: int) -> None:
    from ase.db import connect

    from landscape.nnp import SimplifiedNNP
    from landscape.reference.dataset import load_dataset

    for name, (_, db, pairs) in HOSTS.items():
        ds, sid = _points(db, n)
        rows = {r.point_id: r for r in connect(str(db)).select(sample_id=sid, kind="point")}
        dx = np.array([rows[p].max_displacement for p in ds.point_ids])
        e_host = next(connect(str(db)).select(kind="host", sample_id=sid)).e_host
        # 0.15 Å pairs: total energies (e_host of both files equal), minimum-image vectors
        a, _ = _points(db, 40)
        b = load_dataset(pairs, only_converged=False)
        b = b.subset(np.argsort(b.point_ids))
        e_host_b = next(connect(str(pairs)).select(kind="host")).e_host
        cell = a.hosts[sid].cell.array
        d = b.positions - a.positions
        d -= np.round(d @ np.linalg.inv(cell)) @ cell
        de = (b.e_insert + e_host_b) - (a.e_insert + e_host)
        r = de + 0.5 * np.einsum("pk,pk->p", a.forces + b.forces, d)
        # NNP: 5-fold cross validation on the n points
        folds = np.array_split(np.random.default_rng(0).permutation(len(ds)), 5)
        err = []
        for k, f in enumerate(folds):
            train = np.setdiff1d(np.arange(len(ds)), f)
            model = SimplifiedNNP(n_models=3, random_state=k, patience=100, test_fraction=0.05)
            model.fit(ds.subset(train))
            pred, _ = model.predict(ds.hosts[sid], ds.positions[f])
            err.append(pred - ds.e_insert[f])
        err = np.concatenate(err)
        rmse, spread = float(np.sqrt(np.mean(err**2))), float(ds.e_insert.std())
        print(
            f"{name:9s} n={len(ds)}  e_insert spread {spread:.2f} eV | host displacement median "
            f"{np.median(dx):.2f} Å, > 0.6 Å {np.mean(dx > 0.6):.0%}, > 1 Å {np.mean(dx > 1):.0%} | "
            f"0.15 Å pairs: median |residual| {1000 * np.median(np.abs(r)):.1f} meV, "
            f"> 0.05 eV {int(np.sum(np.abs(r) > 0.05))}/{len(r)} | NNP 5-fold CV RMSE {rmse:.3f} eV "
            f"= {rmse / spread:.2f} of the spread",
            flush=True,
        )


def learning_curve(sizes: list[int], n_test: int, limit: float, hosts: list[str]) -> None:
    """Test RMSE against the number of training points, on both hosts, with and without leaving
    out the points whose host rearranged (``max_host_displacement``).

    For each host the same ``n_test`` points (drawn once, seed 7) are held out; the training sets
    are nested draws from the rest. The error is reported on all test points and on those whose
    host moved no atom farther than ``limit`` Å.
    """
    from landscape.nnp import SimplifiedNNP

    n_max = max(sizes) + n_test
    for name in hosts:
        _, db, _ = HOSTS[name]
        ds, sid = _points(db, 1600)  # the uniform >= 1.6 Å points of both hosts
        if len(ds) < n_max:
            print(
                f"{name}: only {len(ds)} points (< {n_max}); sizes above {len(ds) - n_test} left out"
            )
        rng = np.random.default_rng(7)
        order = rng.permutation(len(ds))
        test, pool = order[:n_test], order[n_test:]
        kept = ds.max_displacement[test] <= limit
        spread = float(ds.e_insert.std())
        print(
            f"{name:9s} {len(ds)} points, spread {spread:.2f} eV, host moved > {limit} Å on "
            f"{np.mean(ds.max_displacement > limit):.0%}; test {n_test} ({int(kept.sum())} kept)",
            flush=True,
        )
        for n in sizes:
            if n > len(pool):
                continue
            for mhd in (None, limit):
                model = SimplifiedNNP(hidden=(24, 24), max_epochs=800, max_host_displacement=mhd,
                                      test_fraction=0.05, random_state=0)  # fmt: skip
                model.fit(ds.subset(pool[:n]))
                pred, _ = model.predict(ds.hosts[sid], ds.positions[test])
                err = pred - ds.e_insert[test]
                rmse = float(np.sqrt(np.mean(err**2)))
                rmse_kept = float(np.sqrt(np.mean(err[kept] ** 2)))
                print(
                    f"  n_train {n:5d}  max_host_displacement {str(mhd):5s}  test RMSE all "
                    f"{rmse:.3f} eV, kept {rmse_kept:.3f} eV, median |error| "
                    f"{np.median(np.abs(err)):.3f} eV",
                    flush=True,
                )


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=150, help="points per host compared")
    ap.add_argument("--make", action="store_true", help="(re)compute the annealed data first")
    ap.add_argument(
        "--learning-curve",
        metavar="SIZES",
        help="comma-separated training sizes: test RMSE vs size on both hosts instead",
    )
    ap.add_argument("--n-test", type=int, default=150, help="held-out points (learning curve)")
    ap.add_argument("--limit", type=float, default=0.6, help="max_host_displacement, Å")
    ap.add_argument("--host", choices=[*HOSTS, "both"], default="both", help="learning curve of")
    args = ap.parse_args()
    if args.learning_curve:
        hosts = list(HOSTS) if args.host == "both" else [args.host]
        sizes = [int(v) for v in args.learning_curve.split(",")]
        learning_curve(sizes, args.n_test, args.limit, hosts)
        raise SystemExit(0)
    if args.make:
        make(args.n)
    compare(args.n)
