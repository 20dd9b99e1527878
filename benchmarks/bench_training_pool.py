"""What does each part of a model's training data do to its held-out points of one sample?

    .venv/bin/python benchmarks/bench_training_pool.py results/cache/nnp-<hash>.json
    .venv/bin/python benchmarks/bench_training_pool.py MODEL --pools sample,all-w1 --max-epochs 2

A measurement of the shipped data, not of speed. MODEL is a saved ``SimplifiedNNP`` (the demo's is
``results/cache/nnp-<hash>.json`` after ``make demo``); its held-out test points of ``--sample``
(a-Ta2O5-1a) are the yardstick. Members with MODEL's settings (width, epochs, force weight, host
displacement limit; ``--hidden`` / ``--max-epochs`` override) are trained on parts of MODEL's
training pool (its data set less its test points), one row per ``--pools`` entry:

``sample``      the uniform points of ``--sample``;
``sample+net``  those and the targeted points of ``--sample`` (``origin = "network"``, at the
                sites and saddles of earlier networks), weighted as MODEL weighs them;
``uniform``     the uniform points of every sample MODEL was trained on;
``all-w1``      every point of the pool, targeted points weighted 1;
``all-w4``      every point, targeted points weighted 4 (the demo's recipe).

Each fit still holds out 2 % of its uniform points (``SimplifiedNNP`` always draws a test set).
Test RMSE / MAE on MODEL's test points: all, and where the host moved by <= 0.6 / <= 0.3 Å. The
reference database must be the one MODEL was trained on (its content hash is checked), so that
MODEL's test indices address the same points; ``--ids-below ID`` drops points added after MODEL
was trained (1300000: the data before step 12 of ``make reference-data``). Prints a table;
``--json PATH`` writes every figure.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from bench_learning_curve import masked_scores, score_header

ROOT = Path(__file__).parents[1]
SHIPPED = ROOT / "landscape" / "data" / "reference" / "chgnet-cu-a-Ta2O5.db"
POOLS = ("sample", "sample+net", "uniform", "all-w1", "all-w4")


def main(argv: list[str] | None = None) -> int:
    from landscape._cli.nnp import _parse_hidden
    from landscape.errors import InputError, LandscapeError
    from landscape.nnp import SimplifiedNNP
    from landscape.reference.dataset import load_dataset

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model", type=Path, help="a saved SimplifiedNNP (.json next to .safetensors)")
    ap.add_argument("--db", type=Path, default=SHIPPED)
    ap.add_argument("--sample", default="a-Ta2O5-1a")
    ap.add_argument(
        "--ids-below",
        type=int,
        default=None,
        help="use only the database's points with smaller ids (the data set of a model trained "
        "before later points were added, e.g. 1300000 for the data before step 12)",
    )
    ap.add_argument("--pools", default=",".join(POOLS), help=f"comma-separated, of {POOLS}")
    ap.add_argument("--hidden", default=None, help="hidden widths (default: the model's)")
    ap.add_argument("--max-epochs", type=int, default=None, help="(default: the model's)")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)

    pools = [p.strip() for p in args.pools.split(",") if p.strip()]
    bad = [p for p in pools if p not in POOLS]
    if bad or not pools:
        raise SystemExit(f"--pools: unknown {bad or pools}; expected some of {list(POOLS)}")
    try:
        model = SimplifiedNNP.load(args.model)
        params = dict(model.get_params())
        if args.hidden is not None:
            params["hidden"] = _parse_hidden(args.hidden)
        if args.max_epochs is not None:
            params["max_epochs"] = args.max_epochs
        # the pool is already what MODEL trained on; each fit still draws a held-out set of its
        # own (SimplifiedNNP always does): 2 %, so that little of the pool is lost to it
        params.update(verbose=False, test_fraction=0.02)
        SimplifiedNNP(**params)._validate_params()
        trained_on = list(model.data_info_["sample_ids"])
        if args.sample not in trained_on:
            raise SystemExit(f"--sample {args.sample!r} is not one of the model's {trained_on}")
        ds = load_dataset(args.db, trained_on)
        if args.ids_below is not None:
            ds = ds.subset(ds.point_ids < args.ids_below)
    except LandscapeError as exc:
        raise SystemExit(str(exc)) from None
    if ds.content_hash() != model.data_hash_:
        below = "" if args.ids_below is None else f" (ids below {args.ids_below})"
        raise SystemExit(
            f"{args.db}{below} is not the data set {args.model} was trained on (content hash "
            "differs); expected the database of that training, or --ids-below to drop later points"
        )
    if ds.max_displacement is None or ds.origin is None:
        raise SystemExit("the data set has no host displacements or origins; expected shipped rows")

    test = np.asarray(model.test_index_, dtype=int)
    pool = np.ones(len(ds), bool)
    pool[test] = False
    own = ds.sample_ids == args.sample
    uniform = ds.origin != "network"
    test = test[own[test]]
    md = ds.max_displacement
    masks = {"all": np.ones(len(test), bool), "<=0.6": md[test] <= 0.6, "<=0.3": md[test] <= 0.3}
    test_set = ds.subset(test)
    weight = float(params.get("network_weight", 1.0))
    plans = {
        "sample": (pool & own & uniform, weight),
        "sample+net": (pool & own, weight),
        "uniform": (pool & uniform, weight),
        "all-w1": (pool, 1.0),
        "all-w4": (pool, 4.0),
    }
    print(
        f"{args.model.name}: {len(test)} test points of {args.sample} "
        + ", ".join(f"{int(m.sum())} {k}" for k, m in masks.items())
        + f"; members {list(params['hidden'])}, {params['max_epochs']} epochs, "
        f"force_weight {params.get('force_weight', 0)}"
    )
    print(score_header(f"{'pool':>11} {'N':>6} {'fit (s)':>8} ", masks, 11))
    out: dict = {
        "model": str(args.model),
        "sample": args.sample,
        "n_test": {k: int(m.sum()) for k, m in masks.items()},
        "params": {k: v for k, v in params.items() if k != "descriptor"},
        "rows": [],
    }
    for name in pools:
        sel, w = plans[name]
        members = SimplifiedNNP(**{**params, "network_weight": w})
        t0 = time.perf_counter()
        try:
            members.fit(ds.subset(np.flatnonzero(sel)))
        except InputError as exc:
            raise SystemExit(f"pool {name!r}: {exc}") from None
        dt = time.perf_counter() - t0
        rmse, mae = masked_scores(members, test_set, masks)
        row = {"pool": name, "n": int(sel.sum()), "network_weight": w, "fit_s": dt}
        row.update({f"rmse {k}": v for k, v in rmse.items()})
        row.update({f"mae {k}": v for k, v in mae.items()})
        out["rows"].append(row)
        vals = [*rmse.values(), *mae.values()]
        print(
            f"{name:>11} {int(sel.sum()):>6} {dt:>8.1f} " + " ".join(f"{v:>11.4f}" for v in vals),
            flush=True,
        )
    if args.json:
        args.json.write_text(json.dumps(out, indent=1, default=list))
    return 0


if __name__ == "__main__":
    sys.exit(main())
