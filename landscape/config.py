"""One configuration object for landscape: physics defaults and where things live.

Every default of docs/design.md ("Physics defaults") lives here, documented with its unit, so that no
module carries magic numbers. Override by constructing :class:`Settings` with keywords, or through
the environment variables named below for the locations and the database.

Environment
-----------
LANDSCAPE_DATA
    Data folder of the embedded database and caches (default ``./landscape-data``).
LANDSCAPE_NEO4J_URI, LANDSCAPE_NEO4J_USER, LANDSCAPE_NEO4J_PASSWORD
    Use a real Neo4j 5 server instead of the embedded database.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from .errors import InputError
from .units import DEFAULT_PREFACTOR_HZ


@dataclass(frozen=True)
class Settings:
    """Physics defaults and locations (units in each field's comment)."""

    # --- symmetry functions ---
    r_cut: float = 6.0  # Å, cosine cutoff radius
    # --- sites ---
    grid_spacing: float = 0.25  # Å, at most
    min_host_distance: float = 1.0  # Å, grid points closer to a host atom are skipped
    site_fmax: float = 1e-3  # eV/Å, minimisation stops below this force
    merge_distance: float = 0.3  # Å, minima closer than this (periodic) are one site
    # --- hops ---
    hop_max_distance: float = 4.5  # Å, candidate pairs (periodic images included)
    neb_images: int = 9  # interior + end images of each band
    neb_fmax: float = 0.02  # eV/Å, perpendicular force at convergence
    interior_minimum_depth: float = 0.01  # eV, deeper interior minimum => not elementary
    prefactor_hz: float = DEFAULT_PREFACTOR_HZ  # Hz, constant attempt frequency
    # --- kinetics ---
    temperatures: tuple[float, ...] = (500.0, 600.0, 700.0, 800.0)  # K
    room_temperature: float = 300.0  # K, every study also reports the exact D here
    kmc_walkers: int = 1000  # independent KMC walkers
    kmc_steps: int = 2000  # mean hops per walker (at least)
    kmc_superbasins: bool = True  # mean-rate superbasins in the KMC (exact for D)
    # --- reference calculations (host + mobile atom relaxed by the reference calculator) ---
    host_fmax: float = (
        0.05  # eV/Å, host relaxation stops below this force (also samples, validation)
    )
    host_max_steps: int = 300  # optimiser steps at most per relaxation
    host_optimizer: str = "BFGS"  # ASE optimiser of the host relaxations
    min_insert_distance: float = 1.6  # Å, mobile atom at least this far from every host atom
    relax_radius: float = 5.0  # Å, host atoms this close to the mobile atom relax (0: all)
    # --- simplified NNP (ensemble of small networks) ---
    nnp_n_models: int = 5  # ensemble members
    nnp_hidden: tuple[int, ...] = (32, 32)  # hidden-layer widths
    nnp_max_epochs: int = 400  # Adam epochs at most
    nnp_patience: int = 40  # Adam epochs without validation improvement before stopping
    nnp_lbfgs_steps: int = 200  # L-BFGS iterations after Adam
    nnp_batch_size: int = 64  # Adam mini-batch, points per member
    nnp_learning_rate: float = 1e-2  # initial Adam learning rate (decays 100x over max_epochs)
    nnp_train_together: bool = True  # all members at once as one stacked computation
    nnp_precision: str = "float32"  # arithmetic of the stacked training; the model keeps float64
    # --- locations ---
    data_dir: Path = field(
        default_factory=lambda: Path(os.environ.get("LANDSCAPE_DATA", "landscape-data"))
    )

    def with_(self, **changes: object) -> Settings:
        """Return a copy with some fields changed; unknown names raise :class:`InputError`."""
        names = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise InputError(f"unknown setting(s) {unknown}; expected one of {sorted(names)}")
        return replace(self, **changes)


def neo4j_from_env() -> tuple[str, str, str] | None:
    """Return ``(uri, user, password)`` from ``LANDSCAPE_NEO4J_*`` variables, or ``None`` if unset."""
    uri = os.environ.get("LANDSCAPE_NEO4J_URI")
    if not uri:
        return None
    return (
        uri,
        os.environ.get("LANDSCAPE_NEO4J_USER", "neo4j"),
        os.environ.get("LANDSCAPE_NEO4J_PASSWORD", ""),
    )


#: The settings in force when nothing else is given.
DEFAULTS = Settings()

__all__ = ["Settings", "DEFAULTS", "neo4j_from_env"]
