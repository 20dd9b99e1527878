"""Training of the simplified NNP's ensemble members: splits, the networks, the training loop.

Every member is one small feed-forward network that depends only on its seed and its split: it is
initialised with ``torch.manual_seed(seed)``, trained with Adam (mini-batches, exponentially
decaying learning rate, early stopping on the validation RMSE), then with L-BFGS in segments of 20
iterations, and keeps the state with the lowest validation RMSE. The members train one after another
in this process (:func:`fit_members_serial`) or side by side in spawned processes
(:func:`fit_members_parallel`); the weights are the same bit for bit.

Units: energies eV, positions Å; the networks work in standardised units (features minus their
mean over the training points, divided by their standard deviation; energies likewise).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from ..errors import InputError
from .descriptors import SymmetryFunctions
from .networks import (
    ACTIVATIONS,
    StackedEnsemble,
    TrainingData,
    TrainSettings,
    mlp,
    stack_members,
    stacked_ensemble,
)

__all__ = [
    "ACTIVATIONS",
    "StackedEnsemble",
    "TrainSettings",
    "PointSplit",
    "mlp",
    "stack_members",
    "stacked_ensemble",
    "split_points",
    "member_splits",
    "dataset_features",
    "reference_forces",
    "standardise",
    "train_one",
    "train_member",
    "train_members",
    "fit_members_serial",
    "fit_members_parallel",
]


@dataclass(frozen=True)
class PointSplit:
    """Indices of the held-out test points, the rest (train + validation), the excluded points."""

    test: np.ndarray
    rest: np.ndarray
    excluded: np.ndarray
    n_val: int
    n_train: int


def split_points(
    targeted: np.ndarray,
    kept: np.ndarray,
    rng: np.random.Generator,
    *,
    test_fraction: float,
    validation_fraction: float,
    max_host_displacement: float | None,
) -> PointSplit:
    """The held-out test set (drawn from the untargeted points only) and the rest.

    Targeted points (``origin == "network"``: sites and saddles of a hop network) train and
    validate, so the test RMSE stays comparable; points of the rest outside ``kept`` (bool (n,))
    are excluded from training.
    """
    n = len(targeted)
    pool = np.flatnonzero(~targeted) if (~targeted).any() else np.arange(n)
    n_test = max(1, int(round(len(pool) * test_fraction)))
    order = pool[rng.permutation(len(pool))]
    order = np.concatenate([order, np.setdiff1d(np.arange(n), pool)])
    test_idx, rest_idx = np.sort(order[:n_test]), order[n_test:]
    excluded_idx = np.sort(rest_idx[~kept[rest_idx]])
    rest_idx = rest_idx[kept[rest_idx]]
    n_val = max(1, int(round(len(rest_idx) * validation_fraction)))
    n_train = len(rest_idx) - n_val
    if n_train < 2 or n_train < n_val:
        if len(excluded_idx):
            raise InputError(
                f"only {len(rest_idx)} of {n - n_test} training points have no host atom moved "
                f"farther than max_host_displacement = {max_host_displacement} Å: too few "
                f"for the validation split {validation_fraction}"
            )
        raise InputError(
            f"data set has {n} points: too few for test {test_fraction} / validation "
            f"{validation_fraction} splits (need >= 2 training points and no more "
            f"validation than training points)"
        )
    return PointSplit(test_idx, rest_idx, excluded_idx, n_val, n_train)


def member_splits(
    seeds: np.ndarray, rest: np.ndarray, n_val: int, bootstrap: bool
) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """Every member's ``(seed, train, val)``: its validation split drawn from its own seed."""
    splits = []
    for seed in seeds:
        mrng = np.random.default_rng(int(seed))
        perm = mrng.permutation(rest)
        val, train = np.sort(perm[:n_val]), perm[n_val:]
        if bootstrap:
            train = mrng.choice(train, size=len(train), replace=True)
        splits.append((int(seed), train, val))
    return splits


def dataset_features(desc: SymmetryFunctions, dataset: Any, *, jacobian: bool = False) -> Any:
    """Features (n, F) of a data set's points; with ``jacobian`` also d features/d r (n, F, 3)."""
    x = np.zeros((len(dataset), desc.n_features))
    jac = np.zeros((len(dataset), desc.n_features, 3)) if jacobian else None
    sids = np.asarray(dataset.sample_ids)
    for sid in sorted(set(sids.tolist())):
        mask = sids == sid
        pos = np.asarray(dataset.positions)[mask]
        if jacobian:
            x[mask], jac[mask] = desc.compute_with_jacobian(dataset.hosts[sid], pos)
        else:
            x[mask] = desc.compute(dataset.hosts[sid], pos)
    return (x, jac) if jacobian else x


def reference_forces(dataset: Any) -> np.ndarray:
    """The data set's forces on the mobile atom (n, 3), eV/Å; NaN rows where unknown."""
    f = getattr(dataset, "forces", None)
    if f is None:
        raise InputError(
            "force_weight > 0 needs forces on the mobile atom in the data set; this one has "
            "none (use force_weight=0)"
        )
    f = np.asarray(f, dtype=float).reshape(len(dataset), 3)
    if not np.all(np.isfinite(f), axis=1).any():
        raise InputError(
            "force_weight > 0 needs forces on the mobile atom; no point of this data set has "
            "them (use force_weight=0)"
        )
    return f


def standardise(
    x: np.ndarray,
    y: np.ndarray,
    jac: np.ndarray | None,
    f_ref: np.ndarray | None,
    rest: np.ndarray,
    weights: np.ndarray,
    device: torch.device,
) -> tuple[TrainingData, tuple[np.ndarray, np.ndarray, float, float]]:
    """Training tensors in standardised units, and the scaling ``(x_mean, x_scale, y_mean, y_scale)``.

    The scaling comes from the ``rest`` points (train + validation); ``weights`` (n,) are the
    per-point loss weights; ``jac`` and ``f_ref`` (or ``None``) the features' Jacobian (n, F, 3)
    and the reference forces (n, 3), eV/Å.
    """
    x_mean = x[rest].mean(0)
    x_scale = x[rest].std(0)
    x_scale = np.where(x_scale > 1e-12, x_scale, 1.0)
    y_mean = float(y[rest].mean())
    y_scale = float(y[rest].std()) or 1.0
    xs = torch.tensor((x - x_mean) / x_scale, dtype=torch.float64, device=device)
    ys = torch.tensor((y - y_mean) / y_scale, dtype=torch.float64, device=device)
    forces = None
    if jac is not None:
        # standardised units: d(xs)/dr = J / x_scale (1/Å), force / y_scale (1/Å)
        js = torch.tensor(jac / x_scale[None, :, None], dtype=torch.float64, device=device)
        has = np.all(np.isfinite(f_ref), axis=1)
        fs = torch.tensor(np.where(has[:, None], f_ref, 0.0) / y_scale, device=device)
        forces = (js, fs, torch.tensor(has, device=device))
    ws = torch.tensor(weights, dtype=torch.float64, device=device)
    return (xs, ys, ws, y_scale, forces), (x_mean, x_scale, y_mean, y_scale)


# ---------------------------------------------------------------- one member
def train_one(
    settings: TrainSettings,
    seed: int,
    train: np.ndarray,
    val: np.ndarray,
    data: TrainingData,
    hidden: tuple[int, ...],
    tick: Callable[[], None],
    device: str | torch.device = "cpu",
) -> tuple[nn.Sequential, dict[str, list]]:
    """One member from its seed and split: initialised with ``torch.manual_seed(seed)``, trained by
    :func:`train_member` on ``data = (xs, ys, ws, y_scale, forces)``."""
    xs, ys, ws, y_scale, forces = data
    torch.manual_seed(seed)
    net = mlp(xs.shape[1], hidden, settings.activation).to(device)
    hist = train_member(settings, net, xs, ys, ws, train, val, seed, y_scale, tick, forces=forces)
    return net, hist


def _loss_function(
    settings: TrainSettings,
    net: nn.Sequential,
    xs: Tensor,
    ys: Tensor,
    ws: Tensor,
    forces: tuple[Tensor, Tensor, Tensor] | None,
) -> Callable[[Tensor], Tensor]:
    """The weighted loss of the points ``idx``: energies, forces (if given), L2 penalty."""
    weights = [p for name, p in net.named_parameters() if name.endswith("weight")]
    wf = float(settings.force_weight)

    def loss_fn(idx: Tensor) -> Tensor:
        penalty = settings.alpha * sum(w.square().sum() for w in weights)
        w = ws[idx] / ws[idx].mean()  # (b,), mean 1
        if forces is None:
            err = net(xs[idx])[:, 0] - ys[idx]  # (b,)
            return (w * err.square()).mean() + penalty
        xb = xs[idx].detach().requires_grad_(True)  # (b, F)
        e = net(xb)[:, 0]  # (b,)
        (de,) = torch.autograd.grad(e.sum(), xb, create_graph=True)  # (b, F)
        js, fs, has = forces
        f_pred = -torch.einsum("bf,bfk->bk", de, js[idx])  # (b, 3)
        f_err = (f_pred - fs[idx]).square().sum(1) * has[idx]  # (b,)
        return (w * (e - ys[idx]).square()).mean() + wf * (w * f_err).mean() / 3.0 + penalty

    return loss_fn


def train_member(
    settings: TrainSettings,
    net: nn.Sequential,
    xs: Tensor,
    ys: Tensor,
    ws: Tensor,
    train: np.ndarray,
    val: np.ndarray,
    seed: int,
    y_scale: float,
    tick: Callable[[], None],
    *,
    forces: tuple[Tensor, Tensor, Tensor] | None = None,
) -> dict[str, list]:
    """Adam with early stopping, then L-BFGS in segments; keeps the best validation state.

    ``forces``, when given, is ``(d xs/d r (n, F, 3), reference force / y_scale (n, 3), has
    forces (n,))`` in standardised units; the loss then adds ``force_weight`` times the mean
    squared force-component error. ``ws`` (n,) weighs each point's squared errors (energy and
    force) in the loss and in the RMSEs recorded; early stopping watches the validation energy
    RMSE.
    """
    device = xs.device
    tr = torch.as_tensor(train, device=device)
    va = torch.as_tensor(val, device=device)
    loss_fn = _loss_function(settings, net, xs, ys, ws, forces)

    def rmse(idx: Tensor) -> float:
        with torch.no_grad():
            err2 = (net(xs[idx])[:, 0] - ys[idx]).square()  # (b,)
            return float((ws[idx] * err2).sum() / ws[idx].sum()) ** 0.5 * y_scale

    hist: dict[str, list] = {"phase": [], "step": [], "train_rmse": [], "val_rmse": []}

    def record(phase: str, step: int) -> float:
        v = rmse(va)
        hist["phase"].append(phase)
        hist["step"].append(step)
        hist["train_rmse"].append(rmse(tr))
        hist["val_rmse"].append(v)
        return v

    best_val = record("adam", 0)
    best_state = copy.deepcopy(net.state_dict())
    opt = torch.optim.Adam(net.parameters(), lr=settings.learning_rate)
    # the learning rate decays by a factor 100 over max_epochs
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.01 ** (1.0 / settings.max_epochs))
    gen = torch.Generator(device="cpu").manual_seed(seed)
    bs = int(settings.batch_size)
    since = 0
    for epoch in range(1, int(settings.max_epochs) + 1):
        perm = tr[torch.randperm(len(tr), generator=gen).to(device)]
        for batch in torch.split(perm, bs):
            opt.zero_grad()
            loss_fn(batch).backward()
            opt.step()
        sched.step()
        v = record("adam", epoch)
        tick()
        if v < best_val:
            best_val, best_state, since = v, copy.deepcopy(net.state_dict()), 0
        else:
            since += 1
            if since >= int(settings.patience):
                break
    net.load_state_dict(best_state)
    if int(settings.lbfgs_steps) > 0:
        best_val = _lbfgs_phase(
            settings, net, loss_fn, tr, record, tick, best_val, hist["step"][-1]
        )
    hist["best_val_rmse"] = [best_val]
    return hist


def _lbfgs_phase(
    settings: TrainSettings,
    net: nn.Sequential,
    loss_fn: Callable[[Tensor], Tensor],
    tr: Tensor,
    record: Callable[[str, int], float],
    tick: Callable[[], None],
    best_val: float,
    step: int,
) -> float:
    """L-BFGS in segments of 20 iterations from the best Adam state; stops after 3 segments
    without validation improvement. Leaves ``net`` in its best state; returns its RMSE, eV."""
    best_state = copy.deepcopy(net.state_dict())
    opt2 = torch.optim.LBFGS(
        net.parameters(),
        lr=1.0,
        max_iter=20,
        history_size=20,
        line_search_fn="strong_wolfe",
    )

    def closure() -> Tensor:
        opt2.zero_grad()
        loss = loss_fn(tr)
        loss.backward()
        return loss

    worse = 0
    for seg in range(math.ceil(int(settings.lbfgs_steps) / 20)):
        opt2.step(closure)
        v = record("lbfgs", step + seg + 1)
        tick()
        if not math.isfinite(v):
            break
        if v < best_val:
            best_val, best_state, worse = v, copy.deepcopy(net.state_dict()), 0
        else:
            worse += 1
            if worse >= 3:
                break
    net.load_state_dict(best_state)
    return best_val


# ---------------------------------------------------------------- all members
def train_members(
    settings: TrainSettings,
    splits: list[tuple[int, np.ndarray, np.ndarray]],
    data: TrainingData,
    hidden: tuple[int, ...],
    device: torch.device,
    n_jobs: int,
    *,
    together: bool = False,
    progress: Callable[[int, int], None] | None = None,
    verbose: bool = False,
    n_points: int = 0,
) -> tuple[list[nn.Sequential], list[dict]]:
    """Train every member of ``splits``: all at once as one stacked computation (``together``;
    :mod:`landscape.nnp.stacked_training`), else in ``n_jobs`` processes on the CPU or serially.

    ``progress(done, total)`` is called after each epoch/segment; with ``verbose`` and no
    ``progress`` a progress bar is shown instead.
    """
    n_models = len(splits)
    total = n_models * (int(settings.max_epochs) + math.ceil(int(settings.lbfgs_steps) / 20))
    done = [0]
    bar = None
    if progress is None and verbose:
        from tqdm import tqdm

        bar = tqdm(
            total=total, desc=f"NNP ensemble on {n_points} points", unit="step", mininterval=0.5
        )

        def progress(k: int, _total: int) -> None:
            bar.update(k - bar.n)

    def tick() -> None:
        done[0] += 1
        if progress is not None:
            progress(done[0], total)

    per_member = total // n_models
    try:
        if together:
            from .stacked_training import train_stacked

            result = train_stacked(settings, splits, data, hidden, device, tick)
            # members that stopped early leave epochs undone: the bar ends full
            if progress is not None:
                progress(total, total)
            return result
        n_jobs = min(n_jobs, n_models) if device.type == "cpu" else 1
        if n_jobs > 1:
            return fit_members_parallel(
                settings, splits, data, hidden, n_jobs, per_member, done, progress, total
            )
        return fit_members_serial(
            settings, splits, data, hidden, device, per_member, done, tick, progress, total
        )
    finally:
        if bar is not None:
            bar.close()


def fit_members_serial(
    settings, splits, data, hidden, device, per_member, done, tick, progress, total
) -> tuple[list[nn.Sequential], list[dict]]:
    """Train the members one after another in this process (one torch thread)."""
    members, history = [], []
    # small dense layers: one thread is fastest and avoids oversubscribing shared cores
    threads = torch.get_num_threads()
    if device.type == "cpu":
        torch.set_num_threads(1)
    try:
        for seed, train, val in splits:
            net, hist = train_one(settings, seed, train, val, data, hidden, tick, device)
            members.append(net)
            history.append(hist)
            done[0] = len(members) * per_member
            if progress is not None:
                progress(done[0], total)
    finally:
        torch.set_num_threads(threads)
    return members, history


def fit_members_parallel(
    settings, splits, data, hidden, n_jobs, per_member, done, progress, total
) -> tuple[list[nn.Sequential], list[dict]]:
    """Train the members in ``n_jobs`` spawned processes (one torch thread each).

    Each member depends only on its seed and split, so the weights equal those of
    :func:`fit_members_serial` bit for bit. Progress ticks come back through a queue.
    """
    import multiprocessing as mp
    import queue as queue_mod
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    xs, ys, ws, y_scale, forces = data
    arrays = {
        "xs": xs.numpy(),
        "ys": ys.numpy(),
        "ws": ws.numpy(),
        "y_scale": y_scale,
        "forces": None if forces is None else tuple(t.numpy() for t in forces),
    }
    ctx = mp.get_context("spawn")
    ticks = ctx.Queue()
    counts = [0] * len(splits)
    results: dict[int, tuple[dict, dict]] = {}

    def drain() -> None:
        while True:
            try:
                k = ticks.get_nowait()
            except queue_mod.Empty:
                return
            counts[k] = min(counts[k] + 1, per_member)

    with ProcessPoolExecutor(
        max_workers=n_jobs,
        mp_context=ctx,
        initializer=_init_member_worker,
        initargs=(settings, arrays, ticks),
    ) as pool:
        pending = {
            pool.submit(_member_in_worker, k, seed, train, val, hidden)
            for k, (seed, train, val) in enumerate(splits)
        }
        while pending:
            finished, pending = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
            drain()
            for fut in finished:
                k, state, hist = fut.result()
                results[k] = (state, hist)
                counts[k] = per_member
            done[0] = sum(counts)
            if progress is not None:
                progress(done[0], total)
    members, history = [], []
    for k in range(len(splits)):
        state, hist = results[k]
        net = mlp(xs.shape[1], hidden, settings.activation)
        net.load_state_dict({name: torch.from_numpy(a) for name, a in state.items()})
        members.append(net)
        history.append(hist)
    return members, history


# state of a spawned training process (set by _init_member_worker)
_WORKER: dict[str, Any] = {}


def _init_member_worker(settings: TrainSettings, arrays: dict[str, Any], ticks: Any) -> None:
    """Initialise a spawned training process: the training settings and the standardised data."""
    torch.set_num_threads(1)
    forces = arrays["forces"]
    data = (
        torch.from_numpy(arrays["xs"]),
        torch.from_numpy(arrays["ys"]),
        torch.from_numpy(arrays["ws"]),
        arrays["y_scale"],
        None if forces is None else tuple(torch.from_numpy(a) for a in forces),
    )
    _WORKER.update(settings=settings, data=data, ticks=ticks)


def _member_in_worker(
    k: int, seed: int, train: np.ndarray, val: np.ndarray, hidden: tuple[int, ...]
) -> tuple[int, dict[str, np.ndarray], dict[str, list]]:
    """Train member ``k`` in a worker; its weights come back as numpy arrays (no pickled tensors)."""
    w = _WORKER
    net, hist = train_one(
        w["settings"], seed, train, val, w["data"], hidden, lambda: w["ticks"].put(k)
    )
    return k, {name: t.detach().numpy().copy() for name, t in net.state_dict().items()}, hist
