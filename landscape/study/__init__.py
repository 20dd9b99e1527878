"""The whole study: a study file (TOML) in, hop networks, kinetics, the graph store and a report out.

- :mod:`~landscape.study.studyfile`: the study file, parsed and validated strictly
  (:func:`load_study`, :func:`parse_study`, :class:`StudyConfig`).
- :mod:`~landscape.study.pipeline`: :func:`run_study`, the stages in order, with one progress display.
- :mod:`~landscape.study.stages`: one function per stage (samples, reference data, NNP, targeted
  rounds, hop networks, kinetics, hop validation, graph store).
- :mod:`~landscape.study.cache`: content-hash caching of the stages in ``<out>/cache``.
- :mod:`~landscape.study.summary`: the summary rows (``summary.json``).
- :mod:`~landscape.study.report`: the figures and the HTML report.
- :mod:`~landscape.study.scaffold`: defaults that scale with the host and the mobile species
  (:func:`scaled_defaults`, :func:`auto_hop_distance`) and the study file of ``landscape init``
  (:func:`scaffold_study`).
- :mod:`~landscape.study.demo`: the demo study (:func:`demo_config`, :data:`DEMO_SAMPLES`).
"""

from __future__ import annotations

from .demo import DEMO_SAMPLES, demo_config
from .pipeline import StudyResult, run_study
from .scaffold import auto_hop_distance, scaffold_study, scaled_defaults
from .studyfile import (
    SEED_LIMIT,
    STUDY_RANDOM_FIRST_ID,
    TARGETED_FIRST_ID,
    StudyConfig,
    check_study_paths,
    load_study,
    parse_study,
)

__all__ = [
    "DEMO_SAMPLES",
    "SEED_LIMIT",
    "STUDY_RANDOM_FIRST_ID",
    "TARGETED_FIRST_ID",
    "StudyConfig",
    "StudyResult",
    "auto_hop_distance",
    "check_study_paths",
    "demo_config",
    "load_study",
    "parse_study",
    "run_study",
    "scaffold_study",
    "scaled_defaults",
]
