"""Model files of the simplified NNP: ``MODEL.safetensors`` and ``MODEL.json``; never pickle.

``MODEL.safetensors`` holds the stacked weights and biases of every layer (``layer{k}.weight``
(M, n_in, n_out), ``layer{k}.bias`` (M, n_out)); ``MODEL.json`` holds everything else: descriptor
parameters (and their SHA-256), species, scaling, architecture, the estimator's parameters, metrics,
the data set's hash and the SHA-256 of the weights file, checked on loading.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..errors import InputError
from .descriptors import SymmetryFunctions

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "model_paths",
    "weights_path",
    "descriptor_hash",
    "save_model",
    "load_model",
]

FORMAT = "landscape-nnp"
FORMAT_VERSION = 1

#: The descriptor parameters that define the features (and their hash).
DESC_KEYS = ("species", "mobile", "r_cut", "g2_params", "g4_params")


def sha256_file(path: Path) -> str:
    """SHA-256 (hex) of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def descriptor_hash(params: dict[str, Any]) -> str:
    """SHA-256 (hex) of the descriptor parameters in :data:`DESC_KEYS` (canonical JSON)."""
    canon = json.dumps({k: params[k] for k in DESC_KEYS}, sort_keys=True)
    return hashlib.sha256(canon.encode()).hexdigest()


def model_paths(path: str | Path) -> tuple[Path, Path]:
    """``(MODEL.json, MODEL.safetensors)`` for a path given with either suffix or none."""
    p = Path(path)
    if p.suffix in (".json", ".safetensors"):
        p = p.with_suffix("")
    return p.with_name(p.name + ".json"), p.with_name(p.name + ".safetensors")


def weights_path(json_path: Path, sibling: Path, named: str) -> Path:
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


def save_model(model: Any, path: str | Path, params: dict[str, Any]) -> Path:
    """Write a fitted model's ``MODEL.safetensors`` and ``MODEL.json``; returns the JSON file.

    ``params`` are the estimator's saved parameters (``hidden`` is replaced by the fitted widths).
    """
    from safetensors.torch import save_file

    json_path, st_path = model_paths(path)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {}
    for k, (w, b) in enumerate(zip(model.weights_, model.biases_, strict=True)):
        tensors[f"layer{k}.weight"] = w.contiguous()
        tensors[f"layer{k}.bias"] = b.contiguous()
    save_file(tensors, str(st_path), metadata={"format": FORMAT})
    desc_params = model.descriptor_.get_params()
    params = dict(params)
    params["hidden"] = list(model.hidden_)
    doc = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "target": "e_insert",
        "units": {"energy": "eV", "length": "Å"},
        "descriptor": {"class": "SymmetryFunctions", **desc_params},
        "descriptor_sha256": descriptor_hash(desc_params),
        "species": {"host": desc_params["species"], "mobile": desc_params["mobile"]},
        "architecture": {
            "n_features": model.n_features_in_,
            "hidden": list(model.hidden_),
            "activation": model.activation,
            "n_models": len(model.weights_[0]),
        },
        "params": params,
        "scaling": {
            "x_mean": [float(v) for v in model.scaler_mean_],
            "x_scale": [float(v) for v in model.scaler_scale_],
            "y_mean": model.y_mean_,
            "y_scale": model.y_scale_,
        },
        "metrics": {
            "rmse_test": model.rmse_test_,
            "mae_test": model.mae_test_,
            "rmse_train": model.rmse_train_,
            "mae_train": model.mae_train_,
            "member_rmse_test": model.member_rmse_test_,
            "rmse_force_test": getattr(model, "rmse_force_test_", None),
            "rmse_test_kept": getattr(model, "rmse_test_kept_", None),
            "mae_test_kept": getattr(model, "mae_test_kept_", None),
            "n_test_kept": getattr(model, "n_test_kept_", None),
            "n_excluded": getattr(model, "n_excluded_", 0),
            "n_train": model.n_train_,
            "n_validation": model.n_validation_,
            "n_test": model.n_test_,
            "fit_seconds": model.fit_seconds_,
            "feature_seconds": getattr(model, "feature_seconds_", None),
        },
        "test_index": [int(i) for i in model.test_index_],
        "dataset": model.data_info_,
        "weights": {"file": st_path.name, "sha256": sha256_file(st_path)},
    }
    json_path.write_text(json.dumps(doc, indent=1))
    return json_path


def _read_document(json_path: Path) -> dict[str, Any]:
    """The model JSON, checked to be a ``landscape-nnp`` file of the current format version."""
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
    return doc


def _read_weights(json_path: Path, st_path: Path, doc: dict[str, Any]) -> dict[str, torch.Tensor]:
    """The tensors of the weights file, after checking its SHA-256 against the JSON's."""
    from safetensors.torch import load

    st_path = weights_path(json_path, st_path, doc["weights"]["file"])
    raw = st_path.read_bytes()
    if hashlib.sha256(raw).hexdigest() != doc["weights"]["sha256"]:
        raise InputError(
            f"model weights {str(st_path)!r} do not match the SHA-256 in "
            f"{json_path.name}: the file is truncated or tampered with"
        )
    try:
        return load(raw)
    except Exception as exc:  # safetensors raises its own error types
        raise InputError(f"model weights {str(st_path)!r} are unreadable ({exc})") from None


def _read_descriptor(
    json_path: Path, doc: dict[str, Any], descriptor: SymmetryFunctions | None
) -> SymmetryFunctions:
    """The saved descriptor set, checked against its hash and against ``descriptor`` if given."""
    dp = doc["descriptor"]
    if descriptor_hash({k: dp[k] for k in DESC_KEYS}) != doc["descriptor_sha256"]:
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
    return desc


def _set_metrics(model: Any, doc: dict[str, Any]) -> None:
    """The saved metrics, test index and data-set record as the model's learned state."""
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
    model.feature_seconds_ = m.get("feature_seconds")
    model.test_index_ = np.asarray(doc["test_index"], dtype=int)
    model.data_info_ = doc["dataset"]
    model.data_hash_ = doc["dataset"]["hash"]
    # SHA-256 of the weights read (checked above), whichever file held them
    model.weights_sha256_ = str(doc["weights"]["sha256"])


def load_model(
    path: str | Path,
    make: Callable[[SymmetryFunctions, dict[str, Any]], Any],
    *,
    descriptor: SymmetryFunctions | None = None,
) -> Any:
    """Read a model written by :func:`save_model`, checking its integrity.

    ``make(descriptor, params)`` builds the (validated, unfitted) estimator from the saved
    parameters; its learned state is then set from the files.

    Raises
    ------
    InputError
        Missing, unreadable, truncated or tampered files (SHA-256 mismatch), another format, a
        descriptor set that differs from ``descriptor`` or from the weights' shapes.
    """
    json_path, st_path = model_paths(path)
    doc = _read_document(json_path)
    try:
        tensors = _read_weights(json_path, st_path, doc)
        desc = _read_descriptor(json_path, doc, descriptor)
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
        # files written before members trained together trained them one after another
        params.setdefault("train_together", False)
        params.setdefault("precision", "float64")
        model = make(desc, params)
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
        _set_metrics(model, doc)
    except KeyError as exc:
        raise InputError(f"model file {str(json_path)!r} lacks the entry {exc}") from None
    return model
