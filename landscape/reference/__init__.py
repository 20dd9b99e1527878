"""Reference energies of a mobile atom in a host: calculators, resumable runs, import, data sets.

Heavy parts (the calculators, ASE optimisers) load on first use of a name.
"""

from __future__ import annotations

from .._lazy import lazy_getattr

_LAZY = {
    "ReferenceDataset": ".dataset",
    "load_dataset": ".dataset",
    "get_calculator": "landscape.calculators",
    "calculator_info": "landscape.calculators",
    "CHGNET_LABEL": "landscape.calculators",
    "KNOWN_CALCULATORS": "landscape.calculators",
    "relax_insertion": ".relax",
    "relax_host": ".relax",
    "OPTIMIZERS": ".relax",
    "run_reference": ".run",
    "run_network_reference": ".run",
    "RunSummary": ".run",
    "InsertionPoints": ".settings",
    "Relaxation": ".settings",
    "Execution": ".settings",
    "merge_databases": ".database",
    "open_reference_db": ".database",
    "random_points": ".points",
    "grid_points": ".points",
    "check_points": ".points",
    "import_results": ".importer",
    "dataset_info": ".importer",
    "bundled_reference_db": ".importer",
    "CrosscheckMethods": ".crosscheck",
    "plan_crosscheck": ".crosscheck_plan",
    "run_crosscheck": ".crosscheck",
    "crosscheck_summary": ".crosscheck_summary",
    "describe_crosscheck": ".crosscheck_summary",
}

__all__ = sorted(_LAZY)


__getattr__ = lazy_getattr(__name__, _LAZY)


def __dir__() -> list[str]:
    return __all__
