"""Reference energies of a mobile atom in a host: calculators, resumable runs, import, data sets.

Heavy parts (the calculators, ASE optimisers) load on first use of a name.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "ReferenceDataset": ".dataset",
    "load_dataset": ".dataset",
    "get_calculator": "landscape.calculators",
    "calculator_info": "landscape.calculators",
    "CHGNET_LABEL": "landscape.calculators",
    "KNOWN_CALCULATORS": "landscape.calculators",
    "relax_insertion": ".run",
    "relax_host": ".run",
    "run_reference": ".run",
    "run_network_reference": ".run",
    "merge_databases": ".run",
    "RunSummary": ".run",
    "random_points": ".points",
    "grid_points": ".points",
    "check_points": ".points",
    "import_results": ".importer",
    "dataset_info": ".importer",
    "bundled_reference_db": ".importer",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'landscape.reference' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
