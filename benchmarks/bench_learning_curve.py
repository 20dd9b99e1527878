"""How far is the NNP from the 0.03 eV test RMSE goal, and is it the labels or the model?

    .venv/bin/python benchmarks/bench_learning_curve.py                       # ~6 min on 2 cores
    .venv/bin/python benchmarks/bench_learning_curve.py --sizes 225,450 --force-weight 0
    .venv/bin/python benchmarks/bench_learning_curve.py --sizes 2698,all --force-weight 1 \
        --test-ids-below 1000000       # the 200 test points of the data before step 10

A measurement of the shipped data (``landscape/data/reference/chgnet-cu-a-Ta2O5.db``), not of
speed. On the uniform points of ``--sample`` (a-Ta2O5-1a; the targeted points at network sites and
saddles are left out, so every size draws from one distribution):

1. **Label smoothness.** :func:`landscape.reference.quality.pair_consistency` over pairs of points
   closer than 0.15 / 0.2 / 0.3 Å, split by how far the insertion moved the host (largest host
   displacement <= 0.3 Å, <= 0.6 Å, any). The RMS trapezoid residual of a pair is about sqrt(2)
   times the labels' own non-smooth part, so it bounds from below what any smooth model can reach
   on such points.
2. **Learning curve.** A fixed test set of ``--n-test`` points (drawn with ``--test-seed``, 0;
   with ``--test-ids-below ID`` only from points with smaller ids, so that adding points under
   higher ids keeps the test set) and training subsets of ``--sizes`` drawn from the rest (seed
   100); the demo's members (5 x 48-48 tanh, or ``--hidden``; at most ``--max-epochs`` Adam
   epochs; without the points whose host moved by more than 0.6 Å) trained with each
   ``--force-weight`` (initialised with ``--random-state``). Test RMSE and MAE on all test
   points and on those whose host moved by <= 0.6 / <= 0.3 Å, and the power law ``RMSE ~ N^-b``
   through the two largest sizes, extrapolated to 0.03 eV.

Prints tables; ``--json PATH`` also writes every figure.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).parents[1]
SHIPPED = ROOT / "landscape" / "data" / "reference" / "chgnet-cu-a-Ta2O5.db"
GOAL = 0.03  # eV, the held-out test RMSE goal


def masked_scores(model, test_set, masks: dict) -> tuple[dict, dict]:
    """RMSE and MAE (eV) of ``model`` on the points of ``test_set`` each boolean mask selects."""
    scores = {k: model.score(test_set.subset(m))["all"] for k, m in masks.items()}
    return {k: sc["rmse"] for k, sc in scores.items()}, {k: sc["mae"] for k, sc in scores.items()}


def score_header(lead: str, masks: dict, width: int) -> str:
    """A table header: ``lead``, then one RMSE and one MAE column per mask, ``width`` wide."""
    rmse = " ".join(f"{'RMSE ' + k:>{width}}" for k in masks)
    return f"{lead}{rmse} " + " ".join(f"{'MAE ' + k:>{width}}" for k in masks)


def main(argv: list[str] | None = None) -> int:
    from landscape._cli.nnp import _parse_hidden
    from landscape.errors import InputError
    from landscape.nnp import SimplifiedNNP
    from landscape.reference.dataset import load_dataset
    from landscape.reference.quality import pair_consistency

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", type=Path, default=SHIPPED)
    ap.add_argument("--sample", default="a-Ta2O5-1a")
    ap.add_argument(
        "--sizes", default="225,450,900,all", help="training-set sizes ('all': the rest)"
    )
    ap.add_argument("--force-weight", default="0,1", help="comma-separated force weights")
    ap.add_argument("--n-test", type=int, default=200)
    ap.add_argument(
        "--test-seed", type=int, default=0, help="seed of the test set's draw (0: the set quoted)"
    )
    ap.add_argument(
        "--test-ids-below",
        type=int,
        default=None,
        help="draw the test points only from point ids below this (keeps the test set of an "
        "earlier, smaller data set when uniform points are added under higher ids)",
    )
    ap.add_argument(
        "--hidden", default="48,48", help="hidden layer widths of each member (the demo's: 48,48)"
    )
    ap.add_argument(
        "--max-epochs",
        type=int,
        default=400,
        help="Adam epochs at most per member (400: README's figures unless they name another; "
        "the demo's: 800)",
    )
    ap.add_argument(
        "--random-state", type=int, default=0, help="seed of the members' initialisation"
    )
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    try:
        hidden = _parse_hidden(args.hidden)
    except InputError as exc:
        raise SystemExit(str(exc)) from None
    try:
        weights = [float(w) for w in args.force_weight.split(",")]
    except ValueError:
        raise SystemExit(
            f"--force-weight: expected comma-separated numbers, got {args.force_weight!r}"
        ) from None

    def members(force_weight: float) -> SimplifiedNNP:
        return SimplifiedNNP(hidden=hidden, n_models=5, max_host_displacement=0.6,
                             test_fraction=0.02, force_weight=force_weight,
                             max_epochs=args.max_epochs, random_state=args.random_state)  # fmt: skip

    try:  # the model's own checks of its settings, before any work
        for w in weights:
            members(w)._validate_params()
    except InputError as exc:
        raise SystemExit(str(exc)) from None

    ds = load_dataset(args.db, [args.sample])
    if ds.max_displacement is None:
        raise SystemExit("the data set has no host displacements; expected the shipped data's rows")
    uniform = (
        np.flatnonzero(ds.origin != "network") if ds.origin is not None else np.arange(len(ds))
    )
    md = ds.max_displacement
    print(f"{args.sample}: {len(uniform)} uniform converged points (of {len(ds)})")
    out: dict = {
        "sample": args.sample,
        "n_uniform": int(len(uniform)),
        "hidden": list(hidden),
        "max_epochs": args.max_epochs,
        "random_state": args.random_state,
        "test_seed": args.test_seed,
        "consistency": [],
        "curve": [],
    }

    print("\nlabel smoothness: RMS trapezoid residual over close pairs (eV)")
    print(f"{'host moved':>12} {'pairs < 0.15 Å':>16} {'pairs < 0.2 Å':>16} {'pairs < 0.3 Å':>16}")
    for limit in (0.3, 0.6, None):
        sel = uniform if limit is None else uniform[md[uniform] <= limit]
        cells = []
        for dmax in (0.15, 0.2, 0.3):
            c = pair_consistency(ds.subset(sel), max_distance=dmax)["all"]
            out["consistency"].append({"host_limit_A": limit, "max_distance_A": dmax, **c})
            res = c["rms_residual_eV"]
            cells.append(f"{res:.4f} ({c['pairs']:>3})" if res is not None else "-")
        label = "any" if limit is None else f"<= {limit} Å"
        print(f"{label:>12} " + " ".join(f"{c:>16}" for c in cells))

    rng = np.random.default_rng(args.test_seed)
    candidates = uniform
    if args.test_ids_below is not None:
        candidates = uniform[ds.point_ids[uniform] < args.test_ids_below]
        if len(candidates) < args.n_test:
            raise SystemExit(
                f"only {len(candidates)} uniform points have ids below {args.test_ids_below}; "
                f"expected at least --n-test {args.n_test}"
            )
    perm = candidates[rng.permutation(len(candidates))]
    test = np.sort(perm[: args.n_test])
    pool = np.concatenate([perm[args.n_test :], np.setdiff1d(uniform, candidates)])
    test_set = ds.subset(test)
    masks = {"all": np.ones(len(test), bool), "<=0.6": md[test] <= 0.6, "<=0.3": md[test] <= 0.3}
    sizes = [len(pool) if s == "all" else int(s) for s in args.sizes.split(",")]
    if max(sizes) > len(pool):
        raise SystemExit(
            f"largest size {max(sizes)} exceeds the {len(pool)} points left for training"
        )
    print(
        f"\ntest set: {len(test)} points ({int(masks['<=0.6'].sum())} with the host moved <= 0.6 Å, "
        f"{int(masks['<=0.3'].sum())} <= 0.3 Å); training subsets from the other {len(pool)}"
    )
    print(score_header(f"{'force_weight':>12} {'N':>6} {'fit (s)':>8} ", masks, 12))
    draw = np.random.default_rng(100).permutation(pool)
    for w in weights:
        for n in sizes:
            t0 = time.perf_counter()
            model = members(w).fit(ds.subset(np.sort(draw[:n])))
            dt = time.perf_counter() - t0
            rmse, mae = masked_scores(model, test_set, masks)
            mae = {f"mae {k}": v for k, v in mae.items()}
            out["curve"].append({"force_weight": w, "n": n, "fit_s": dt, **rmse, **mae})
            print(
                f"{w:>12g} {n:>6} {dt:>8.1f} "
                + " ".join(f"{v:>12.4f}" for v in [*rmse.values(), *mae.values()]),
                flush=True,
            )
        rows = sorted((r for r in out["curve"] if r["force_weight"] == w), key=lambda r: r["n"])
        if len(rows) >= 2:
            a, b = rows[-2], rows[-1]
            for k in masks:
                slope = math.log(b[k] / a[k]) / math.log(b["n"] / a["n"])
                need = b["n"] * (GOAL / b[k]) ** (1 / slope) if slope < 0 else math.inf
                print(f"{'':>12} RMSE {k} ~ N^{slope:+.2f}: {GOAL} eV at N ~ {need:.2g}")
                out.setdefault("extrapolation", []).append(
                    {"force_weight": w, "subset": k, "exponent": slope, "n_for_goal": need}
                )
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
