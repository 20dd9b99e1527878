"""Study-file defaults that scale with the host and the mobile species, and the file ``landscape
init`` writes.

The package defaults (:data:`landscape.config.DEFAULTS`) fit Cu in a-Ta₂O₅. For another pair the
distances scale with the covalent radii (:data:`ase.data.covalent_radii`, Å) and the number of
reference points with the host's volume:

- ``reference.min_distance`` = 0.7 × min over host species s of (r_X + r_s), rounded to 0.05 Å
  (X the mobile species; Cu in Ta₂O₅: 0.7 × (1.32 + 0.66) → 1.40 Å; H in Pd₈₀Ni₂₀:
  0.7 × (0.31 + 1.24) → 1.10 Å);
- ``sites.min_host_distance`` = 0.8 × ``reference.min_distance``, rounded to 0.05 Å;
- ``sites.grid_spacing`` = min(0.25, ``reference.min_distance`` / 5), rounded to 0.05 Å;
- ``reference.points`` = 0.25 per Å³ of host, rounded up to a multiple of 50, at least 200
  (a-Ta2O5-1a, 1325.5 Å³ → 350; 80 atoms of Pd₈₀Ni₂₀ at 11 g/cm³, 1169.9 Å³ → 300);
- ``reference.relax_radius`` = 5.0 Å (the package default);
- ``hops.max_distance = "auto"``: resolved after the site search by :func:`auto_hop_distance`,
  1.6 × (V / N_sites)^(1/3) Å clipped to [2.0, 6.0] Å (V the cell volume, Å³).

:func:`scaffold_study` also sets ``reference.workers`` to the machine's cores (at most 8): the
points do not depend on it, only the wall time.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, fields, is_dataclass
from pathlib import Path
from typing import Any, NamedTuple, get_args, get_type_hints

import numpy as np
from ase import Atoms
from ase.data import atomic_numbers, covalent_radii

from .._checks import check_species
from ..config import DEFAULTS
from ..errors import InputError
from .studyfile import SampleSpec, StudyConfig

__all__ = [
    "AUTO_HOP_FACTOR",
    "AUTO_HOP_RANGE_A",
    "INIT_TEMPERATURES_K",
    "Derived",
    "Scaffold",
    "auto_hop_distance",
    "resolve_hop_distance",
    "scaffold_study",
    "scaled_defaults",
]

#: Rounding step of the derived distances, Å.
ROUND_STEP_A = 0.05
#: ``reference.min_distance`` as a fraction of the shortest sum of covalent radii.
MIN_DISTANCE_FACTOR = 0.7
#: ``sites.min_host_distance`` as a fraction of ``reference.min_distance``.
HOST_DISTANCE_FACTOR = 0.8
#: ``sites.grid_spacing`` at most this, Å, and at most ``reference.min_distance`` / 5.
MAX_GRID_SPACING_A = 0.25
#: Reference points per Å³ of host, rounded up to a multiple of ``POINTS_STEP``, at least
#: ``MIN_POINTS``.
POINTS_PER_A3 = 0.25
POINTS_STEP = 50
MIN_POINTS = 200
#: ``hops.max_distance = "auto"``: this times the mean volume per site to the 1/3, Å ...
AUTO_HOP_FACTOR = 1.6
#: ... clipped to this range, Å.
AUTO_HOP_RANGE_A = (2.0, 6.0)
#: ``reference.workers`` of a new study file: the machine's cores, at most this.
MAX_INIT_WORKERS = 8
#: ``kinetics.temperatures`` of a new study file, K.
INIT_TEMPERATURES_K = (300.0, 400.0, 500.0, 600.0)


class Derived(NamedTuple):
    """A study-file setting derived from the host and the species: its value and a one-line
    reason (unit first, then the derivation)."""

    value: Any
    reason: str


def _round_step(x: float, step: float = ROUND_STEP_A) -> float:
    """``x`` rounded half up to a multiple of ``step`` (the 1e-9 absorbs binary rounding)."""
    return round(math.floor(x / step + 0.5 + 1e-9) * step, 10)


def _check_host(host: Any, what: str) -> float:
    """The host's cell volume, Å³; an InputError for a host without atoms or a 3D periodic cell."""
    if not isinstance(host, Atoms) or len(host) == 0:
        raise InputError(f"{what}: expected an ase.Atoms with at least one atom, got {host!r}")
    volume = abs(float(np.linalg.det(np.asarray(host.cell, dtype=float))))
    if not all(host.pbc) or not math.isfinite(volume) or volume < 1e-6:
        raise InputError(
            f"{what}: no periodic cell (pbc={[bool(p) for p in host.pbc]}, volume {volume:.3g} "
            "Å³); expected a structure periodic in 3D with its cell set"
        )
    return volume


def scaled_defaults(host: Atoms, species: str) -> dict[str, Derived]:
    """The study-file settings that scale with the host and the mobile species.

    Parameters
    ----------
    host : ase.Atoms
        The host, periodic in 3D with its cell set. It may contain ``species`` (a hydride);
        the distances then come from its other species.
    species : str
        The mobile species (a chemical symbol).

    Returns
    -------
    dict
        ``"section.key"`` → :class:`Derived` for ``reference.min_distance`` (Å),
        ``sites.min_host_distance`` (Å), ``sites.grid_spacing`` (Å), ``reference.points``,
        ``reference.relax_radius`` (Å) and ``hops.max_distance`` (``"auto"``); the formulas are in
        the module docstring and in each reason.

    Raises
    ------
    InputError
        A species that is not a chemical symbol, a host without atoms or without a 3D cell.
    """
    check_species(species, "species")
    volume = _check_host(host, "host")
    r_x = float(covalent_radii[atomic_numbers[species]])
    present = set(host.get_chemical_symbols())
    # a host that holds the mobile species too (a hydride, a lithiated electrolyte): the other
    # host species set the distance, as the mobile atoms already there are not what it avoids
    others = present - {species} or present
    hosts = sorted(others, key=lambda s: (covalent_radii[atomic_numbers[s]], s))
    nearest = hosts[0]  # the host species of the smallest radius
    r_s = float(covalent_radii[atomic_numbers[nearest]])
    raw = MIN_DISTANCE_FACTOR * (r_x + r_s)
    d_min = _round_step(raw)
    d_host = _round_step(HOST_DISTANCE_FACTOR * d_min)
    grid = max(ROUND_STEP_A, _round_step(min(MAX_GRID_SPACING_A, d_min / 5.0)))
    wanted = POINTS_PER_A3 * volume
    points = max(MIN_POINTS, math.ceil(wanted / POINTS_STEP - 1e-9) * POINTS_STEP)
    lo, hi = AUTO_HOP_RANGE_A
    return {
        "reference.min_distance": Derived(
            d_min,
            f"Å: {MIN_DISTANCE_FACTOR} × (r_{species} + r_{nearest}) = {MIN_DISTANCE_FACTOR} × "
            f"({r_x:.2f} + {r_s:.2f}) = {raw:.3f} (covalent radii, the smallest host one), "
            f"rounded to {ROUND_STEP_A}",
        ),
        "sites.min_host_distance": Derived(
            d_host,
            f"Å: {HOST_DISTANCE_FACTOR} × reference.min_distance = "
            f"{HOST_DISTANCE_FACTOR * d_min:.3f}, rounded to {ROUND_STEP_A}",
        ),
        "sites.grid_spacing": Derived(
            grid,
            f"Å: min({MAX_GRID_SPACING_A}, reference.min_distance / 5 = {d_min / 5.0:.3f}), "
            f"rounded to {ROUND_STEP_A}",
        ),
        "reference.points": Derived(
            points,
            f"random points per sample: {POINTS_PER_A3} per Å³ × {volume:.1f} Å³ = {wanted:.1f}, "
            f"rounded up to a multiple of {POINTS_STEP}, at least {MIN_POINTS}",
        ),
        "reference.relax_radius": Derived(
            DEFAULTS.relax_radius,
            "Å: host atoms this close to the mobile atom relax (0: all); the package default",
        ),
        "hops.max_distance": Derived(
            "auto",
            f"Å: after the site search, {AUTO_HOP_FACTOR} × (V / N_sites)^(1/3) clipped to "
            f"[{lo}, {hi}] (V = {volume:.1f} Å³)",
        ),
    }


def auto_hop_distance(volume: float, n_sites: int) -> float:
    """The candidate-pair distance of ``hops.max_distance = "auto"``, Å.

    ``AUTO_HOP_FACTOR`` × (V / N)^(1/3) clipped to ``AUTO_HOP_RANGE_A``: 1.6 times the edge of
    the mean volume per site, which reaches the nearest neighbours of a site and stops before the
    neighbours behind them (on a simple-cubic lattice of spacing a: 1.6 a, past a√2, short of a√3).

    Parameters
    ----------
    volume : float
        Cell volume V, Å³.
    n_sites : int
        Number of sites N found in the cell.

    Raises
    ------
    InputError
        A volume that is not a finite number > 0 Å³ or fewer than one site.
    """
    if isinstance(volume, bool) or not (math.isfinite(float(volume)) and float(volume) > 0):
        raise InputError(f"cell volume must be a finite number > 0 Å³, got {volume!r}")
    if isinstance(n_sites, bool) or int(n_sites) != n_sites or n_sites < 1:
        raise InputError(f"number of sites must be an integer >= 1, got {n_sites!r}")
    lo, hi = AUTO_HOP_RANGE_A
    return float(min(hi, max(lo, AUTO_HOP_FACTOR * (float(volume) / int(n_sites)) ** (1 / 3))))


def resolve_hop_distance(
    max_distance: float | str, volume: float, n_sites: int
) -> tuple[float, bool]:
    """``hops.max_distance`` as a number, Å, and whether it was ``"auto"``.

    A number is returned as given; ``"auto"`` becomes :func:`auto_hop_distance` of the cell
    volume (Å³) and the number of sites.
    """
    if max_distance == "auto":
        return auto_hop_distance(volume, n_sites), True
    return float(max_distance), False


# ----------------------------------------------------------------------------------------------
# the study file of ``landscape init``

#: The comment of every key of the format, unit first (derived keys take their reason instead).
COMMENTS: dict[str, str] = {
    "study.name": "the study's name (summary and report)",
    "study.out": "results folder (summary, report, cache), relative to this file",
    "study.species": "the mobile species",
    "study.seed": "seed of the NNP training and of the KMC",
    "study.workers": "local processes running the per-sample stages (sites, hops, kinetics, "
    "validation), one sample each (1: one after another, in this process)",
    "study.scheduler": 'a Dask scheduler for them instead ("tcp://host:8786"; empty: none)',
    "study.cluster": 'or a dask-jobqueue cluster made for them: {type = "slurm", jobs = 4, ...} '
    "(empty: none)",
    "samples.source": "the host: a structure file relative to this file, or a bundled sample name",
    "samples.sample_id": "sample id (empty: the file's own sample_id, else its stem)",
    "reference.db": "ASE database of reference energies, relative to this file; the study "
    "creates it (points > 0) and resumes it when interrupted",
    "reference.calculator": '"chgnet", "sevennet", "cp2k" or "module:Class" (any ASE calculator)',
    "reference.calculator_kwargs": "table of the calculator's keyword arguments",
    "reference.workers": "local worker processes computing the reference points",
    "reference.seed": "seed of the random points (their ids start at 1e8 + 1e6 × seed)",
    "reference.targeted_rounds": "rounds of points at the sites and saddles of the networks, "
    "each followed by retraining (0: none)",
    "reference.fmax": "eV/Å, host relaxation criterion",
    "reference.max_steps": "host relaxation steps at most",
    "reference.optimizer": '"BFGS", "LBFGS" or "FIRE"',
    "nnp.model": "a saved model to load (MODEL[.json], relative to this file); empty: train one",
    "nnp.train_samples": "sample ids the NNP trains on (empty: every sample)",
    "nnp.n_models": "ensemble members",
    "nnp.hidden": "hidden-layer widths",
    "nnp.max_epochs": "Adam epochs at most",
    "nnp.patience": "Adam epochs without validation improvement before stopping",
    "nnp.lbfgs_steps": "L-BFGS steps after Adam, on the whole training set (0: none)",
    "nnp.n_jobs": "processes training the members side by side (-1: every core)",
    "nnp.train_together": "all members at once, stacked (false: one after another)",
    "nnp.precision": '"float32" or "float64": arithmetic of the stacked training',
    "nnp.batch_size": "Adam mini-batch, points per member",
    "nnp.learning_rate": "initial Adam learning rate (decays 100× over max_epochs)",
    "nnp.force_weight": "loss weight of the reference forces on the mobile atom (0: energies only)",
    "nnp.network_weight": "loss weight of targeted points (at sites and saddles) vs random ones",
    "nnp.max_host_displacement": "Å; train only on points that moved no host atom farther (0: all)",
    "sites.fmax": "eV/Å, the site minimisation stops below this force",
    "sites.merge_distance": "Å, minima closer than this (periodic distance) are one site",
    "sites.guide": "pre-relax grid minima on a spline of the NNP",
    "hops.n_images": "images per NEB band, both ends included",
    "hops.fmax": "eV/Å, NEB convergence (force perpendicular to the band)",
    "hops.prefactor": '"constant" (1e13 Hz) or "vineyard" (harmonic TST from the Hessians)',
    "hops.candidates": '"distance" (every pair within max_distance) or "basins" (pairs whose '
    "grid basins touch)",
    "hops.guide": "relax bands on a spline of the NNP, saddles polished on the NNP",
    "kinetics.temperatures": "K; choose them to bracket the temperature range of the experiment "
    "you compare with",
    "kinetics.methods": '"exact" and/or "kmc"',
    "kinetics.walkers": "KMC walkers",
    "kinetics.kmc_steps": "KMC hops per walker at least (longer where needed to be diffusive)",
    "kinetics.kmc_cells": "cell lengths of RMS displacement the KMC walk must reach",
    "kinetics.kmc_hop_budget": "KMC moves per temperature at most (longer: flagged not diffusive)",
    "kinetics.kmc_superbasins": "traps as superbasins (mean-rate method; exact long-time D)",
    "validate.hops": "NNP hops checked against the reference per sample (0: none)",
    "validate.samples": "sample ids to check (empty: every sample)",
    "store.uri": "Neo4j URI; empty: the embedded database (or $LANDSCAPE_NEO4J_URI)",
    "store.data_dir": "the embedded database's folder, relative to this file",
    "compare.Ea_eV": "eV, measured activation energy (required in this section)",
    "compare.Ea_err_eV": "eV, its one-sigma uncertainty (0: not given)",
    "compare.D0_cm2_s": "cm²/s, measured prefactor (0: not given)",
    "compare.temperatures": "K, measured range [T_min, T_max] (empty: not given)",
    "compare.citation": "the source of the numbers (required)",
    "compare.label": "a label for the report",
}

#: Section headers' comments.
SECTION_COMMENTS: dict[str, str] = {
    "study": "what is studied and where the results go",
    "samples": "one table per host sample",
    "reference": "reference energies of the mobile atom in the host",
    "nnp": "the simplified NNP ensemble trained on the reference energies",
    "sites": "site search (landscape.explore.find_sites)",
    "hops": "hop search (landscape.explore.find_hops)",
    "kinetics": "diffusion coefficient and activation energy",
    "validate": "reference energies along NNP hops (landscape.explore.validate_hops)",
    "store": "the graph store",
    "compare": "optional: a measurement beside the computed Eₐ; uncomment and fill in",
}

_KEY_COLUMN = 32


def _toml(value: Any, what: str) -> str:
    """A TOML literal of ``value`` (str, bool, int, float, list, table)."""
    import json
    import re

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        # a TOML basic string (JSON's escapes, and DEL, which TOML wants escaped too)
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        short = f"{value:g}"  # 3e+08 rather than 300000000.0, where that is exact
        if float(short) != value:
            return repr(value)
        return short if any(c in short for c in ".ein") else short + ".0"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v, what) for v in value) + "]"
    if isinstance(value, dict):
        items = []
        for k, v in value.items():
            key = k if re.fullmatch(r"[A-Za-z0-9_-]+", str(k)) else json.dumps(str(k))
            items.append(f"{key} = {_toml(v, what)}")
        return "{" + ", ".join(items) + "}"
    raise InputError(
        f"{what}: {value!r} cannot be written in TOML (null has no TOML form); expected "
        "strings, numbers, true/false, lists and tables"
    )


def _line(key: str, literal: str, comment: str, prefix: str = "") -> str:
    text = f"{prefix}{key} = {literal}"
    return f"{text.ljust(_KEY_COLUMN)}  # {comment}" if comment else text


@dataclass(frozen=True)
class Scaffold:
    """What :func:`scaffold_study` makes.

    Attributes
    ----------
    text : str
        The whole study file (TOML with a comment on every key).
    derived : list of str
        One ``section.key = value  # reason`` line per setting derived from the host and the
        species, as in the file.
    values : dict
        ``"section.key"`` → the value written, for every key of the file.
    """

    text: str
    derived: list[str]
    values: dict[str, Any]


def _sections() -> list[tuple[str, type, bool]]:
    """``(name, dataclass, optional)`` of every section of the format, in file order."""
    hints = get_type_hints(StudyConfig)
    out = []
    for f in fields(StudyConfig):
        if f.name == "base_dir":
            continue
        if f.name == "samples":
            out.append((f.name, SampleSpec, False))
            continue
        tp = hints[f.name]
        cls = tp if is_dataclass(tp) else next(a for a in get_args(tp) if is_dataclass(a))
        out.append((f.name, cls, cls is not tp))
    return out


def scaffold_study(
    study_file: str | Path,
    host: Atoms,
    source: str,
    species: str,
    calculator: str,
    calculator_kwargs: dict[str, Any] | None = None,
    *,
    points: int | None = None,
    name: str = "",
) -> Scaffold:
    """A complete study file for ``species`` in ``host``: every section and key of the format,
    each with a comment, the host-dependent settings from :func:`scaled_defaults`.

    Parameters
    ----------
    study_file : str or Path
        Where the file will be written; its stem names the reference database
        (``<stem>-reference.db``), the results folder (``<stem>-results``) and the embedded
        database's folder (``<stem>-data``), all next to it.
    host : ase.Atoms
        The host (checked: 3D periodic cell).
    source : str
        ``samples.source``: the host's path relative to the study file, or a bundled sample name.
    species : str
        The mobile species.
    calculator : str
        The reference calculator's name (``"chgnet"``, ``"module:Class"``, ...).
    calculator_kwargs : dict, optional
        Its keyword arguments (TOML-writable: no null).
    points : int, optional
        Reference points per sample (default: derived from the host's volume).
    name : str
        ``study.name`` (default ``"<species> in <sample id>"``).

    Raises
    ------
    InputError
        As :func:`scaled_defaults`; ``points`` not an integer >= 1; keyword arguments TOML cannot
        hold.
    """
    derived = scaled_defaults(host, species)
    _toml(dict(calculator_kwargs or {}), "calculator kwargs")  # refused before anything else
    if points is not None:
        if isinstance(points, bool) or not isinstance(points, int) or points < 1:
            raise InputError(f"points must be an integer >= 1 per sample, got {points!r}")
        derived["reference.points"] = Derived(points, "random points per sample: as given")
    cores = max(1, min(MAX_INIT_WORKERS, os.cpu_count() or 1))
    derived["reference.workers"] = Derived(
        cores,
        f"local processes computing reference points: this machine's cores (at most "
        f"{MAX_INIT_WORKERS}); the points do not depend on it",
    )
    stem = Path(study_file).stem
    sample_id = str(host.info.get("sample_id") or Path(source).stem)
    values: dict[str, Any] = {
        "study.name": name or f"{species} in {sample_id}",
        "study.out": f"{stem}-results",
        "study.species": species,
        "samples.source": source,
        "reference.db": f"{stem}-reference.db",
        "reference.calculator": calculator,
        "reference.calculator_kwargs": dict(calculator_kwargs or {}),
        "kinetics.temperatures": list(INIT_TEMPERATURES_K),
        "store.data_dir": f"{stem}-data",
    }
    values.update({k: d.value for k, d in derived.items()})
    lines = [
        "# landscape study file (format: landscape.study.studyfile), written by `landscape init`:",
        f"# {species} in {sample_id} ({host.get_chemical_formula(mode='metal')}, {len(host)} "
        f"atoms, {host.get_volume():.1f} Å³), reference calculator {calculator}.",
        "# Every key is here with its unit; the settings that scale with the host and the species",
        "# say how they were derived (landscape.study.scaffold), the others are the package",
        "# defaults. Paths are relative to this file. Next: landscape study "
        f"{Path(study_file).name}",
    ]
    derived_lines = []
    for section, cls, optional in _sections():
        prefix = "# " if optional else ""
        header = prefix + (f"[[{section}]]" if section == "samples" else f"[{section}]")
        note = SECTION_COMMENTS.get(section, "")
        lines += ["", f"{header.ljust(_KEY_COLUMN)}  # {note}" if note else header]
        default = cls()
        for f in fields(cls):
            key = f"{section}.{f.name}"
            value = values.get(key, getattr(default, f.name))
            if value is None:
                continue
            if key in derived:
                comment = derived[key].reason
            else:
                comment = COMMENTS.get(key, "see landscape.study.studyfile")
            literal = _toml(value, key)
            if isinstance(value, float) and key in derived:
                literal = f"{value:.2f}"
            lines.append(_line(f.name, literal, comment, prefix))
            if key in derived:
                derived_lines.append(_line(key, literal, comment))
            if not optional:
                values[key] = value
    return Scaffold(text="\n".join(lines) + "\n", derived=derived_lines, values=values)
