"""The simplified neural-network potential: one network for the mobile atom's position.

Li, Ando & Watanabe (J. Phys. Soc. Jpn. 86, 104004 (2017)) map the symmetry functions of the mobile
atom's host neighbourhood to the energy of the whole system after the host relaxed around it. The
host's response is implicit in the data, so one small feed-forward network replaces a potential for
every atom. :class:`SimplifiedNNP` learns the insertion energy ``e_insert`` (eV) of a
:class:`~landscape.reference.dataset.ReferenceDataset`, as an ensemble whose spread is the
uncertainty; :meth:`SimplifiedNNP.surface` binds it to one host as an EnergySurface
(:class:`~landscape.nnp.surface.NNPSurface`). The members are trained by
:mod:`landscape.nnp.training`; the model files are written and read by :mod:`landscape.nnp.io`.
"""

from __future__ import annotations

import copy
import math
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from ase import Atoms

from ..config import DEFAULTS
from ..errors import InputError
from .descriptors import SymmetryFunctions
from .evaluation import score_model, set_fit_metrics
from .io import load_model, save_model
from .surface import NNPSurface
from .training import (
    ACTIVATIONS,
    StackedEnsemble,
    TrainSettings,
    dataset_features,
    member_splits,
    reference_forces,
    split_points,
    stack_members,
    stacked_ensemble,
    standardise,
    train_members,
)

__all__ = ["SimplifiedNNP"]


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
        Held-out test share (0.1: 200 of 2000 points, as in Li, Ando & Watanabe 2017).
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
        Weight of the force term in the loss (0: energies only, as in Li, Ando & Watanabe 2017). The data set's
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
        ``None`` (default): use every point, as Li, Ando & Watanabe (2017) do.
    bootstrap : bool
        Draw each member's training points with replacement (bagging) in addition to its own seed
        and validation split.
    random_state : int
        Seed of every random draw (splits, initialisation, mini-batches).
    device : str
        Torch device used for training.
    train_together : bool
        Train every member at once as one stacked computation (default): one optimiser step updates
        all members, each with its own initialisation, split, mini-batch order and early stopping,
        and L-BFGS polishes them together with a backtracking line search per member
        (:mod:`landscape.nnp.stacked_training`). ``False``: one member after another (or in
        ``n_jobs`` processes) with torch's L-BFGS; the weights then equal those of earlier
        versions bit for bit.
    precision : {"float32", "float64"}
        Arithmetic of the stacked training (``train_together``; default float32: on the demo's
        data twice as fast as float64 for the same held-out error). The fitted weights, features
        and predictions are float64 either way.
    n_jobs : int
        Processes that train the members side by side on the CPU (one torch thread each; -1: one
        per CPU core; default 1, in this process). The weights do not depend on it: each member
        depends only on its seed. The processes are spawned, so a script that calls :meth:`fit`
        with ``n_jobs > 1`` needs the usual ``if __name__ == "__main__":`` guard. Ignored on a
        GPU device and with ``train_together`` (torch's own threads then share the work). Not
        saved with the model.
    verbose : bool
        Show a progress bar during :meth:`fit`.
    """

    def __init__(
        self,
        *,
        descriptor: SymmetryFunctions | None = None,
        hidden: tuple[int, ...] = DEFAULTS.nnp_hidden,
        activation: str = "tanh",
        n_models: int = DEFAULTS.nnp_n_models,
        test_fraction: float = 0.1,
        validation_fraction: float = 0.1,
        max_epochs: int = DEFAULTS.nnp_max_epochs,
        lbfgs_steps: int = DEFAULTS.nnp_lbfgs_steps,
        patience: int = DEFAULTS.nnp_patience,
        batch_size: int = DEFAULTS.nnp_batch_size,
        learning_rate: float = DEFAULTS.nnp_learning_rate,
        alpha: float = 1e-4,
        force_weight: float = 0.0,
        network_weight: float = 1.0,
        max_host_displacement: float | None = None,
        bootstrap: bool = False,
        random_state: int = 0,
        device: str = "cpu",
        train_together: bool = DEFAULTS.nnp_train_together,
        precision: str = DEFAULTS.nnp_precision,
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
        self.train_together = train_together
        self.precision = precision
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
        "train_together",
        "precision",
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
        _validate_params(self)

    def _check_dataset(self, dataset: Any) -> SymmetryFunctions:
        return _check_dataset(self.descriptor, dataset)

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
        rest; every member draws its own validation split (``validation_fraction`` of the rest),
        initialisation and mini-batch order from ``random_state``, trains with Adam (early stopping
        on validation RMSE, ``patience``), then L-BFGS, and keeps the state with the lowest
        validation RMSE (:mod:`landscape.nnp.training`).

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
        origin = getattr(dataset, "origin", None)
        targeted = np.zeros(n, bool) if origin is None else np.asarray(origin) == "network"
        rng = np.random.default_rng(self.random_state)
        split = split_points(
            targeted,
            self._kept(dataset),
            rng,
            test_fraction=self.test_fraction,
            validation_fraction=self.validation_fraction,
            max_host_displacement=self.max_host_displacement,
        )
        hidden = tuple(int(h) for h in self.hidden)
        t0 = time.perf_counter()
        device = torch.device(self.device)
        desc = copy.deepcopy(desc).to(device)
        jac = f_ref = None
        if float(self.force_weight) > 0.0:
            x, jac = dataset_features(desc, dataset, jacobian=True)  # (n, F), (n, F, 3)
            f_ref = reference_forces(dataset)  # (n, 3), NaN rows without forces
        else:
            x = dataset_features(desc, dataset)  # (n, F)
        t_features = time.perf_counter() - t0
        y = np.asarray(dataset.e_insert, dtype=float)  # (n,)
        # per-point loss weights (n,): targeted points count network_weight times
        weights = np.where(targeted, float(self.network_weight), 1.0)
        data, scaling = standardise(x, y, jac, f_ref, split.rest, weights, device)
        member_seeds = rng.integers(0, 2**31 - 1, size=int(self.n_models))
        splits = member_splits(member_seeds, split.rest, split.n_val, self.bootstrap)
        members, history = train_members(
            _train_settings(self),
            splits,
            data,
            hidden,
            device,
            self._n_workers(),
            together=bool(self.train_together),
            progress=progress,
            verbose=self.verbose,
            n_points=n,
        )
        weights_, biases_ = stack_members(members)
        self.descriptor_ = desc.cpu()
        self.n_features_in_ = int(data[0].shape[1])
        self.hidden_ = hidden
        self.weights_ = [w.cpu() for w in weights_]
        self.biases_ = [b.cpu() for b in biases_]
        self.scaler_mean_, self.scaler_scale_, self.y_mean_, self.y_scale_ = scaling
        self.history_ = history
        self.test_index_ = split.test
        self.validation_index_ = [val.tolist() for _seed, _train, val in splits]
        self.fit_seconds_ = time.perf_counter() - t0
        self.feature_seconds_ = t_features
        set_fit_metrics(self, dataset, split, x, y, jac, f_ref)
        return self

    def _n_workers(self) -> int:
        """Worker processes for the members: ``n_jobs``, with -1 meaning every CPU core."""
        n = int(self.n_jobs)
        return (os.cpu_count() or 1) if n == -1 else n

    # ------------------------------------------------------------------ prediction
    def _check_fitted(self) -> None:
        if not hasattr(self, "weights_"):
            raise InputError("this SimplifiedNNP is not fitted; call fit() or SimplifiedNNP.load()")

    def _predict_forces_features(self, x: np.ndarray, jac: np.ndarray) -> np.ndarray:
        """Ensemble-mean forces (n, 3), eV/Å, from raw features (n, F) and d features/d r."""
        ens = self._ensemble()
        xs = torch.tensor((x - self.scaler_mean_) / self.scaler_scale_, dtype=torch.float64)
        xs.requires_grad_(True)
        (de,) = torch.autograd.grad(ens(xs).mean(0).sum(), xs)  # (n, F)
        js = torch.tensor(jac / self.scaler_scale_[None, :, None], dtype=torch.float64)
        return (-torch.einsum("nf,nfk->nk", de, js) * self.y_scale_).numpy()

    def _ensemble(self, device: str | torch.device = "cpu") -> StackedEnsemble:
        return stacked_ensemble(self.weights_, self.biases_, self.activation, device)

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
        _check_dataset_species(self.descriptor_, dataset)
        return score_model(self, dataset)

    def surface(self, sample: Atoms, *, device: str | torch.device = "cpu") -> NNPSurface:
        """Bind the model to one host: the EnergySurface of docs/design.md.

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
        self._check_fitted()
        return save_model(self, path, {k: getattr(self, k) for k in self._PARAMS})

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

        def make(desc: SymmetryFunctions, params: dict[str, Any]) -> SimplifiedNNP:
            model = cls(descriptor=desc, **params)
            model._validate_params()
            return model

        return load_model(path, make, descriptor=descriptor)

    def __repr__(self) -> str:
        changed = {
            k: v
            for k, v in self.get_params().items()
            if k == "descriptor" and v is not None or k != "descriptor" and v != _DEFAULTS.get(k)
        }
        inner = ", ".join(f"{k}={v!r}" for k, v in changed.items())
        return f"SimplifiedNNP({inner})"


_DEFAULTS = {k: v for k, v in SimplifiedNNP().get_params().items() if k != "descriptor"}


def _validate_params(model: SimplifiedNNP) -> None:
    """Check the estimator's parameters (at :meth:`SimplifiedNNP.fit` and on loading)."""
    if model.activation not in ACTIVATIONS:
        raise InputError(
            f"unknown activation {model.activation!r}; expected one of {sorted(ACTIVATIONS)}"
        )
    hidden = tuple(model.hidden)
    if not hidden or any(int(h) < 1 for h in hidden):
        raise InputError(f"hidden must be positive layer widths, got {model.hidden!r}")
    if int(model.n_models) < 1:
        raise InputError(f"n_models must be >= 1, got {model.n_models}")
    for name in ("test_fraction", "validation_fraction"):
        v = getattr(model, name)
        if not 0.0 < v < 1.0:
            raise InputError(f"{name} must lie in (0, 1), got {v}")
    for name in ("max_epochs", "patience", "batch_size"):
        if int(getattr(model, name)) < 1:
            raise InputError(f"{name} must be >= 1, got {getattr(model, name)}")
    if model.precision not in ("float32", "float64"):
        raise InputError(f"precision must be 'float32' or 'float64', got {model.precision!r}")
    if not isinstance(model.train_together, bool | np.bool_):
        raise InputError(f"train_together must be True or False, got {model.train_together!r}")
    nj = model.n_jobs
    if isinstance(nj, bool) or not isinstance(nj, int | np.integer) or (nj < 1 and nj != -1):
        raise InputError(f"n_jobs must be an integer >= 1 or -1 (every core), got {nj!r}")
    if int(model.lbfgs_steps) < 0 or model.learning_rate <= 0 or model.alpha < 0:
        raise InputError("lbfgs_steps >= 0, learning_rate > 0 and alpha >= 0 are required")
    if not (math.isfinite(float(model.force_weight)) and float(model.force_weight) >= 0.0):
        raise InputError(f"force_weight must be a finite number >= 0, got {model.force_weight}")
    nw = model.network_weight
    if not (isinstance(nw, int | float) and math.isfinite(float(nw)) and float(nw) > 0.0):
        raise InputError(f"network_weight must be a finite number > 0, got {nw!r}")
    mhd = model.max_host_displacement
    if mhd is not None and not (
        isinstance(mhd, int | float) and math.isfinite(float(mhd)) and float(mhd) > 0.0
    ):
        raise InputError(f"max_host_displacement must be None or a number > 0 Å, got {mhd!r}")
    if model.descriptor is not None and not isinstance(model.descriptor, SymmetryFunctions):
        raise InputError(
            f"descriptor must be a SymmetryFunctions, got {type(model.descriptor).__name__}"
        )


def _check_dataset(descriptor: SymmetryFunctions | None, dataset: Any) -> SymmetryFunctions:
    """The descriptor set for ``dataset`` (``descriptor`` or a default one), after checking it."""
    from ..reference.dataset import ReferenceDataset

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
    desc = descriptor
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


def _check_dataset_species(descriptor: SymmetryFunctions, dataset: Any) -> None:
    """Check that the model's descriptor knows the data set's species."""
    d = descriptor
    if dataset.species != d.mobile:
        raise InputError(
            f"data set's mobile species is {dataset.species!r}; the model was trained for "
            f"{d.mobile!r}"
        )
    unknown = sorted(set(dataset.host_species) - set(d.species))
    if unknown:
        raise InputError(f"data set hosts contain species {unknown}; the model knows {d.species}")


def _train_settings(model: SimplifiedNNP) -> TrainSettings:
    """The parameters one member's training reads."""
    names = ("activation", "max_epochs", "lbfgs_steps", "patience", "batch_size")
    names += ("learning_rate", "alpha", "force_weight", "precision")
    return TrainSettings(**{k: getattr(model, k) for k in names})
