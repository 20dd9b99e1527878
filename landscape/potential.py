"""The simplified neural-network potential: one network for the mobile atom's position.

Li, Ando & Watanabe (J. Phys. Soc. Jpn. 86, 104004 (2017)) map the symmetry functions of the mobile
atom's host neighbourhood to the energy of the whole system after the host relaxed around it. The
host's response is implicit in the data, so one small feed-forward network replaces a potential for
every atom. :class:`SimplifiedNNP` learns the insertion energy ``e_insert`` (eV) of a
:class:`~landscape.reference.dataset.ReferenceDataset`, as an ensemble whose spread is the
uncertainty; :meth:`SimplifiedNNP.surface` binds it to one host as an EnergySurface (DESIGN.md) and
:class:`NNPCalculator` exposes it to ASE.

Model files are two: ``MODEL.safetensors`` (the weights) and ``MODEL.json`` (descriptor parameters,
species, scaling, architecture, metrics, the data set's hash and the SHA-256 of the weights file);
never pickle.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from ase import Atoms
from ase.calculators.calculator import Calculator, all_changes
from torch import Tensor, nn

from .descriptors import SymmetryFunctions
from .errors import InputError

__all__ = ["SimplifiedNNP", "NNPSurface", "NNPCalculator", "model_paths"]

FORMAT = "landscape-nnp"
FORMAT_VERSION = 1

_ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "tanh": nn.Tanh,
    "softplus": nn.Softplus,
    "silu": nn.SiLU,
}


class _Ensemble(nn.Module):
    """``M`` feed-forward networks evaluated at once with stacked weights.

    ``weights[l]`` has shape (M, n_in, n_out) and ``biases[l]`` (M, n_out); the last layer has one
    output. ``forward(x (n, F)) -> (M, n)`` in the network's (standardised) units.
    """

    def __init__(self, weights: list[Tensor], biases: list[Tensor], activation: str) -> None:
        super().__init__()
        self.weights = nn.ParameterList([nn.Parameter(w, requires_grad=False) for w in weights])
        self.biases = nn.ParameterList([nn.Parameter(b, requires_grad=False) for b in biases])
        self.act = _ACTIVATIONS[activation]()

    def forward(self, x: Tensor) -> Tensor:
        h = (
            torch.einsum("nf,mfh->mnh", x, self.weights[0]) + self.biases[0][:, None, :]
        )  # (M, n, H)
        for w, b in zip(self.weights[1:], self.biases[1:], strict=True):
            h = torch.baddbmm(b[:, None, :], self.act(h), w)  # (M, n, H')
        return h[..., 0]  # (M, n)


def _mlp(n_in: int, hidden: tuple[int, ...], activation: str) -> nn.Sequential:
    layers: list[nn.Module] = []
    sizes = [n_in, *hidden]
    for a, b in zip(sizes[:-1], sizes[1:], strict=True):
        layers += [nn.Linear(a, b, dtype=torch.float64), _ACTIVATIONS[activation]()]
    layers.append(nn.Linear(sizes[-1], 1, dtype=torch.float64))
    return nn.Sequential(*layers)


def _stack(members: list[nn.Sequential]) -> tuple[list[Tensor], list[Tensor]]:
    linears = [[m for m in seq if isinstance(m, nn.Linear)] for seq in members]
    weights = [
        torch.stack([ls[k].weight.detach().T for ls in linears]) for k in range(len(linears[0]))
    ]
    biases = [torch.stack([ls[k].bias.detach() for ls in linears]) for k in range(len(linears[0]))]
    return weights, biases


def _rmse(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(a) - np.asarray(b)) ** 2)))


def _mae(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(np.abs(np.asarray(a) - np.asarray(b))))


def _sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def model_paths(path: str | Path) -> tuple[Path, Path]:
    """``(MODEL.json, MODEL.safetensors)`` for a path given with either suffix or none."""
    p = Path(path)
    if p.suffix in (".json", ".safetensors"):
        p = p.with_suffix("")
    return p.with_name(p.name + ".json"), p.with_name(p.name + ".safetensors")


def _weights_path(json_path: Path, sibling: Path, named: str) -> Path:
    """The weights of ``json_path``: the sibling with its stem, else the file the JSON names.

    A pair copied or renamed together (``other.json`` + ``other.safetensors``) loads its own
    weights; a JSON whose sibling is absent falls back to the weights file it names (older files,
    or a pair whose weights kept their name). The SHA-256 in the JSON is checked afterwards.
    """
    if sibling.is_file():
        return sibling
    recorded = json_path.with_name(Path(str(named)).name)
    if recorded.is_file():
        return recorded
    expected = repr(str(sibling))
    if recorded != sibling:
        expected += f" (or {str(recorded)!r}, the file {json_path.name} names)"
    raise InputError(f"model weights {expected} do not exist")


# ---------------------------------------------------------------- member training in workers
_WORKER: dict[str, Any] = {}


def _train_one(
    model: SimplifiedNNP,
    seed: int,
    train: np.ndarray,
    val: np.ndarray,
    data: tuple,
    hidden: tuple[int, ...],
    tick: Callable[[], None],
    device: str | torch.device = "cpu",
) -> tuple[nn.Sequential, dict[str, list]]:
    """One member from its seed and split: initialised with ``torch.manual_seed(seed)``, trained by
    :meth:`SimplifiedNNP._train_member` on ``data = (xs, ys, ws, y_scale, forces)``."""
    xs, ys, ws, y_scale, forces = data
    torch.manual_seed(seed)
    net = _mlp(xs.shape[1], hidden, model.activation).to(device)
    hist = model._train_member(net, xs, ys, ws, train, val, seed, y_scale, tick, forces=forces)
    return net, hist


def _init_member_worker(params: dict[str, Any], arrays: dict[str, Any], ticks: Any) -> None:
    """Initialise a spawned training process: the model's parameters and the standardised data."""
    torch.set_num_threads(1)
    forces = arrays["forces"]
    data = (
        torch.from_numpy(arrays["xs"]),
        torch.from_numpy(arrays["ys"]),
        torch.from_numpy(arrays["ws"]),
        arrays["y_scale"],
        None if forces is None else tuple(torch.from_numpy(a) for a in forces),
    )
    _WORKER.update(model=SimplifiedNNP(**params), data=data, ticks=ticks)


def _member_in_worker(
    k: int, seed: int, train: np.ndarray, val: np.ndarray, hidden: tuple[int, ...]
) -> tuple[int, dict[str, np.ndarray], dict[str, list]]:
    """Train member ``k`` in a worker; its weights come back as numpy arrays (no pickled tensors)."""
    w = _WORKER
    net, hist = _train_one(
        w["model"], seed, train, val, w["data"], hidden, lambda: w["ticks"].put(k)
    )
    return k, {name: t.detach().numpy().copy() for name, t in net.state_dict().items()}, hist


class SimplifiedNNP:
    """Ensemble of small networks mapping symmetry functions to the insertion energy (eV).

    scikit-learn style: keyword-only parameters are stored unchanged; :meth:`fit` validates them and
    sets the learned state (names ending in ``_``).

    Parameters
    ----------
    descriptor : SymmetryFunctions, optional
        The symmetry functions; default: :class:`~landscape.descriptors.SymmetryFunctions` with the
        data set's host species and mobile species and the default grids.
    hidden : tuple of int
        Hidden-layer widths (default two layers of 32).
    activation : {"tanh", "softplus", "silu"}
        Hidden-layer activation (smooth, so forces are continuous).
    n_models : int
        Ensemble members; their spread (standard deviation) is the uncertainty, eV.
    test_fraction : float
        Held-out test share (the seed's 200 of 2000 points: 0.1).
    validation_fraction : float
        Share of the remaining points each member holds out for early stopping.
    max_epochs : int
        Adam epochs at most (mini-batches of ``batch_size``).
    lbfgs_steps : int
        L-BFGS iterations after Adam (in segments of 20 with early stopping on validation).
    patience : int
        Adam epochs without validation improvement before stopping.
    batch_size : int
        Adam mini-batch size.
    learning_rate : float
        Initial Adam learning rate (decays exponentially by a factor 100 over ``max_epochs``).
    alpha : float
        L2 penalty on the weights (in the loss on standardised energies).
    force_weight : float
        Weight of the force term in the loss (0: energies only, as in the seed). The data set's
        forces on the mobile atom (eV/Å, minus the gradient of ``e_insert``) are compared with the
        network's, both divided by the energies' standard deviation; ``force_weight = 1`` weighs a
        force-component error of that many eV/Å like an energy error of that many eV, per 1 Å.
        Points without forces contribute their energy only. Each point then carries four numbers
        instead of one.
    network_weight : float
        Weight, in the loss and in the validation RMSE that stops training, of the targeted points
        (``dataset.origin == "network"``: sites and saddles of a hop network) relative to the other
        points (weight 1). The targeted points sit where the barriers are read, so a weight > 1
        fits them more closely; the held-out test set has none of them. Default 1 (all equal).
    max_host_displacement : float, optional
        Å. Train and validate only on points whose host relaxation moved no host atom farther than
        this (``ReferenceDataset.max_displacement``; points where it is unknown are kept). Farther
        means the host rearranged into another configuration, so the label is not the energy of
        *this* host relaxed around the mobile atom, and it jumps between neighbouring positions.
        The held-out test set is drawn from all points as without the filter, so ``rmse_test_``
        stays comparable; ``rmse_test_kept_`` is the RMSE on the test points within the limit.
        ``None`` (default): use every point, as the seed does.
    bootstrap : bool
        Draw each member's training points with replacement (bagging) in addition to its own seed
        and validation split.
    random_state : int
        Seed of every random draw (splits, initialisation, mini-batches).
    device : str
        Torch device used for training.
    n_jobs : int
        Processes that train the members side by side on the CPU (one torch thread each; -1: one
        per CPU core; default 1, in this process). The weights do not depend on it: each member
        depends only on its seed. The processes are spawned, so a script that calls :meth:`fit`
        with ``n_jobs > 1`` needs the usual ``if __name__ == "__main__":`` guard. Ignored on a
        GPU device. Not saved with the model.
    verbose : bool
        Show a progress bar during :meth:`fit`.
    """

    def __init__(
        self,
        *,
        descriptor: SymmetryFunctions | None = None,
        hidden: tuple[int, ...] = (32, 32),
        activation: str = "tanh",
        n_models: int = 5,
        test_fraction: float = 0.1,
        validation_fraction: float = 0.1,
        max_epochs: int = 400,
        lbfgs_steps: int = 200,
        patience: int = 40,
        batch_size: int = 64,
        learning_rate: float = 1e-2,
        alpha: float = 1e-4,
        force_weight: float = 0.0,
        network_weight: float = 1.0,
        max_host_displacement: float | None = None,
        bootstrap: bool = False,
        random_state: int = 0,
        device: str = "cpu",
        n_jobs: int = 1,
        verbose: bool = False,
    ) -> None:
        self.descriptor = descriptor
        self.hidden = hidden
        self.activation = activation
        self.n_models = n_models
        self.test_fraction = test_fraction
        self.validation_fraction = validation_fraction
        self.max_epochs = max_epochs
        self.lbfgs_steps = lbfgs_steps
        self.patience = patience
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.alpha = alpha
        self.force_weight = force_weight
        self.network_weight = network_weight
        self.max_host_displacement = max_host_displacement
        self.bootstrap = bootstrap
        self.random_state = random_state
        self.device = device
        self.n_jobs = n_jobs
        self.verbose = verbose

    _PARAMS = (
        "hidden",
        "activation",
        "n_models",
        "test_fraction",
        "validation_fraction",
        "max_epochs",
        "lbfgs_steps",
        "patience",
        "batch_size",
        "learning_rate",
        "alpha",
        "force_weight",
        "network_weight",
        "max_host_displacement",
        "bootstrap",
        "random_state",
        "device",
        "verbose",
    )

    # run-time settings: they do not change the fitted model, so they are not saved with it
    _RUNTIME_PARAMS = ("n_jobs",)

    def get_params(self) -> dict[str, Any]:
        """The constructor parameters (``descriptor`` included)."""
        names = self._PARAMS + self._RUNTIME_PARAMS
        return {"descriptor": self.descriptor, **{k: getattr(self, k) for k in names}}

    # ------------------------------------------------------------------ validation
    def _validate_params(self) -> None:
        if self.activation not in _ACTIVATIONS:
            raise InputError(
                f"unknown activation {self.activation!r}; expected one of {sorted(_ACTIVATIONS)}"
            )
        hidden = tuple(self.hidden)
        if not hidden or any(int(h) < 1 for h in hidden):
            raise InputError(f"hidden must be positive layer widths, got {self.hidden!r}")
        if int(self.n_models) < 1:
            raise InputError(f"n_models must be >= 1, got {self.n_models}")
        for name in ("test_fraction", "validation_fraction"):
            v = getattr(self, name)
            if not 0.0 < v < 1.0:
                raise InputError(f"{name} must lie in (0, 1), got {v}")
        for name in ("max_epochs", "patience", "batch_size"):
            if int(getattr(self, name)) < 1:
                raise InputError(f"{name} must be >= 1, got {getattr(self, name)}")
        nj = self.n_jobs
        if isinstance(nj, bool) or not isinstance(nj, int | np.integer) or (nj < 1 and nj != -1):
            raise InputError(f"n_jobs must be an integer >= 1 or -1 (every core), got {nj!r}")
        if int(self.lbfgs_steps) < 0 or self.learning_rate <= 0 or self.alpha < 0:
            raise InputError("lbfgs_steps >= 0, learning_rate > 0 and alpha >= 0 are required")
        if not (math.isfinite(float(self.force_weight)) and float(self.force_weight) >= 0.0):
            raise InputError(f"force_weight must be a finite number >= 0, got {self.force_weight}")
        nw = self.network_weight
        if not (isinstance(nw, int | float) and math.isfinite(float(nw)) and float(nw) > 0.0):
            raise InputError(f"network_weight must be a finite number > 0, got {nw!r}")
        mhd = self.max_host_displacement
        if mhd is not None and not (
            isinstance(mhd, int | float) and math.isfinite(float(mhd)) and float(mhd) > 0.0
        ):
            raise InputError(f"max_host_displacement must be None or a number > 0 Å, got {mhd!r}")
        if self.descriptor is not None and not isinstance(self.descriptor, SymmetryFunctions):
            raise InputError(
                f"descriptor must be a SymmetryFunctions, got {type(self.descriptor).__name__}"
            )

    def _check_dataset(self, dataset: Any) -> SymmetryFunctions:
        from .reference.dataset import ReferenceDataset

        if not isinstance(dataset, ReferenceDataset):
            raise InputError(
                f"fit expects a ReferenceDataset (landscape.reference.dataset.load_dataset), got "
                f"{type(dataset).__name__}"
            )
        e = np.asarray(dataset.e_insert, dtype=float)
        if not np.all(np.isfinite(e)):
            raise InputError(
                f"data set has {int((~np.isfinite(e)).sum())} NaN/inf energies; expected finite eV"
            )
        if not np.all(np.isfinite(np.asarray(dataset.positions, dtype=float))):
            raise InputError("data set has NaN/inf positions; expected finite Cartesian Å")
        host_species = dataset.host_species
        desc = self.descriptor
        if desc is None:
            if dataset.species in host_species:
                raise InputError(
                    f"mobile species {dataset.species!r} also occurs in the hosts {host_species}"
                )
            desc = SymmetryFunctions(species=host_species, mobile=dataset.species)
        if dataset.species != desc.mobile:
            raise InputError(
                f"data set's mobile species is {dataset.species!r}; the descriptor expects "
                f"{desc.mobile!r}"
            )
        unknown = sorted(set(host_species) - set(desc.species))
        if unknown:
            raise InputError(
                f"data set hosts contain species {unknown} unknown to the descriptor "
                f"(species {desc.species})"
            )
        return desc

    def _kept(self, dataset: Any) -> np.ndarray:
        """Points within ``max_host_displacement`` (all of them without a limit), bool (n,)."""
        n = len(dataset)
        if self.max_host_displacement is None:
            return np.ones(n, dtype=bool)
        d = getattr(dataset, "max_displacement", None)
        if d is None:
            raise InputError(
                "max_host_displacement is set but the data set records no host displacements "
                "(ReferenceDataset.max_displacement); expected data from landscape reference run"
            )
        d = np.asarray(d, dtype=float)
        return ~(d > float(self.max_host_displacement))  # NaN (unknown) is kept

    # ------------------------------------------------------------------ fit
    def fit(
        self, dataset: Any, *, progress: Callable[[int, int], None] | None = None
    ) -> SimplifiedNNP:
        """Train the ensemble on a reference data set.

        Points are split once into a held-out test set (``test_fraction`` of the points not chosen
        from a hop network: targeted points, ``dataset.origin == "network"``, never test) and the
        rest; every member
        draws its own validation split (``validation_fraction`` of the rest), initialisation and
        mini-batch order from ``random_state``, trains with Adam (early stopping on validation RMSE,
        ``patience``), then L-BFGS, and keeps the state with the lowest validation RMSE.

        Parameters
        ----------
        dataset : ReferenceDataset
            Positions (Å) and insertion energies ``e_insert`` (eV); see
            :func:`landscape.reference.dataset.load_dataset`.
        progress : callable, optional
            Called as ``progress(done, total)`` after each epoch/segment (for progress bars).

        Returns
        -------
        self

        Raises
        ------
        InputError
            Bad parameters; a data set with species the descriptor does not know, NaN energies, or
            too few points for the test/validation/training split.
        """
        self._validate_params()
        desc = self._check_dataset(dataset)
        n = len(dataset)
        # the test set is drawn from the unbiased points only: targeted ones (origin "network",
        # sites and saddles of a hop network) train and validate, so rmse_test_ stays comparable
        origin = getattr(dataset, "origin", None)
        targeted = np.zeros(n, bool) if origin is None else np.asarray(origin) == "network"
        pool = np.flatnonzero(~targeted) if (~targeted).any() else np.arange(n)
        n_test = max(1, int(round(len(pool) * self.test_fraction)))
        rng = np.random.default_rng(self.random_state)
        order = pool[rng.permutation(len(pool))]
        order = np.concatenate([order, np.setdiff1d(np.arange(n), pool)])
        test_idx, rest_idx = np.sort(order[:n_test]), order[n_test:]
        kept = self._kept(dataset)  # (n,) bool: within max_host_displacement
        excluded_idx = np.sort(rest_idx[~kept[rest_idx]])
        rest_idx = rest_idx[kept[rest_idx]]
        n_val = max(1, int(round(len(rest_idx) * self.validation_fraction)))
        n_train = len(rest_idx) - n_val
        if n_train < 2 or n_train < n_val:
            if len(excluded_idx):
                raise InputError(
                    f"only {len(rest_idx)} of {n - n_test} training points have no host atom moved "
                    f"farther than max_host_displacement = {self.max_host_displacement} Å: too few "
                    f"for the validation split {self.validation_fraction}"
                )
            raise InputError(
                f"data set has {n} points: too few for test {self.test_fraction} / validation "
                f"{self.validation_fraction} splits (need >= 2 training points and no more "
                f"validation than training points)"
            )
        hidden = tuple(int(h) for h in self.hidden)
        t0 = time.perf_counter()
        device = torch.device(self.device)
        desc = copy.deepcopy(desc).to(device)
        use_forces = float(self.force_weight) > 0.0
        if use_forces:
            x, jac = self._features(desc, dataset, jacobian=True)  # (n, F), (n, F, 3)
            f_ref = self._reference_forces(dataset)  # (n, 3), NaN rows without forces
        else:
            x = self._features(desc, dataset)  # (n, F)
        y = np.asarray(dataset.e_insert, dtype=float)  # (n,)

        x_mean = x[rest_idx].mean(0)
        x_scale = x[rest_idx].std(0)
        x_scale = np.where(x_scale > 1e-12, x_scale, 1.0)
        y_mean = float(y[rest_idx].mean())
        y_scale = float(y[rest_idx].std()) or 1.0
        xs = torch.tensor((x - x_mean) / x_scale, dtype=torch.float64, device=device)
        ys = torch.tensor((y - y_mean) / y_scale, dtype=torch.float64, device=device)
        forces = None
        if use_forces:
            # standardised units: d(xs)/dr = J / x_scale (1/Å), force / y_scale (1/Å)
            js = torch.tensor(jac / x_scale[None, :, None], dtype=torch.float64, device=device)
            has = np.all(np.isfinite(f_ref), axis=1)
            fs = torch.tensor(np.where(has[:, None], f_ref, 0.0) / y_scale, device=device)
            forces = (js, fs, torch.tensor(has, device=device))

        # per-point loss weights (n,): targeted points count network_weight times
        ws = torch.tensor(
            np.where(targeted, float(self.network_weight), 1.0), dtype=torch.float64, device=device
        )
        member_seeds = rng.integers(0, 2**31 - 1, size=int(self.n_models))
        total = int(self.n_models) * (int(self.max_epochs) + math.ceil(int(self.lbfgs_steps) / 20))
        done = [0]

        bar = None
        if progress is None and self.verbose:
            from tqdm import tqdm

            bar = tqdm(
                total=total, desc=f"NNP ensemble on {n} points", unit="step", mininterval=0.5
            )

            def progress(k: int, _total: int) -> None:
                bar.update(k - bar.n)

        def tick() -> None:
            done[0] += 1
            if progress is not None:
                progress(done[0], total)

        # every member's validation split, drawn from its own seed
        splits = []
        for seed in member_seeds:
            mrng = np.random.default_rng(int(seed))
            perm = mrng.permutation(rest_idx)
            val, train = np.sort(perm[:n_val]), perm[n_val:]
            if self.bootstrap:
                train = mrng.choice(train, size=len(train), replace=True)
            splits.append((int(seed), train, val))
        per_member = total // int(self.n_models)
        data = (xs, ys, ws, y_scale, forces)
        try:
            n_jobs = min(self._n_workers(), len(splits)) if device.type == "cpu" else 1
            if n_jobs > 1:
                members, history = self._fit_members_parallel(
                    splits, data, hidden, n_jobs, per_member, done, progress, total
                )
            else:
                members, history = self._fit_members_serial(
                    splits, data, hidden, device, per_member, done, tick, progress, total
                )
        finally:
            if bar is not None:
                bar.close()
        val_index = [val.tolist() for _seed, _train, val in splits]

        weights, biases = _stack(members)
        self.descriptor_ = desc.cpu()
        self.n_features_in_ = int(xs.shape[1])
        self.hidden_ = hidden
        self.weights_ = [w.cpu() for w in weights]
        self.biases_ = [b.cpu() for b in biases]
        self.scaler_mean_ = x_mean
        self.scaler_scale_ = x_scale
        self.y_mean_ = y_mean
        self.y_scale_ = y_scale
        self.history_ = history
        self.test_index_ = test_idx
        self.validation_index_ = val_index
        self.fit_seconds_ = time.perf_counter() - t0

        pred = self._predict_features(x)  # (M, n)
        mean = pred.mean(0)
        train_mask = np.zeros(n, dtype=bool)
        train_mask[rest_idx] = True
        test_out = test_idx[~kept[test_idx]]
        self.predictions_ = {
            "train": (y[train_mask], mean[train_mask]),
            "test": (y[test_idx], mean[test_idx]),
            "excluded": (y[excluded_idx], mean[excluded_idx]),
            "test_excluded": (y[test_out], mean[test_out]),
        }
        self.rmse_test_ = _rmse(y[test_idx], mean[test_idx])
        self.mae_test_ = _mae(y[test_idx], mean[test_idx])
        self.rmse_train_ = _rmse(y[train_mask], mean[train_mask])
        self.mae_train_ = _mae(y[train_mask], mean[train_mask])
        test_in = test_idx[kept[test_idx]]
        self.n_excluded_ = len(excluded_idx) + len(test_out)
        self.n_test_kept_ = len(test_in)
        self.rmse_test_kept_ = _rmse(y[test_in], mean[test_in]) if len(test_in) else None
        self.mae_test_kept_ = _mae(y[test_in], mean[test_in]) if len(test_in) else None
        self.member_rmse_test_ = [_rmse(y[test_idx], p[test_idx]) for p in pred]
        self.rmse_force_test_ = None
        if use_forces:
            ft = self._predict_forces_features(x[test_idx], jac[test_idx])  # (n_test, 3)
            ok = np.all(np.isfinite(f_ref[test_idx]), axis=1)
            if ok.any():
                self.rmse_force_test_ = _rmse(f_ref[test_idx][ok], ft[ok])
        self.n_train_, self.n_validation_, self.n_test_ = n_train, n_val, n_test
        self.data_hash_ = dataset.content_hash()
        self.data_info_ = {
            "hash": self.data_hash_,
            "n_points": int(n),
            "sample_ids": sorted({str(s) for s in dataset.sample_ids}),
            "species": dataset.species,
            "calculator": dataset.calculator,
            "target": "e_insert",
            "min_host_distance": _min_host_distance(dataset),
        }
        return self

    def _n_workers(self) -> int:
        """Worker processes for the members: ``n_jobs``, with -1 meaning every CPU core."""
        n = int(self.n_jobs)
        return (os.cpu_count() or 1) if n == -1 else n

    def _fit_members_serial(
        self, splits, data, hidden, device, per_member, done, tick, progress, total
    ) -> tuple[list[nn.Sequential], list[dict]]:
        """Train the members one after another in this process (one torch thread)."""
        members, history = [], []
        # small dense layers: one thread is fastest and avoids oversubscribing shared cores
        threads = torch.get_num_threads()
        if device.type == "cpu":
            torch.set_num_threads(1)
        try:
            for seed, train, val in splits:
                net, hist = _train_one(self, seed, train, val, data, hidden, tick, device)
                members.append(net)
                history.append(hist)
                done[0] = len(members) * per_member
                if progress is not None:
                    progress(done[0], total)
        finally:
            torch.set_num_threads(threads)
        return members, history

    def _fit_members_parallel(
        self, splits, data, hidden, n_jobs, per_member, done, progress, total
    ) -> tuple[list[nn.Sequential], list[dict]]:
        """Train the members in ``n_jobs`` spawned processes (one torch thread each).

        Each member depends only on its seed and split, so the weights equal those of
        :meth:`_fit_members_serial` bit for bit. Progress ticks come back through a queue.
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
        params = {k: getattr(self, k) for k in self._PARAMS}
        params.update(verbose=False, device="cpu")
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
            initargs=(params, arrays, ticks),
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
            net = _mlp(xs.shape[1], hidden, self.activation)
            net.load_state_dict({name: torch.from_numpy(a) for name, a in state.items()})
            members.append(net)
            history.append(hist)
        return members, history

    def _train_member(
        self,
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
        weights = [p for name, p in net.named_parameters() if name.endswith("weight")]

        wf = float(self.force_weight)

        def loss_fn(idx: Tensor) -> Tensor:
            penalty = self.alpha * sum(w.square().sum() for w in weights)
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
        opt = torch.optim.Adam(net.parameters(), lr=self.learning_rate)
        # the learning rate decays by a factor 100 over max_epochs
        sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.01 ** (1.0 / self.max_epochs))
        gen = torch.Generator(device="cpu").manual_seed(seed)
        bs = int(self.batch_size)
        since = 0
        for epoch in range(1, int(self.max_epochs) + 1):
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
                if since >= int(self.patience):
                    break
        net.load_state_dict(best_state)
        step = hist["step"][-1]
        if int(self.lbfgs_steps) > 0:
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
            for seg in range(math.ceil(int(self.lbfgs_steps) / 20)):
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
        hist["best_val_rmse"] = [best_val]
        return hist

    # ------------------------------------------------------------------ prediction
    def _check_fitted(self) -> None:
        if not hasattr(self, "weights_"):
            raise InputError("this SimplifiedNNP is not fitted; call fit() or SimplifiedNNP.load()")

    def _features(self, desc: SymmetryFunctions, dataset: Any, *, jacobian: bool = False) -> Any:
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

    @staticmethod
    def _reference_forces(dataset: Any) -> np.ndarray:
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

    def _predict_forces_features(self, x: np.ndarray, jac: np.ndarray) -> np.ndarray:
        """Ensemble-mean forces (n, 3), eV/Å, from raw features (n, F) and d features/d r."""
        ens = self._ensemble()
        xs = torch.tensor((x - self.scaler_mean_) / self.scaler_scale_, dtype=torch.float64)
        xs.requires_grad_(True)
        (de,) = torch.autograd.grad(ens(xs).mean(0).sum(), xs)  # (n, F)
        js = torch.tensor(jac / self.scaler_scale_[None, :, None], dtype=torch.float64)
        return (-torch.einsum("nf,nfk->nk", de, js) * self.y_scale_).numpy()

    def _ensemble(self, device: str | torch.device = "cpu") -> _Ensemble:
        return _Ensemble(
            [w.to(device) for w in self.weights_],
            [b.to(device) for b in self.biases_],
            self.activation,
        ).to(device)

    def _predict_features(self, x: np.ndarray) -> np.ndarray:
        """Member energies (M, n), eV, from raw features (n, F)."""
        ens = self._ensemble()
        xs = torch.tensor((x - self.scaler_mean_) / self.scaler_scale_, dtype=torch.float64)
        with torch.no_grad():
            return ens(xs).numpy() * self.y_scale_ + self.y_mean_

    def predict(self, host: Atoms, positions: Any) -> tuple[np.ndarray, np.ndarray]:
        """Predicted insertion energies and their ensemble spread.

        Parameters
        ----------
        host : ase.Atoms
            The host structure (without the mobile atom).
        positions : array_like, shape (n, 3)
            Mobile-atom positions, Å.

        Returns
        -------
        mean : numpy.ndarray, shape (n,)
            Ensemble-mean ``e_insert``, eV.
        std : numpy.ndarray, shape (n,)
            Ensemble standard deviation, eV (zeros for a single member).
        """
        self._check_fitted()
        pred = self._predict_features(self.descriptor_.compute(host, positions))
        std = pred.std(0, ddof=1) if pred.shape[0] > 1 else np.zeros(pred.shape[1])
        return pred.mean(0), std

    def score(self, dataset: Any) -> dict[str, Any]:
        """RMSE and MAE (eV) of the ensemble mean on every sample of a data set.

        Where the data set has forces on the mobile atom, also the RMSE of the ensemble-mean force
        per Cartesian component (eV/Å) over the points that have them.

        With ``max_host_displacement`` set and host displacements in the data set, also the RMSE over
        the points within that limit (``rmse_kept``, ``n_kept``; otherwise ``None``).

        Returns
        -------
        dict
            ``{sample_id: {"n": int, "rmse": eV, "mae": eV, "force_rmse": eV/Å or None,
            "n_kept": int or None, "rmse_kept": eV or None}}`` plus ``"all"`` over every point.
        """
        self._check_fitted()
        self._check_dataset_species(dataset)
        y = np.asarray(dataset.e_insert, dtype=float)
        f_ref = getattr(dataset, "forces", None)
        has = (
            np.zeros(len(y), dtype=bool)
            if f_ref is None
            else np.all(np.isfinite(np.asarray(f_ref, dtype=float).reshape(-1, 3)), axis=1)
        )
        if has.any():
            x, jac = self._features(self.descriptor_, dataset, jacobian=True)
            f_pred = self._predict_forces_features(x, jac)  # (n, 3)
        else:
            x = self._features(self.descriptor_, dataset)
        mean = self._predict_features(x).mean(0)
        sids = np.asarray(dataset.sample_ids)
        limited = (
            self.max_host_displacement is not None
            and getattr(dataset, "max_displacement", None) is not None
        )
        kept = self._kept(dataset) if limited else None

        def entry(m: np.ndarray) -> dict[str, Any]:
            k = m & has
            force = _rmse(np.asarray(f_ref)[k], f_pred[k]) if k.any() else None
            out = {
                "n": int(m.sum()),
                "rmse": _rmse(y[m], mean[m]),
                "mae": _mae(y[m], mean[m]),
                "force_rmse": force,
                "n_kept": None,
                "rmse_kept": None,
            }
            if kept is not None:
                out["n_kept"] = int((m & kept).sum())
                out["rmse_kept"] = _rmse(y[m & kept], mean[m & kept]) if (m & kept).any() else None
            return out

        out: dict[str, Any] = {sid: entry(sids == sid) for sid in sorted(set(sids.tolist()))}
        out["all"] = entry(np.ones(len(y), dtype=bool))
        return out

    def _check_dataset_species(self, dataset: Any) -> None:
        d = self.descriptor_
        if dataset.species != d.mobile:
            raise InputError(
                f"data set's mobile species is {dataset.species!r}; the model was trained for "
                f"{d.mobile!r}"
            )
        unknown = sorted(set(dataset.host_species) - set(d.species))
        if unknown:
            raise InputError(
                f"data set hosts contain species {unknown}; the model knows {d.species}"
            )

    def surface(self, sample: Atoms, *, device: str | torch.device = "cpu") -> NNPSurface:
        """Bind the model to one host: the EnergySurface of DESIGN.md.

        Parameters
        ----------
        sample : ase.Atoms
            The host structure (without the mobile atom), periodic.
        device : str or torch.device
            Where the surface evaluates.

        Returns
        -------
        NNPSurface
        """
        self._check_fitted()
        return NNPSurface(self, sample, device=device)

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        """Write ``MODEL.safetensors`` (weights) and ``MODEL.json`` (everything else).

        Parameters
        ----------
        path : str or Path
            ``MODEL``, ``MODEL.json`` or ``MODEL.safetensors``.

        Returns
        -------
        Path
            The JSON file.
        """
        from safetensors.torch import save_file

        self._check_fitted()
        json_path, st_path = model_paths(path)
        json_path.parent.mkdir(parents=True, exist_ok=True)
        tensors = {}
        for k, (w, b) in enumerate(zip(self.weights_, self.biases_, strict=True)):
            tensors[f"layer{k}.weight"] = w.contiguous()
            tensors[f"layer{k}.bias"] = b.contiguous()
        save_file(tensors, str(st_path), metadata={"format": FORMAT})
        desc_params = self.descriptor_.get_params()
        params = {k: getattr(self, k) for k in self._PARAMS}
        params["hidden"] = list(self.hidden_)
        doc = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "target": "e_insert",
            "units": {"energy": "eV", "length": "Å"},
            "descriptor": {"class": "SymmetryFunctions", **desc_params},
            "descriptor_sha256": _descriptor_hash(desc_params),
            "species": {"host": desc_params["species"], "mobile": desc_params["mobile"]},
            "architecture": {
                "n_features": self.n_features_in_,
                "hidden": list(self.hidden_),
                "activation": self.activation,
                "n_models": len(self.weights_[0]),
            },
            "params": params,
            "scaling": {
                "x_mean": [float(v) for v in self.scaler_mean_],
                "x_scale": [float(v) for v in self.scaler_scale_],
                "y_mean": self.y_mean_,
                "y_scale": self.y_scale_,
            },
            "metrics": {
                "rmse_test": self.rmse_test_,
                "mae_test": self.mae_test_,
                "rmse_train": self.rmse_train_,
                "mae_train": self.mae_train_,
                "member_rmse_test": self.member_rmse_test_,
                "rmse_force_test": getattr(self, "rmse_force_test_", None),
                "rmse_test_kept": getattr(self, "rmse_test_kept_", None),
                "mae_test_kept": getattr(self, "mae_test_kept_", None),
                "n_test_kept": getattr(self, "n_test_kept_", None),
                "n_excluded": getattr(self, "n_excluded_", 0),
                "n_train": self.n_train_,
                "n_validation": self.n_validation_,
                "n_test": self.n_test_,
                "fit_seconds": self.fit_seconds_,
            },
            "test_index": [int(i) for i in self.test_index_],
            "dataset": self.data_info_,
            "weights": {"file": st_path.name, "sha256": _sha256_file(st_path)},
        }
        json_path.write_text(json.dumps(doc, indent=1))
        return json_path

    @classmethod
    def load(
        cls, path: str | Path, *, descriptor: SymmetryFunctions | None = None
    ) -> SimplifiedNNP:
        """Read a model written by :meth:`save`, checking its integrity.

        Parameters
        ----------
        path : str or Path
            ``MODEL``, ``MODEL.json`` or ``MODEL.safetensors``.
        descriptor : SymmetryFunctions, optional
            If given, the model must have been made with exactly this descriptor set.

        Raises
        ------
        InputError
            Missing, unreadable, truncated or tampered files (SHA-256 mismatch), another format, a
            descriptor set that differs from ``descriptor`` or from the weights' shapes, unknown
            species.
        """
        from safetensors.torch import load

        json_path, st_path = model_paths(path)
        if not json_path.is_file():
            raise InputError(f"model file {str(json_path)!r} does not exist")
        try:
            doc = json.loads(json_path.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(f"model file {str(json_path)!r} is not valid JSON ({exc})") from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise InputError(f"model file {str(json_path)!r} is not a {FORMAT} file")
        if doc.get("format_version") != FORMAT_VERSION:
            raise InputError(
                f"model file {str(json_path)!r} has format version {doc.get('format_version')}; "
                f"expected {FORMAT_VERSION}"
            )
        try:
            st_path = _weights_path(json_path, st_path, doc["weights"]["file"])
            raw = st_path.read_bytes()
            if hashlib.sha256(raw).hexdigest() != doc["weights"]["sha256"]:
                raise InputError(
                    f"model weights {str(st_path)!r} do not match the SHA-256 in "
                    f"{json_path.name}: the file is truncated or tampered with"
                )
            try:
                tensors = load(raw)
            except Exception as exc:  # safetensors raises its own error types
                raise InputError(f"model weights {str(st_path)!r} are unreadable ({exc})") from None
            dp = doc["descriptor"]
            if _descriptor_hash({k: dp[k] for k in _DESC_KEYS}) != doc["descriptor_sha256"]:
                raise InputError(
                    f"model file {str(json_path)!r}: descriptor parameters do not match their "
                    "recorded hash (edited file)"
                )
            desc = SymmetryFunctions(
                species=dp["species"],
                r_cut=dp["r_cut"],
                g2_params=dp["g2_params"],
                g4_params=dp["g4_params"],
                mobile=dp["mobile"],
            )
            if descriptor is not None and descriptor.get_params() != desc.get_params():
                raise InputError(
                    f"model {str(json_path)!r} was made with another descriptor set "
                    f"({desc.n_features} features, species {desc.species}, r_cut {desc.r_cut}) "
                    f"than the one expected ({descriptor.n_features} features, species "
                    f"{descriptor.species}, r_cut {descriptor.r_cut})"
                )
            arch = doc["architecture"]
            n_layers = len(arch["hidden"]) + 1
            weights = [tensors[f"layer{k}.weight"].to(torch.float64) for k in range(n_layers)]
            biases = [tensors[f"layer{k}.bias"].to(torch.float64) for k in range(n_layers)]
            if weights[0].shape[1] != desc.n_features or arch["n_features"] != desc.n_features:
                raise InputError(
                    f"model {str(json_path)!r} was made with another descriptor set: the network "
                    f"takes {weights[0].shape[1]} features, its descriptor gives {desc.n_features}"
                )
            params = dict(doc["params"])
            params["hidden"] = tuple(params["hidden"])
            model = cls(descriptor=desc, **params)
            model._validate_params()
            sc = doc["scaling"]
            model.descriptor_ = desc
            model.n_features_in_ = desc.n_features
            model.hidden_ = tuple(arch["hidden"])
            model.weights_ = weights
            model.biases_ = biases
            model.scaler_mean_ = np.asarray(sc["x_mean"], dtype=float)
            model.scaler_scale_ = np.asarray(sc["x_scale"], dtype=float)
            model.y_mean_ = float(sc["y_mean"])
            model.y_scale_ = float(sc["y_scale"])
            if model.scaler_mean_.shape != (desc.n_features,):
                raise InputError(f"model {str(json_path)!r}: scaling has the wrong length")
            m = doc["metrics"]
            model.rmse_test_, model.mae_test_ = m["rmse_test"], m["mae_test"]
            model.rmse_train_, model.mae_train_ = m["rmse_train"], m["mae_train"]
            model.member_rmse_test_ = m["member_rmse_test"]
            model.rmse_force_test_ = m.get("rmse_force_test")
            model.rmse_test_kept_, model.mae_test_kept_ = (
                m.get("rmse_test_kept"),
                m.get("mae_test_kept"),
            )
            model.n_test_kept_, model.n_excluded_ = m.get("n_test_kept"), m.get("n_excluded", 0)
            model.n_train_, model.n_validation_ = m["n_train"], m["n_validation"]
            model.n_test_, model.fit_seconds_ = m["n_test"], m["fit_seconds"]
            model.test_index_ = np.asarray(doc["test_index"], dtype=int)
            model.data_info_ = doc["dataset"]
            model.data_hash_ = doc["dataset"]["hash"]
            # SHA-256 of the weights read (checked above), whichever file held them
            model.weights_sha256_ = str(doc["weights"]["sha256"])
        except KeyError as exc:
            raise InputError(f"model file {str(json_path)!r} lacks the entry {exc}") from None
        return model

    def __repr__(self) -> str:
        changed = {
            k: v
            for k, v in self.get_params().items()
            if k == "descriptor" and v is not None or k != "descriptor" and v != _DEFAULTS.get(k)
        }
        inner = ", ".join(f"{k}={v!r}" for k, v in changed.items())
        return f"SimplifiedNNP({inner})"


def _min_host_distance(dataset) -> float:
    """Smallest distance (Å, periodic) of any point of ``dataset`` to a host atom of its sample."""
    from ase.geometry import get_distances

    best = math.inf
    for sid in np.unique(dataset.sample_ids):
        host = dataset.hosts[str(sid)]
        pos = dataset.positions[dataset.sample_ids == sid]
        _, d = get_distances(pos, host.positions, cell=host.cell, pbc=host.pbc)
        best = min(best, float(d.min()))
    return round(best, 4)


_DESC_KEYS = ("species", "mobile", "r_cut", "g2_params", "g4_params")
_DEFAULTS = {k: v for k, v in SimplifiedNNP().get_params().items() if k != "descriptor"}


def _descriptor_hash(params: dict[str, Any]) -> str:
    canon = json.dumps({k: params[k] for k in _DESC_KEYS}, sort_keys=True)
    return hashlib.sha256(canon.encode()).hexdigest()


class NNPSurface:
    """A trained :class:`SimplifiedNNP` bound to one host: an EnergySurface (DESIGN.md).

    Attributes
    ----------
    cell : Tensor, shape (3, 3)
        Lattice vectors as rows, Å (float64, on the surface's device).
    host : ase.Atoms
        The host structure.
    species : str
        The mobile species.
    min_host_distance : float or None
        The model's domain: the smallest distance of a training point to a host atom, Å. Closer
        to a host atom the network extrapolates (it never saw the repulsion there), so the site
        and hop searches keep out (:func:`landscape.sites.find_sites`). ``None`` for models saved
        before it was recorded.
    """

    def __init__(
        self, model: SimplifiedNNP, host: Atoms, *, device: str | torch.device = "cpu"
    ) -> None:
        if not isinstance(host, Atoms) or len(host) == 0:
            raise InputError("surface() needs a non-empty ase.Atoms host")
        if not all(host.pbc):
            raise InputError(f"surface() needs a host periodic on all axes, got pbc={host.pbc}")
        from ._checks import check_device

        self.device = torch.device(check_device(device, "device"))
        self.host = host.copy()
        self.species = model.descriptor_.mobile
        self.descriptor = copy.deepcopy(model.descriptor_).to(self.device)
        self._host_tensors = self.descriptor.host_tensors(host, device=self.device)
        self.cell = self._host_tensors.cell
        self._ensemble = model._ensemble(self.device)
        self._x_mean = torch.as_tensor(model.scaler_mean_, dtype=torch.float64, device=self.device)
        self._x_scale = torch.as_tensor(
            model.scaler_scale_, dtype=torch.float64, device=self.device
        )
        self._y_mean, self._y_scale = model.y_mean_, model.y_scale_
        self.chunk_size = self.descriptor.chunk_size
        d = (getattr(model, "data_info_", None) or {}).get("min_host_distance")
        self.min_host_distance = None if d is None else float(d)

    def _positions(self, positions: Any) -> Tensor:
        p = torch.as_tensor(positions, dtype=torch.float64, device=self.device)
        if p.ndim != 2 or p.shape[1] != 3:
            raise InputError(f"positions must have shape (n, 3), got {tuple(p.shape)}")
        return p

    def member_energies(self, positions: Tensor) -> Tensor:
        """Energies of every ensemble member, (M, n), eV (differentiable in ``positions``)."""
        x = self.descriptor(self._host_tensors, positions)  # (n, F)
        return self._ensemble((x - self._x_mean) / self._x_scale) * self._y_scale + self._y_mean

    def _chunks(self, p: Tensor) -> tuple[list[Tensor], Tensor]:
        """Index chunks in neighbour-count order (less padding) and the inverse permutation."""
        if len(p) <= self.chunk_size:
            idx = torch.arange(len(p), device=p.device)
            return [idx], idx
        order = self.descriptor.neighbour_order(self._host_tensors, p)  # (n,)
        return list(torch.split(order, self.chunk_size)), torch.argsort(order)

    def energy(self, positions: Any) -> Tensor:
        """Ensemble-mean insertion energies (n,), eV, without forces."""
        p = self._positions(positions)
        chunks, inverse = self._chunks(p)
        with torch.no_grad():
            return torch.cat([self.member_energies(p[i]).mean(0) for i in chunks])[inverse]

    def energy_and_forces(self, positions: Any) -> tuple[Tensor, Tensor]:
        """Insertion energies and forces on the mobile atom.

        Parameters
        ----------
        positions : Tensor, shape (n, 3)
            Mobile-atom positions, Å.

        Returns
        -------
        energy : Tensor, shape (n,)
            Ensemble-mean ``e_insert``, eV.
        forces : Tensor, shape (n, 3)
            ``−∇E`` by autograd, eV/Å.
        """
        p = self._positions(positions)
        chunks, inverse = self._chunks(p)
        energies, forces = [], []
        with torch.enable_grad():
            for i in chunks:
                c = p[i].detach().requires_grad_(True)
                e = self.member_energies(c).mean(0)  # (n,)
                (g,) = torch.autograd.grad(e.sum(), c)
                energies.append(e.detach())
                forces.append(-g)
        return torch.cat(energies)[inverse], torch.cat(forces)[inverse]

    def uncertainty(self, positions: Any) -> Tensor:
        """Ensemble standard deviation (n,), eV (zeros for a single member)."""
        p = self._positions(positions)
        with torch.no_grad():
            chunks, inverse = self._chunks(p)
            out = []
            for i in chunks:
                e = self.member_energies(p[i])  # (M, n)
                out.append(e.std(0) if e.shape[0] > 1 else torch.zeros_like(e[0]))
            return torch.cat(out)[inverse]


class NNPCalculator(Calculator):
    """ASE calculator of the simplified NNP for a host plus one mobile atom.

    The energy is the predicted insertion energy ``e_insert`` (eV, the host's own energy not
    included); the forces act on the mobile atom only (host atoms get zero: their relaxation is
    implicit in the model).

    Parameters
    ----------
    model : SimplifiedNNP
        A fitted or loaded model.
    host : ase.Atoms
        The host the model is bound to (the atoms passed to the calculator must hold exactly these
        host atoms and one mobile atom).
    device : str
        Torch device.

    Examples
    --------
    >>> atoms = host + Atoms("Cu", positions=[p])          # doctest: +SKIP
    >>> atoms.calc = NNPCalculator(model, host)             # doctest: +SKIP
    >>> atoms.get_potential_energy()                        # doctest: +SKIP
    """

    implemented_properties = ["energy", "free_energy", "forces"]

    def __init__(
        self, model: SimplifiedNNP, host: Atoms, *, device: str = "cpu", **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.model = model
        self.surface = model.surface(host, device=device)
        self._host_symbols = sorted(host.get_chemical_symbols())

    def calculate(
        self,
        atoms: Atoms | None = None,
        properties: list[str] | tuple[str, ...] = ("energy",),
        system_changes: list[str] = all_changes,
    ) -> None:
        super().calculate(atoms, properties, system_changes)
        symbols = self.atoms.get_chemical_symbols()
        mobile = [i for i, s in enumerate(symbols) if s == self.surface.species]
        host_symbols = sorted(s for s in symbols if s != self.surface.species)
        if len(mobile) != 1 or host_symbols != self._host_symbols:
            raise InputError(
                f"NNPCalculator expects the bound host ({len(self._host_symbols)} atoms) plus one "
                f"{self.surface.species} atom; got {len(symbols)} atoms with {len(mobile)} "
                f"{self.surface.species}"
            )
        i = mobile[0]
        e, f = self.surface.energy_and_forces(self.atoms.positions[i : i + 1])
        forces = np.zeros((len(self.atoms), 3))
        forces[i] = f[0].cpu().numpy()
        energy = float(e[0])
        self.results = {"energy": energy, "free_energy": energy, "forces": forces}
