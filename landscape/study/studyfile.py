"""The study file: a TOML description of a whole landscape study, validated strictly.

Every key is known and typed; an unknown key or a value of the wrong type is an
:class:`~landscape.errors.InputError` that names the key and the expected type, before anything runs.

Example
-------
.. code-block:: toml

    [study]
    name = "demo"                # str
    out = "results"              # str, results folder
    species = "Cu"               # str, the mobile species
    workers = 1                  # per-sample stages (sites, hops, kinetics, validation): local
                                 # processes, one sample each (1: one after another, here)
    scheduler = ""               # a dask.distributed scheduler address for them instead
    cluster = {}                 # or a dask-jobqueue cluster: {type = "slurm", jobs = 4, ...}

    [[samples]]
    source = "a-Ta2O5-1a"        # bundled sample name or a structure file

    [reference]
    db = "bundled"               # "bundled" (shipped CHGNet data) or a path to an ASE database
    calculator = "chgnet"        # for missing points and hop validation: a name or "module:Class"
    calculator_kwargs = {}       # table of the calculator's keyword arguments
    points = 0                   # compute missing points up to this count per sample (0: reuse only)
    workers = 1                  # local worker processes for missing points
    seed = 0                     # seed of the missing points (their ids: from 1e8 + 1e6 * seed)
    targeted_rounds = 0          # rounds of points at the sites and saddles of the training
                                 # samples' networks, each followed by retraining (0: none)
    min_distance = 1.6           # Å, closest a point may be to a host atom
    relax_radius = 5.0           # Å, host atoms this close to the mobile atom relax (0: all)
    fmax = 0.05                  # eV/Å, host relaxation criterion
    max_steps = 300              # host relaxation steps at most
    optimizer = "BFGS"           # "BFGS", "LBFGS" or "FIRE"

    [nnp]
    model = ""                   # a saved model to load; empty: train
    train_samples = ["a-Ta2O5-1a"]
    n_models = 5
    hidden = [32, 32]            # hidden-layer widths
    max_epochs = 400             # Adam epochs at most
    patience = 40                # Adam epochs without validation improvement before stopping
                                 # (max_epochs: Adam runs to the end, the best state is kept)
    lbfgs_steps = 200            # L-BFGS steps after Adam, on the whole training set (0: none)
    n_jobs = 1                   # processes training the members side by side (-1: every core)
    train_together = true        # all members at once, stacked (false: one after another)
    precision = "float32"        # arithmetic of the stacked training ("float64": slower)
    batch_size = 64              # Adam mini-batch, points per member
    learning_rate = 0.01         # initial Adam learning rate (decays 100x over max_epochs)
    force_weight = 0.0           # weight of the reference forces on the mobile atom in the loss
    network_weight = 1.0         # loss weight of targeted points (origin "network") vs the others
    max_host_displacement = 0.0  # Å; train only on points that moved no host atom farther (0: all)

    [sites]                      # landscape.explore.find_sites keywords
    grid_spacing = 0.25
    guide = true                 # pre-relax grid minima on a spline of the NNP

    [hops]                       # landscape.explore.find_hops keywords
    max_distance = 4.5           # Å, candidate pairs; "auto": 1.6 × (V / N_sites)^(1/3), clipped
                                 # to [2, 6] Å, after the site search (landscape.study.scaffold)
    guide = true                 # relax bands on a spline of the NNP, saddles polished on the NNP

    [kinetics]
    temperatures = [500.0, 600.0, 700.0, 800.0]
    methods = ["exact", "kmc"]
    walkers = 1000
    kmc_steps = 2000               # at least; longer where needed to be diffusive (kmc_cells)
    kmc_cells = 3.0                # RMS displacement the KMC walk must reach, cell lengths
    kmc_hop_budget = 3e8           # moves per temperature at most (longer: flagged not diffusive)
    kmc_superbasins = true         # traps as superbasins (mean-rate method; exact long-time D)

    [validate]                   # reference energies along NNP hops (landscape.explore.validate_hops)
    hops = 0                     # hops checked per sample, spread over the barriers (0: none)
    samples = []                 # sample ids to check (empty: every sample)

    [store]
    uri = ""                     # empty: the embedded database (or $LANDSCAPE_NEO4J_URI)

    [compare]                    # optional: an experiment set beside the computed Eₐ (no cache key)
    Ea_eV = 0.221                # eV, measured activation energy (required in this section)
    Ea_err_eV = 0.0              # eV, its one-sigma uncertainty (0: not given)
    D0_cm2_s = 2.40e-3           # cm²/s, measured prefactor (optional, > 0)
    temperatures = [278.0, 333.0]  # K, measured range [T_min, T_max] (optional)
    citation = "H. Hagi, Mater. Trans. JIM 31, 842 (1990)"  # required with any number
    label = "H in Pd, electrochemical permeation"     # optional
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, get_args, get_origin, get_type_hints

from .._checks import check_number, check_species
from ..config import DEFAULTS
from ..errors import InputError
from ..reference.relax import OPTIMIZERS

__all__ = ["CompareSection", "StudyConfig", "check_study_paths", "load_study", "parse_study"]

#: First point id of a study's own random points of ``reference.seed`` 0; seed ``s`` starts at
#: ``STUDY_RANDOM_FIRST_ID + 1_000_000 * s``. Above every id of the shipped data set (its blocks
#: end below 10**7; tests/reference/test_shipped_data.py), so that a study adding points to the
#: bundled data never meets one of its ids.
STUDY_RANDOM_FIRST_ID = 100_000_000

#: ``hops.max_distance``: a distance (Å) or ``"auto"`` (resolved after the site search by
#: :func:`landscape.study.scaffold.auto_hop_distance`).
DistanceOrAuto = float | Literal["auto"]

#: First point id of targeted round ``r`` (1, 2, ...): ``TARGETED_FIRST_ID + 1_000_000 * (r - 1)``,
#: clear of the blocks of the random points of any ``reference.seed`` below ``SEED_LIMIT``.
TARGETED_FIRST_ID = 500_000_000
#: ``reference.seed`` must be below this (400), so that its id block stays below the targeted ones
SEED_LIMIT = (TARGETED_FIRST_ID - STUDY_RANDOM_FIRST_ID) // 1_000_000


@dataclass
class StudySection:
    name: str = "study"
    out: str = "results"
    species: str = "Cu"
    seed: int = 0
    workers: int = 1
    scheduler: str = ""
    cluster: dict[str, Any] = field(default_factory=dict)


@dataclass
class SampleSpec:
    source: str = ""
    sample_id: str = ""


@dataclass
class ReferenceSection:
    db: str = "bundled"
    calculator: str = "chgnet"
    calculator_kwargs: dict[str, Any] = field(default_factory=dict)
    points: int = 0
    workers: int = 1
    seed: int = 0
    targeted_rounds: int = 0
    min_distance: float = DEFAULTS.min_insert_distance
    relax_radius: float = DEFAULTS.relax_radius
    fmax: float = DEFAULTS.host_fmax
    max_steps: int = DEFAULTS.host_max_steps
    optimizer: str = DEFAULTS.host_optimizer


@dataclass
class NNPSection:
    model: str = ""
    train_samples: list[str] = field(default_factory=list)
    n_models: int = DEFAULTS.nnp_n_models
    hidden: list[int] = field(default_factory=lambda: list(DEFAULTS.nnp_hidden))
    max_epochs: int = DEFAULTS.nnp_max_epochs
    patience: int = DEFAULTS.nnp_patience
    lbfgs_steps: int = DEFAULTS.nnp_lbfgs_steps
    n_jobs: int = 1
    train_together: bool = DEFAULTS.nnp_train_together
    precision: str = DEFAULTS.nnp_precision
    batch_size: int = DEFAULTS.nnp_batch_size
    learning_rate: float = DEFAULTS.nnp_learning_rate
    force_weight: float = 0.0
    network_weight: float = 1.0
    max_host_displacement: float = 0.0


@dataclass
class SitesSection:
    grid_spacing: float = DEFAULTS.grid_spacing
    min_host_distance: float = DEFAULTS.min_host_distance
    fmax: float = DEFAULTS.site_fmax
    merge_distance: float = DEFAULTS.merge_distance
    guide: bool = True


@dataclass
class HopsSection:
    max_distance: DistanceOrAuto = DEFAULTS.hop_max_distance
    n_images: int = DEFAULTS.neb_images
    fmax: float = DEFAULTS.neb_fmax
    prefactor: str = "constant"
    candidates: str = "distance"
    guide: bool = True


@dataclass
class KineticsSection:
    temperatures: list[float] = field(default_factory=lambda: list(DEFAULTS.temperatures))
    methods: list[str] = field(default_factory=lambda: ["exact", "kmc"])
    walkers: int = DEFAULTS.kmc_walkers
    kmc_steps: int = DEFAULTS.kmc_steps
    kmc_cells: float = 3.0
    kmc_hop_budget: float = 3e8
    kmc_superbasins: bool = (
        DEFAULTS.kmc_superbasins
    )  # mean-rate superbasins in the KMC (exact for D; kinetics.kmc)


@dataclass
class ValidateSection:
    hops: int = 0
    samples: list[str] = field(default_factory=list)


@dataclass
class StoreSection:
    uri: str = ""
    data_dir: str = ""


@dataclass
class CompareSection:
    """A measurement set beside the computed Eₐ: ``Ea_eV`` (eV), ``Ea_err_eV`` (eV, one sigma;
    0: not given), ``D0_cm2_s`` (cm²/s; 0: not given), ``temperatures`` ([T_min, T_max] in K of
    the measurement; empty: not given), ``citation`` (the source, required) and ``label``."""

    Ea_eV: float = 0.0
    Ea_err_eV: float = 0.0
    D0_cm2_s: float = 0.0
    temperatures: list[float] = field(default_factory=list)
    citation: str = ""
    label: str = ""


@dataclass
class StudyConfig:
    """A whole study (see the module docstring for the file format and units)."""

    study: StudySection = field(default_factory=StudySection)
    samples: list[SampleSpec] = field(default_factory=list)
    reference: ReferenceSection = field(default_factory=ReferenceSection)
    nnp: NNPSection = field(default_factory=NNPSection)
    sites: SitesSection = field(default_factory=SitesSection)
    hops: HopsSection = field(default_factory=HopsSection)
    kinetics: KineticsSection = field(default_factory=KineticsSection)
    validate: ValidateSection = field(default_factory=ValidateSection)
    store: StoreSection = field(default_factory=StoreSection)
    #: a measurement to compare with (``[compare]``); None without the section. Read by the
    #: summary and the report only, never part of a stage's cache key
    compare: CompareSection | None = None
    #: folder the study file lives in; relative paths in it are resolved against this
    base_dir: Path = field(default_factory=Path.cwd)

    def resolve(self, path: str) -> Path:
        """A path of the study file, relative to the study file's folder."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else self.base_dir / p

    def to_dict(self) -> dict[str, Any]:
        """Plain data (for hashing and for the results folder)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name == "base_dir":
                continue
            value = getattr(self, f.name)
            if value is None:
                out[f.name] = None
            elif isinstance(value, list):
                out[f.name] = [vars(v).copy() for v in value]
            else:
                out[f.name] = vars(value).copy()
        return out


_TYPE_NAMES = {
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "true/false",
    dict: "a table",
}
_PLURALS = {str: "strings", int: "integers", float: "numbers"}


def _type_name(tp: Any) -> str:
    if tp == DistanceOrAuto:
        return 'a number (Å) or "auto"'
    if get_origin(tp) is dict:
        return _TYPE_NAMES[dict]
    if get_origin(tp) is list:
        (inner,) = get_args(tp)
        return f"a list of {_PLURALS[inner]}"
    return _TYPE_NAMES[tp]


def _check_value(key: str, value: Any, tp: Any) -> Any:
    def bad() -> InputError:
        return InputError(
            f"study file: key {key!r} must be {_type_name(tp)}, got {type(value).__name__} {value!r}"
        )

    if get_origin(tp) is list:
        (inner,) = get_args(tp)
        if not isinstance(value, list):
            raise bad()
        return [_check_value(f"{key}[{i}]", v, inner) for i, v in enumerate(value)]
    if get_origin(tp) is dict:
        if not isinstance(value, dict):
            raise bad()
        return dict(value)
    if tp == DistanceOrAuto:
        if isinstance(value, str) and value == "auto":
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise bad()
        return float(value)
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise bad()
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad()
        return value
    if not isinstance(value, tp):
        raise bad()
    return value


def _build(cls: type, data: Any, where: str) -> Any:
    if not isinstance(data, dict):
        raise InputError(f"study file: [{where}] must be a table, got {type(data).__name__}")
    hints = get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    for key in data:
        if key not in known:
            dotted = f"{where}.{key}"
            raise InputError(f"study file: unknown key {dotted!r}; expected one of {sorted(known)}")
    kwargs = {k: _check_value(f"{where}.{k}", v, hints[k]) for k, v in data.items()}
    return cls(**kwargs)


_SECTIONS = {
    "study": StudySection,
    "reference": ReferenceSection,
    "nnp": NNPSection,
    "sites": SitesSection,
    "hops": HopsSection,
    "kinetics": KineticsSection,
    "validate": ValidateSection,
    "store": StoreSection,
}


def parse_study(data: dict[str, Any], base_dir: Path | None = None) -> StudyConfig:
    """Validate a study given as plain data (the parsed TOML) and return its :class:`StudyConfig`.

    Raises
    ------
    InputError
        An unknown section or key, a value of the wrong type, no samples, or a bad method name.
    """
    allowed = set(_SECTIONS) | {"samples", "compare"}
    for key in data:
        if key not in allowed:
            raise InputError(
                f"study file: unknown section {key!r}; expected one of {sorted(allowed)}"
            )
    cfg = StudyConfig(base_dir=base_dir or Path.cwd())
    for name, cls in _SECTIONS.items():
        if name in data:
            setattr(cfg, name, _build(cls, data[name], name))
    samples = data.get("samples", [])
    if not isinstance(samples, list):
        raise InputError("study file: 'samples' must be an array of tables ([[samples]])")
    cfg.samples = [_build(SampleSpec, s, f"samples[{i}]") for i, s in enumerate(samples)]
    if not cfg.samples:
        raise InputError("study file: no [[samples]] given; expected at least one sample source")
    for i, s in enumerate(cfg.samples):
        if not s.source:
            raise InputError(f"study file: samples[{i}].source is empty; expected a name or a file")
    bad = sorted(set(cfg.kinetics.methods) - {"exact", "kmc"})
    if bad or not cfg.kinetics.methods:
        raise InputError(
            f"study file: kinetics.methods {cfg.kinetics.methods!r}; expected 'exact' and/or 'kmc'"
        )
    if any(t <= 0 for t in cfg.kinetics.temperatures) or len(cfg.kinetics.temperatures) < 2:
        raise InputError(
            f"study file: kinetics.temperatures {cfg.kinetics.temperatures!r}; expected >= 2 values > 0 K"
        )
    if cfg.hops.prefactor not in ("constant", "vineyard"):
        raise InputError(
            f"study file: hops.prefactor {cfg.hops.prefactor!r}; expected 'constant' or 'vineyard'"
        )
    if cfg.kinetics.kmc_cells <= 0 or cfg.kinetics.kmc_hop_budget <= 0:
        raise InputError(
            "study file: kinetics.kmc_cells and kinetics.kmc_hop_budget must be > 0, got "
            f"{cfg.kinetics.kmc_cells} and {cfg.kinetics.kmc_hop_budget}"
        )
    if not (math.isfinite(cfg.nnp.network_weight) and cfg.nnp.network_weight > 0):
        raise InputError(
            f"study file: nnp.network_weight must be a finite number > 0, got {cfg.nnp.network_weight}"
        )
    nnp = cfg.nnp
    bad_jobs = not (nnp.n_jobs >= 1 or nnp.n_jobs == -1)
    if min(nnp.max_epochs, nnp.patience) < 1 or nnp.lbfgs_steps < 0 or bad_jobs:
        raise InputError(
            "study file: nnp.max_epochs and nnp.patience must be >= 1, nnp.lbfgs_steps >= 0 and "
            f"nnp.n_jobs >= 1 or -1 (every core), got {nnp.max_epochs}, {nnp.patience}, "
            f"{nnp.lbfgs_steps}, {nnp.n_jobs}"
        )
    if nnp.precision not in ("float32", "float64"):
        raise InputError(
            f"study file: nnp.precision {nnp.precision!r}; expected 'float32' or 'float64'"
        )
    if not cfg.nnp.max_host_displacement >= 0:
        raise InputError(
            "study file: nnp.max_host_displacement must be >= 0 Å (0: train on every point), got "
            f"{cfg.nnp.max_host_displacement}"
        )
    ref = cfg.reference
    if ref.targeted_rounds < 0 or (ref.targeted_rounds and cfg.nnp.model):
        raise InputError(
            "study file: reference.targeted_rounds must be >= 0, and 0 when nnp.model loads a "
            f"model (targeted points retrain it), got {ref.targeted_rounds} with nnp.model "
            f"{cfg.nnp.model!r}"
        )
    if ref.points < 0 or ref.seed < 0 or ref.workers < 1 or ref.max_steps < 1:
        raise InputError(
            "study file: reference.points and reference.seed must be >= 0, reference.workers and "
            f"reference.max_steps >= 1, got {ref.points}, {ref.seed}, {ref.workers}, {ref.max_steps}"
        )
    if ref.seed >= SEED_LIMIT:  # its id block would reach the targeted rounds'
        raise InputError(f"study file: reference.seed must be below {SEED_LIMIT}, got {ref.seed}")
    if not (ref.fmax > 0 and ref.relax_radius >= 0 and ref.min_distance > 0):
        raise InputError(
            "study file: reference.fmax (eV/Å) and reference.min_distance (Å) must be > 0 and "
            f"reference.relax_radius >= 0 Å (0: the whole host relaxes), got {ref.fmax}, "
            f"{ref.min_distance}, {ref.relax_radius}"
        )
    if ref.optimizer.upper() not in OPTIMIZERS:
        raise InputError(
            f"study file: reference.optimizer {ref.optimizer!r}; expected one of {list(OPTIMIZERS)}"
        )
    if cfg.validate.hops < 0:
        raise InputError(
            f"study file: validate.hops must be >= 0 (0: none), got {cfg.validate.hops}"
        )
    if cfg.hops.candidates not in ("distance", "basins"):
        raise InputError(
            f"study file: hops.candidates {cfg.hops.candidates!r}; expected 'distance' or 'basins'"
        )
    _check_numbers(cfg)
    _check_cluster(cfg.study)
    check_species(cfg.study.species, "study file: study.species")
    if "compare" in data:
        cfg.compare = _compare_section(data["compare"])
    return cfg


def _check_cluster(study: StudySection) -> None:
    """``study.scheduler`` or ``study.cluster``, not both; a cluster of a known type."""
    from ..reference.execution import CLUSTER_TYPES

    if study.scheduler and study.cluster:
        raise InputError(
            "study file: study.scheduler and study.cluster are both given; expected one of them"
        )
    kind = str(study.cluster.get("type", "")).lower()
    if study.cluster and kind not in CLUSTER_TYPES:
        raise InputError(
            f"study file: study.cluster.type {kind!r}; expected one of {sorted(CLUSTER_TYPES)}"
        )


def _compare_section(data: Any) -> CompareSection:
    """``[compare]``: types, ``Ea_eV`` present, finite numbers, 0 < T_min < T_max (K), a source."""
    if isinstance(data, dict) and "Ea_eV" not in data:
        raise InputError(
            "study file: compare.Ea_eV is missing; expected the measured activation energy (eV) "
            "whenever [compare] is given"
        )
    c = _build(CompareSection, data, "compare")
    check_number(c.Ea_eV, "study file: compare.Ea_eV", gt=0, unit="eV")
    check_number(c.Ea_err_eV, "study file: compare.Ea_err_eV", ge=0, unit="eV (0: not given)")
    if "D0_cm2_s" in data:
        check_number(c.D0_cm2_s, "study file: compare.D0_cm2_s", gt=0, unit="cm²/s")
    if "temperatures" in data:
        for i, t in enumerate(c.temperatures):
            check_number(t, f"study file: compare.temperatures[{i}]", gt=0, unit="K")
        if len(c.temperatures) != 2 or not c.temperatures[0] < c.temperatures[1]:
            raise InputError(
                f"study file: compare.temperatures {c.temperatures!r}; expected [T_min, T_max] "
                "in K with T_min < T_max (the measured range)"
            )
    if not c.citation.strip():
        raise InputError(
            "study file: compare.citation is empty; every measured number needs its source "
            "(authors, journal, volume, page, year)"
        )
    return c


#: Bounds of the numeric keys (``check_number`` keywords), checked for NaN and range.
_BOUNDS: dict[str, dict[str, Any]] = {
    "study.seed": {"ge": 0},
    "study.workers": {"ge": 1},
    "nnp.n_models": {"ge": 1},
    "nnp.force_weight": {"ge": 0},
    "nnp.network_weight": {"gt": 0},
    "nnp.max_host_displacement": {"ge": 0, "unit": "Å"},
    "nnp.batch_size": {"ge": 1},
    "nnp.learning_rate": {"gt": 0},
    "sites.grid_spacing": {"gt": 0, "unit": "Å"},
    "sites.min_host_distance": {"ge": 0, "unit": "Å"},
    "sites.fmax": {"gt": 0, "unit": "eV/Å"},
    "sites.merge_distance": {"gt": 0, "unit": "Å"},
    "hops.max_distance": {"gt": 0, "unit": "Å"},
    "hops.n_images": {"ge": 3, "unit": "(both ends included)"},
    "hops.fmax": {"gt": 0, "unit": "eV/Å"},
    "kinetics.walkers": {"ge": 1},
    "kinetics.kmc_steps": {"ge": 1},
    "kinetics.kmc_cells": {"gt": 0},
    "kinetics.kmc_hop_budget": {"gt": 0},
    "reference.min_distance": {"gt": 0, "unit": "Å"},
    "reference.relax_radius": {"ge": 0, "unit": "Å"},
    "reference.fmax": {"gt": 0, "unit": "eV/Å"},
}


def _check_numbers(cfg: StudyConfig) -> None:
    """NaN, infinite or out-of-range numbers, named by their key (``nnp.force_weight``)."""
    for key, bounds in _BOUNDS.items():
        section, name = key.split(".")
        value = getattr(getattr(cfg, section), name)
        if isinstance(value, str) and value == "auto":  # resolved after the site search
            continue
        check_number(value, f"study file: {key}", **bounds)
    for i, h in enumerate(cfg.nnp.hidden):
        check_number(h, f"study file: nnp.hidden[{i}]", ge=1)
    for i, t in enumerate(cfg.kinetics.temperatures):
        check_number(t, f"study file: kinetics.temperatures[{i}]", gt=0, unit="K")


def check_study_paths(cfg: StudyConfig) -> None:
    """Check what a study reads and writes before it starts (it then creates ``study.out``).

    The results folder must be writable, a given reference database an ASE database (checked
    read-only), a given model and every sample file present, and the calculator a known name.

    Raises
    ------
    InputError
        One line naming the key of the study file and the bad value.
    """
    from .._paths import check_writable
    from ..calculators import check_calculator_name
    from ..reference.dataset import connect_readonly
    from ..samples import bundled_samples

    check_writable(cfg.resolve(cfg.study.out), "study file: study.out", directory=True)
    if cfg.store.data_dir:
        check_writable(
            cfg.resolve(cfg.store.data_dir), "study file: store.data_dir", directory=True
        )
    for i, spec in enumerate(cfg.samples):
        if spec.source not in bundled_samples() and not cfg.resolve(spec.source).is_file():
            raise InputError(
                f"study file: samples[{i}].source {spec.source!r} is neither a bundled sample "
                f"{bundled_samples()} nor an existing file"
            )
    if cfg.reference.db != "bundled":
        db = cfg.resolve(cfg.reference.db)
        if not db.exists() and cfg.reference.points > 0:  # the study will create it
            check_writable(db, "study file: reference.db")
        else:
            connect_readonly(db, "study file: reference.db")
    if cfg.nnp.model:
        from ..nnp.io import model_paths

        json_path = model_paths(cfg.resolve(cfg.nnp.model))[0]
        if not json_path.is_file():
            raise InputError(
                f"study file: nnp.model {cfg.nnp.model!r}: {str(json_path)!r} does not exist"
            )
    check_calculator_name(cfg.reference.calculator, "study file: reference.calculator")


def load_study(path: str | Path) -> StudyConfig:
    """Read and validate a study file (TOML).

    Raises
    ------
    InputError
        A missing or unreadable file, malformed TOML, or any problem :func:`parse_study` finds.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"study file {str(path)!r} does not exist")
    try:
        data = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"study file {str(path)!r} is not valid TOML: {exc}") from None
    return parse_study(data, base_dir=path.resolve().parent)
