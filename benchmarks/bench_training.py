"""The demo's NNP ensemble trained the old way (the demo's recipe until 2026-12-05: members one after
another, float64, mini-batches of 64 at a learning rate of 0.01, 800 Adam epochs, 200 L-BFGS
steps) and the new way (the demo's: all members at once, stacked, float32, mini-batches of 512 at
0.03, its Adam epochs and L-BFGS steps), in the same run: time, held-out RMSE and their ratio.

    .venv/bin/python benchmarks/bench_training.py                  # the demo's model (~12 min, 2 cores)
    .venv/bin/python benchmarks/bench_training.py --max-epochs 40  # both ways 40 epochs (~1 min)
    .venv/bin/python benchmarks/bench_training.py --old-jobs -1    # old way in one process per core
    .venv/bin/python benchmarks/bench_training.py --seeds 3        # means of 3 random states (~40 min)

The data are the demo's: the shipped CHGNet points of the three annealed samples with the demo's
NNP settings (``landscape.study.demo.demo_config``). The symmetry functions and their Jacobians
are computed once and given to both fits (their time is printed on its own line; a fit computes
them once as well). Printed per way: training seconds, held-out test RMSE (all test points, and
those whose host moved <= 0.6 Å), the barrier MAE against CHGNet along the 270 fixed bands of
``benchmarks/validation/`` (``landscape.explore.rescore_validation``: every model on the same
paths, no CHGNet run; ``--bands ''`` skips it), and the ratio old / new. Goal: >= 10x with an
RMSE within 3 %.
``--device cuda`` trains both on a GPU. glibc's malloc is set as the ``landscape`` command sets it
(``landscape._runtime``; ``--malloc default`` leaves it alone).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

GOAL = 10.0  # x, training time old / new
OLD_EPOCHS = 800  # Adam epochs of the old way (the demo's until 2026-12-05; to the end)
OLD_LBFGS = 200  # L-BFGS steps of the old way (the default; the demo's until 2026-12-07)
BANDS = Path(__file__).with_name("validation")  # validate-hops results: CHGNet along NNP bands


def barrier_mae(model, validations: list[dict], hosts: dict) -> tuple[float, int]:
    """Barrier MAE (eV) of ``model`` along the fixed bands of ``validations`` (validate-hops
    results), over the hops that count in every one of them, and their number."""
    import numpy as np

    from landscape.explore import converged_mask, rescore_validation

    errors = []
    for v in validations:
        hops = rescore_validation(model.surface(hosts[v["sample_id"]]), v)["hops"]
        ok = converged_mask(hops)
        errors += [
            abs(h["barrier_nnp"] - h["barrier_reference"])
            for h, k in zip(hops, ok, strict=True)
            if k
        ]
    return float(np.mean(errors)), len(errors)


def machine() -> str:
    """The processor, cores and torch's kernels: the ratio depends on them (the same training
    code measured 7.4x on one 2-core machine and 10.7x on another, 2026-12-07), so every run
    names its own."""
    import os
    import platform

    import torch

    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.exists() else []
    names = [ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("model name")]
    return (
        f"{names[0] if names else platform.machine()}, {os.cpu_count()} cores, torch"
        f" {torch.__version__} ({torch.get_num_threads()} threads,"
        f" {torch.backends.cpu.get_cpu_capability()} kernels)"
    )


def main(argv: list[str] | None = None) -> int:
    import landscape.nnp.model as model_module
    from landscape.nnp import SimplifiedNNP
    from landscape.nnp.training import dataset_features
    from landscape.reference import bundled_reference_db
    from landscape.reference.dataset import load_dataset
    from landscape.study.demo import demo_config

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--max-epochs",
        type=int,
        default=None,
        help=f"Adam epochs of both ways (default: the demo's for the new, {OLD_EPOCHS} for the old)",
    )
    ap.add_argument("--old-jobs", type=int, default=1, help="processes of the old way (-1: cores)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--skip-old", action="store_true", help="train the new way only")
    ap.add_argument(
        "--seeds",
        type=int,
        default=1,
        help="train each way with this many random states (the demo's, then +1, +2 ...) and compare"
        " the means: rounding alone moves one training's test RMSE by several per cent",
    )
    ap.add_argument(
        "--bands",
        default=str(BANDS),
        help="folder of validate-hops results (JSON, any depth) whose fixed bands score every model"
        " ('' to skip)",
    )
    ap.add_argument(
        "--malloc",
        choices=("tuned", "default"),
        default="tuned",
        help="glibc's malloc as the landscape command sets it (tuned), or left alone",
    )
    args = ap.parse_args(argv)
    if args.malloc == "tuned":
        from landscape._runtime import tune_malloc

        print(f"malloc tuned as the landscape command does: {tune_malloc()}")

    print(f"machine: {machine()}")
    cfg = demo_config("results")
    nnp = cfg.nnp
    data = load_dataset(bundled_reference_db(), nnp.train_samples)
    params = dict(
        n_models=nnp.n_models,
        hidden=tuple(nnp.hidden),
        force_weight=nnp.force_weight,
        network_weight=nnp.network_weight,
        max_host_displacement=nnp.max_host_displacement or None,
        random_state=cfg.study.seed,
        device=args.device,
    )

    def epochs(n: int) -> dict:  # Adam to the end, as the demo (patience >= max_epochs)
        n = args.max_epochs or n
        return dict(max_epochs=n, patience=n if nnp.patience >= nnp.max_epochs else nnp.patience)

    new = dict(
        **epochs(nnp.max_epochs),
        lbfgs_steps=nnp.lbfgs_steps,
        batch_size=nnp.batch_size,
        learning_rate=nnp.learning_rate,
        train_together=nnp.train_together,
        precision=nnp.precision,
    )
    old = dict(
        **epochs(OLD_EPOCHS),
        lbfgs_steps=OLD_LBFGS,
        batch_size=64,
        learning_rate=1e-2,
        train_together=False,
        n_jobs=args.old_jobs,
    )
    print(f"demo data: {len(data)} points of {', '.join(nnp.train_samples)}; {params}")
    print(f"old way: {old}; new way: {new}")

    probe = SimplifiedNNP(**params)
    desc = probe._check_dataset(data)
    t = time.perf_counter()
    features = dataset_features(desc, data, jacobian=params["force_weight"] > 0)
    print(f"symmetry functions and Jacobians: {time.perf_counter() - t:.1f} s (once)")

    def given(_desc, _data, *, jacobian=False):
        return features if jacobian else (features[0] if isinstance(features, tuple) else features)

    model_module.dataset_features = given  # both fits reuse the features computed above
    from landscape.samples import load_sample

    validations = (
        [json.loads(f.read_text()) for f in sorted(Path(args.bands).rglob("*.json"))]
        if args.bands
        else []
    )
    hosts = {sid: load_sample(sid) for sid in {v["sample_id"] for v in validations}}
    if validations:
        print(f"fixed bands: {sum(len(v['hops']) for v in validations)} hops of {args.bands}")
    rows = []
    ways = [("new: stacked", new)]
    if not args.skip_old:
        ways.insert(0, ("old: one by one", old))
    seeds = [params["random_state"] + k for k in range(max(1, args.seeds))]
    for name, extra in ways:
        runs = []
        for seed in seeds:
            t = time.perf_counter()
            m = SimplifiedNNP(**{**params, "random_state": seed}, **extra).fit(data)
            seconds = time.perf_counter() - t
            mae, n_bands = barrier_mae(m, validations, hosts) if validations else (float("nan"), 0)
            runs.append((seconds, m.rmse_test_, m.rmse_test_kept_, mae))
            print(
                f"  {name}, random_state {seed}: {seconds:.1f} s, RMSE {m.rmse_test_:.4f} /"
                f" {m.rmse_test_kept_:.4f} eV, barrier MAE {mae:.4f} eV on {n_bands} fixed bands",
                flush=True,
            )
        rows.append((name, *(sum(col) / len(runs) for col in zip(*runs, strict=True))))

    print()
    mean = f" (mean of {len(seeds)} random states)" if len(seeds) > 1 else ""
    print(
        f"{'way':<18} {'training (s)':>12} {'RMSE test (eV)':>15} {'within 0.6 Å (eV)':>18}"
        f" {'barrier MAE (eV)':>17}{mean}"
    )
    for name, seconds, rmse, kept, mae in rows:
        print(f"{name:<18} {seconds:>12.1f} {rmse:>15.4f} {kept:>18.4f} {mae:>17.4f}")
    if len(rows) == 2:
        (_, t_old, r_old, k_old, b_old), (_, t_new, r_new, k_new, b_new) = rows
        ratio = t_old / t_new
        print(
            f"ratio old/new: {ratio:.1f}x (goal >= {GOAL:g}x: {'met' if ratio >= GOAL else 'NOT met'});"
            f" RMSE new/old {r_new / r_old:.3f}, within 0.6 Å {k_new / k_old:.3f} (goal <= 1.03);"
            f" barrier MAE new/old {b_new / b_old:.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
