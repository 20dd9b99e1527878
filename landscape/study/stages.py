"""The stages of a study, one function each: samples, reference data, the NNP, targeted rounds,
hop networks, kinetics, hop validation and the graph store.

:func:`landscape.study.run_study` calls them in order. Each stage that costs time is cached under
the content hash of its inputs (:mod:`landscape.study.cache`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from ..config import DEFAULTS
from ..contracts import network_data, network_from_data
from ..errors import InputError
from .cache import atoms_sha, cache_copy, cached_json, publish_copy, sha
from .studyfile import STUDY_RANDOM_FIRST_ID, TARGETED_FIRST_ID, StudyConfig

__all__ = [
    "complete_reference",
    "ensemble_spread",
    "explore_key",
    "explore_sample",
    "load_samples",
    "reference_db",
    "reference_settings",
    "run_kinetics",
    "sample_network",
    "store_results",
    "targeted_round",
    "train_or_load",
    "validate_sample",
    "validation_samples",
]


def load_samples(cfg: StudyConfig) -> dict[str, Any]:
    from ..samples import load_sample

    samples: dict[str, Any] = {}
    for spec in cfg.samples:
        source = spec.source
        path = cfg.resolve(source)
        atoms = load_sample(str(path) if path.exists() else source)
        sid = spec.sample_id or atoms.info.get("sample_id") or Path(source).stem
        atoms.info["sample_id"] = sid
        if sid in samples:
            raise InputError(
                f"study file: two samples share the sample_id {sid!r}; give each a sample_id"
            )
        samples[sid] = atoms
    return samples


def reference_db(cfg: StudyConfig) -> Path:
    if cfg.reference.db == "bundled":
        from ..reference import bundled_reference_db

        return Path(bundled_reference_db())
    path = cfg.resolve(cfg.reference.db)
    if path.exists() and not path.is_file():
        raise InputError(f"reference database {str(path)!r} is not a file")
    if not path.is_file():
        if cfg.reference.points <= 0:
            raise InputError(
                f"reference database {str(path)!r} does not exist; reference.points > 0 would "
                "create it with that many uniform points per sample"
            )
        # created by complete_reference with reference.points uniform points per sample
    return path


def reference_settings(cfg: StudyConfig) -> dict[str, Any]:
    """Host-relaxation settings of ``[reference]`` (for missing points and hop validation)."""
    ref = cfg.reference
    return {
        "fmax": ref.fmax,
        "max_steps": ref.max_steps,
        "relax_radius": ref.relax_radius or None,
        "optimizer": ref.optimizer.upper(),
    }


def complete_reference(cfg: StudyConfig, samples: dict, db: Path, cache: Path) -> Path:
    """Compute missing reference points (only when ``reference.points`` asks for more).

    A sample with fewer than ``points`` points in the database gets the missing ones: uniform
    random points of ``reference.seed``, under ids from ``STUDY_RANDOM_FIRST_ID + 1_000_000 * seed``
    on (their own block, clear of every id the shipped data uses, so they never collide with the
    points already there), computed into a copy of the database in the cache (the given database
    is never modified). Finished points are written one by one, so an interrupted run resumes.
    """
    ref = cfg.reference
    if ref.points <= 0:
        return db
    from ..reference import Execution, InsertionPoints, Relaxation, run_reference

    # a database the study names but that does not exist yet: made complete (and resumed) in the
    # cache, then published at its path once every sample has its points
    new = not db.is_file()
    if new:
        from ..reference.database import open_reference_db

        work = cache / "reference.db"
        open_reference_db(work)
    else:  # another method's energies: refused before the copy (nothing written)
        from ..calculators import calculator_info
        from ..reference.database import check_one_method
        from ..reference.dataset import connect_readonly

        label = calculator_info(ref.calculator, dict(ref.calculator_kwargs))["calculator"]
        check_one_method(connect_readonly(db), db, label)
        work = cache_copy(db, cache / "reference.db")
    from ase.db import connect

    from ..reference.database import existing_point_ids

    first_id = STUDY_RANDOM_FIRST_ID + 1_000_000 * int(ref.seed)
    with connect(str(work)) as wdb:
        present = {
            sid: existing_point_ids(wdb, str(atoms.info.get("sample_id", sid)))
            for sid, atoms in samples.items()
        }
    for sid, atoms in samples.items():
        others = {i for i in present[sid] if not first_id <= i < first_id + 1_000_000}
        if len(others) >= ref.points:
            continue
        points = InsertionPoints(
            n_points=ref.points - len(others),
            seed=ref.seed,
            min_distance=ref.min_distance,
            first_id=first_id,
        )
        run_reference(
            atoms,
            work,
            points,
            species=cfg.study.species,
            calculator=ref.calculator,
            calculator_kwargs=dict(ref.calculator_kwargs),
            relaxation=Relaxation(**reference_settings(cfg)),
            execution=Execution(workers=ref.workers),
        )
    if new:
        publish_copy(work, db)
    return work


def _training_samples(cfg: StudyConfig, samples: dict) -> list[str]:
    """The study's samples the NNP trains on (``nnp.train_samples``; empty: all of them)."""
    wanted = set(cfg.nnp.train_samples)
    return [sid for sid in samples if not wanted or sid in wanted]


def explore_key(cfg: StudyConfig, model_key: str, atoms) -> str:
    """The cache key of one sample's hop network on the model of ``model_key``."""
    return sha("explore", model_key, atoms_sha(atoms), vars(cfg.sites), vars(cfg.hops))


def sample_network(cfg: StudyConfig, cache: Path, model, model_key: str, sid: str, atoms):
    """The hop network of one sample on ``model``, cached under the hash of its inputs."""
    key = explore_key(cfg, model_key, atoms)
    data, cached = cached_json(
        cache / f"network-{sid}-{key}.json",
        lambda: network_data(explore_sample(cfg, model, atoms)),
    )
    G = network_from_data(data)
    G.graph["sample_id"] = sid
    return G, key, cached


def targeted_round(
    cfg: StudyConfig,
    samples: dict,
    db: Path,
    db_key: str,
    cache: Path,
    model,
    model_key: str,
    r: int,
) -> tuple[Path, str, int]:
    """Round ``r`` of targeted points: reference energies at the sites and saddles of the
    networks ``model`` gives the training samples (:func:`landscape.explore.network_points`;
    ``origin = "network"``, ids from ``TARGETED_FIRST_ID + 1_000_000 * (r - 1)``).

    They go into a copy of ``db`` in the cache named by the hash of its inputs (``db_key`` stands
    for ``db``: its file hash, or the key of the round before); the given database is never
    modified, and an interrupted round resumes point by point. Returns the copy, its key and how
    many points this round has.
    """
    from ..reference import Execution, Relaxation, run_network_reference

    ref = cfg.reference
    key = sha(
        "targeted",
        r,
        db_key,
        model_key,
        cfg.study.species,
        ref.calculator,
        ref.calculator_kwargs,
        reference_settings(cfg),
    )
    work = cache_copy(db, cache / f"reference-round{r}-{key}.db")
    n = 0
    for sid in _training_samples(cfg, samples):
        atoms = samples[sid]
        G, _, _ = sample_network(cfg, cache, model, model_key, sid, atoms)
        if G.number_of_nodes() == 0:
            continue
        n += run_network_reference(
            atoms,
            G,
            work,
            first_id=TARGETED_FIRST_ID + 1_000_000 * (r - 1),
            species=cfg.study.species,
            calculator=ref.calculator,
            calculator_kwargs=dict(ref.calculator_kwargs),
            relaxation=Relaxation(**reference_settings(cfg)),
            execution=Execution(workers=ref.workers),
        ).requested
    return work, key, n


def nnp_key(cfg: StudyConfig, data_hash: str, grids: list) -> str:
    """The cache key of the model ``cfg.nnp`` trains on the data set of hash ``data_hash``.

    The default descriptor ``grids`` are part of it (a model cached before they changed is trained
    again rather than reused); run-time settings (``n_jobs``) are not: they do not change the model.
    """
    from ..nnp.model import SimplifiedNNP

    runtime = SimplifiedNNP._RUNTIME_PARAMS
    settings = {k: v for k, v in vars(cfg.nnp).items() if k not in runtime}
    if settings["lbfgs_steps"] == DEFAULTS.nnp_lbfgs_steps:
        # a study file could not set it before 2026-12-07: at the default, the key of a model
        # cached before stays what it was
        del settings["lbfgs_steps"]
    return sha("nnp", data_hash, settings, cfg.study.seed, grids)


def train_or_load(
    cfg: StudyConfig, db: Path, cache: Path, *, progress=None
) -> tuple[Any, str, bool]:
    """The study's NNP: loaded from ``nnp.model``, from the cache, or trained (``progress(done,
    total)`` then follows the members' epochs); returns ``(model, cache key, cached)``."""
    from ..nnp.model import SimplifiedNNP
    from ..reference.dataset import load_dataset

    if cfg.nnp.model:
        path = cfg.resolve(cfg.nnp.model)
        model = SimplifiedNNP.load(path)
        return model, sha(str(path), model.weights_sha256_[:16]), True
    from ..nnp.descriptors import propose_grids

    dataset = load_dataset(db, cfg.nnp.train_samples or None)
    key = nnp_key(cfg, dataset.content_hash(), [g.tolist() for g in propose_grids()])
    path = cache / f"nnp-{key}"
    if path.with_suffix(".json").exists():
        return SimplifiedNNP.load(path), key, True
    model = SimplifiedNNP(
        n_models=cfg.nnp.n_models,
        hidden=tuple(cfg.nnp.hidden),
        max_epochs=cfg.nnp.max_epochs,
        patience=cfg.nnp.patience,
        lbfgs_steps=cfg.nnp.lbfgs_steps,
        n_jobs=cfg.nnp.n_jobs,
        train_together=cfg.nnp.train_together,
        precision=cfg.nnp.precision,
        batch_size=cfg.nnp.batch_size,
        learning_rate=cfg.nnp.learning_rate,
        force_weight=cfg.nnp.force_weight,
        network_weight=cfg.nnp.network_weight,
        max_host_displacement=cfg.nnp.max_host_displacement or None,
        random_state=cfg.study.seed,
    ).fit(dataset, progress=progress)
    model.save(path)
    return model, key, False


def explore_sample(cfg: StudyConfig, model, atoms) -> nx.MultiDiGraph:
    """Sites, then hops within ``hops.max_distance`` (``"auto"``: from the cell volume and the
    number of sites, :func:`~landscape.study.scaffold.auto_hop_distance`); the distance used (Å)
    is the graph attribute ``hop_max_distance_A``, ``hop_max_distance_auto`` says whether it was
    derived and ``hop_max_distance_n_sites`` is N_sites of the site search (the hop search may
    add sites: minima found inside a band)."""
    from ..explore import find_hops, find_sites
    from .scaffold import resolve_hop_distance

    surface = model.surface(atoms)
    sites = find_sites(surface, **vars(cfg.sites), progress=False)
    volume = abs(float(np.linalg.det(np.asarray(sites.cell, dtype=float))))  # Å³
    max_distance, auto = resolve_hop_distance(cfg.hops.max_distance, volume, len(sites))
    hops = {**vars(cfg.hops), "max_distance": max_distance}
    G = find_hops(surface, sites, **hops, progress=False)
    G.graph["hop_max_distance_A"] = max_distance
    G.graph["hop_max_distance_auto"] = auto
    G.graph["hop_max_distance_n_sites"] = len(sites)
    return G


def run_kinetics(cfg: StudyConfig, G: nx.MultiDiGraph) -> dict:
    from ..kinetics import kinetics_summary

    return kinetics_summary(
        G,
        temperatures=cfg.kinetics.temperatures,
        methods=tuple(cfg.kinetics.methods),
        walkers=cfg.kinetics.walkers,
        steps=cfg.kinetics.kmc_steps,
        random_state=cfg.study.seed,
        kmc_cells=cfg.kinetics.kmc_cells,
        kmc_hop_budget=cfg.kinetics.kmc_hop_budget,
        kmc_superbasins=cfg.kinetics.kmc_superbasins,
    )


def ensemble_spread(cfg: StudyConfig, model, atoms, G: nx.MultiDiGraph) -> dict | None:
    """Each ensemble member's Eₐ on ``G`` (:func:`landscape.kinetics.ensemble.ensemble_activation_energy`);
    None for a single-member model or a network without saddles or that does not wrap the cell."""
    if int(getattr(model, "n_models", 1)) < 2 or not callable(getattr(model, "surface", None)):
        return None
    if G.number_of_edges() == 0 or any("saddle" not in d for *_, d in G.edges(data=True)):
        return None
    from ..kinetics import components
    from ..kinetics.ensemble import ensemble_activation_energy

    if not any(c.dimensionality > 0 for c in components(G)):  # D = 0: no Eₐ to spread
        return None

    surface = model.surface(atoms)
    return ensemble_activation_energy(G, surface, cfg.kinetics.temperatures).as_dict()


def validation_samples(cfg: StudyConfig, samples: dict) -> list[str]:
    """Sample ids whose hops ``[validate]`` checks against the reference (in study order)."""
    if cfg.validate.hops <= 0:
        return []
    unknown = sorted(set(cfg.validate.samples) - set(samples))
    if unknown:
        raise InputError(
            f"study file: validate.samples {unknown} are not samples of this study; "
            f"expected some of {list(samples)}"
        )
    return [sid for sid in samples if not cfg.validate.samples or sid in cfg.validate.samples]


def validate_sample(cfg: StudyConfig, model, atoms, G: nx.MultiDiGraph, checkpoint: Path) -> dict:
    """Reference energies along ``validate.hops`` NNP hops of one sample (barrier MAE, eV); every
    finished calculation goes to ``checkpoint`` at once, so a re-run after a crash resumes."""
    from ..explore import validate_hops
    from ..reference import get_calculator

    calc = get_calculator(cfg.reference.calculator, **dict(cfg.reference.calculator_kwargs))
    result = validate_hops(
        model.surface(atoms),
        G,
        atoms,
        calc,
        n_hops=cfg.validate.hops,
        species=cfg.study.species,
        progress=False,
        checkpoint=checkpoint,
        **reference_settings(cfg),
    )
    result["calculator"] = cfg.reference.calculator
    return result


def store_results(cfg, model, model_key, samples, networks, kinetics) -> None:
    from ..graph import open_store

    uri = cfg.store.uri or None
    data_dir = cfg.resolve(cfg.store.data_dir) if cfg.store.data_dir else None
    with open_store(uri=uri, data_dir=data_dir) as st:
        st.apply_schema()
        st.upsert_model(
            model_key,
            n_models=len(model.weights_[0]),
            hidden=list(model.hidden_),
            rmse_test_eV=getattr(model, "rmse_test_", None),
            rmse_test_kept_eV=getattr(model, "rmse_test_kept_", None),
        )
        for sid, atoms in samples.items():
            st.upsert_sample(
                sid,
                formula=atoms.get_chemical_formula(),
                n_atoms=len(atoms),
                material=atoms.info.get("material", atoms.get_chemical_formula(empirical=True)),
                cell=np.asarray(atoms.cell).ravel().tolist(),
                density=float(atoms.info.get("density_g_cm3", 0.0)) or None,
                source=str(atoms.info.get("source", sid)),
            )
            st.upsert_network(networks[sid])
            k = kinetics[sid]
            ens = k.get("ensemble") or {}
            G = networks[sid]
            st.upsert_result(
                sid,
                "kinetics",
                name=model_key,  # one result per model: another model's study keeps this one
                model_id=model_key,
                n_sites=G.number_of_nodes(),
                n_hops=G.number_of_edges(),
                temperatures=list(k["temperatures_K"]),
                D_exact=k["D_cm2_s"].get("exact"),
                D_kmc=k["D_cm2_s"].get("kmc"),
                Ea_exact=k["Ea_eV"].get("exact"),
                Ea_kmc=k["Ea_eV"].get("kmc"),
                D0_exact=(k.get("D0_cm2_s") or {}).get("exact"),
                percolation_barrier=k["percolation_barrier_eV"]["any"],
                Ea_model_std=ens.get("Ea_model_std_eV"),
                Ea_members=ens.get("Ea_members_eV"),
            )
