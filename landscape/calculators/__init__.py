"""Reference calculators by name.

``get_calculator("chgnet")`` is the default: the CHGNet universal potential, whose weights ship
inside its wheel so it loads offline. It is fit to PBE data from the Materials Project and stands in
for DFT; every label says so (:data:`CHGNET_LABEL`). ``"sevennet"`` is SevenNet-0 (the ``dft``
extra), ``"cp2k"`` is ASE's CP2K calculator with a PBE / GTH / DZVP-MOLOPT-SR-GTH input suited to
Ta-O-Cu (every setting, and how CP2K starts, in :mod:`landscape.calculators.cp2k`), and
``"module:Class"`` is any ASE calculator, built with the keyword arguments given (JSON on the
command line).

Never mix absolute energies of two calculators: CHGNet's include the Materials Project oxygen
correction; only differences at fixed composition (``e_insert``) are comparable.
"""

from __future__ import annotations

import importlib
import json
from typing import Any

import numpy as np

from ..errors import InputError
from .cp2k import (
    check_cp2k,
    cp2k_input,
    cp2k_input_text,
    cp2k_params,
    cp2k_settings,
    cp2k_version,
    make_cp2k,
)

__all__ = [
    "CHGNET_LABEL",
    "KNOWN_CALCULATORS",
    "get_calculator",
    "calculator_info",
    "cp2k_input",
    "cp2k_input_text",
    "cp2k_settings",
    "check_calculator_available",
    "parse_calculator_kwargs",
]

#: How CHGNet is labelled everywhere (it is not DFT).
CHGNET_LABEL = "CHGNet universal potential (fit to PBE/MP data) standing in for DFT"

#: Names understood by :func:`get_calculator` (plus any ``module:Class``).
KNOWN_CALCULATORS = ("chgnet", "sevennet", "cp2k")


def parse_calculator_kwargs(text: str | None) -> dict[str, Any]:
    """Parse the ``--calculator-kwargs`` JSON object (``None`` or empty gives ``{}``).

    Raises
    ------
    InputError
        Text that is not a JSON object.
    """
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"calculator kwargs {text!r} are not valid JSON ({exc.msg})") from None
    if not isinstance(value, dict):
        raise InputError(f"calculator kwargs {text!r} must be a JSON object, e.g. '{{\"a\": 1}}'")
    return value


def get_calculator(name: str = "chgnet", **kwargs: Any) -> Any:
    """Build an ASE calculator by name.

    Parameters
    ----------
    name : str
        ``"chgnet"`` (default; CHGNet universal potential, offline), ``"sevennet"`` (SevenNet-0,
        extra ``dft``), ``"cp2k"`` (ASE's CP2K calculator, PBE/GTH/DZVP-MOLOPT-SR-GTH), or
        ``"module:Class"`` for any ASE calculator.
    **kwargs
        Passed to the calculator. For ``chgnet``: ``use_device`` (``"cpu"``/``"cuda"``); for
        ``cp2k``: any ASE CP2K keyword plus ``added_mos``, ``smear_temperature`` (K),
        ``mixing_alpha``, and how it runs: ``ranks``, ``threads``, ``command``, ``label``
        (:mod:`landscape.calculators.cp2k`, the one place of the CP2K settings).

    Returns
    -------
    ase.calculators.calculator.Calculator

    Raises
    ------
    InputError
        Unknown name (the message lists the known ones), a missing optional dependency or
        program (CP2K), or a ``module:Class`` that cannot be imported.
    """
    key = name.strip()
    low = key.lower()
    if low == "chgnet":
        import logging

        from chgnet.model import CHGNet
        from chgnet.model.dynamics import CHGNetCalculator

        device = kwargs.pop("use_device", "cpu")
        model = CHGNet.load(verbose=False, use_device=device)
        logging.getLogger("chgnet").setLevel(logging.WARNING)
        return _chgnet_class(CHGNetCalculator)(model=model, use_device=device, **kwargs)
    if low == "sevennet":
        try:
            from sevenn.calculator import SevenNetCalculator
        except ImportError:
            raise InputError(
                "calculator 'sevennet' needs the package sevenn: pip install 'landscape[dft]'"
            ) from None
        return SevenNetCalculator(kwargs.pop("model", "7net-0"), **kwargs)
    if low == "cp2k":
        return make_cp2k(**kwargs)
    if ":" in key:
        module_name, _, cls_name = key.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise InputError(
                f"calculator {key!r}: cannot import module {module_name!r} ({exc})"
            ) from None
        cls = getattr(module, cls_name, None)
        if cls is None:
            raise InputError(f"calculator {key!r}: module {module_name!r} has no {cls_name!r}")
        try:
            return cls(**kwargs)
        except TypeError as exc:
            raise InputError(f"calculator {key!r}: bad keyword arguments ({exc})") from None
    raise InputError(
        f"unknown calculator {name!r}; expected one of {list(KNOWN_CALCULATORS)} or 'module:Class'"
    )


def check_calculator_available(name: str, kwargs: dict[str, Any] | None = None) -> None:
    """Refuse (:class:`InputError`), before any work, a named calculator whose external program
    is missing (``cp2k``: :func:`landscape.calculators.cp2k.check_cp2k`); others are not checked
    here (their import errors name the extra to install)."""
    if isinstance(name, str) and name.strip().lower() == "cp2k":
        check_cp2k(**dict(kwargs or {}))


def check_calculator_name(name: str, what: str = "--calculator") -> str:
    """Refuse a calculator name that :func:`get_calculator` cannot build, without building it."""
    if not isinstance(name, str) or (
        name.strip().lower() not in KNOWN_CALCULATORS and ":" not in name
    ):
        raise InputError(
            f"{what} {name!r} is unknown; expected one of {list(KNOWN_CALCULATORS)} or "
            "'module:Class'"
        )
    return name


#: Elements of the universal potentials: every element up to Pu (Z = 94).
_UNIVERSAL_MAX_Z = 94


def check_elements(calc: Any, symbols: Any, label: str) -> None:
    """Refuse elements that the calculator ``calc`` (named ``label``) cannot handle, before work.

    The universal potentials (``chgnet``, ``sevennet``) cover the elements up to Pu. Another
    in-process calculator is asked for the energy of each element alone in a periodic box (cheap:
    one atom); a calculator that runs an external program (a ``FileIOCalculator``, CP2K) is not
    probed.

    Raises
    ------
    InputError
        An element the calculator does not support, named with the calculator.
    """
    from ase import Atoms
    from ase.calculators.calculator import FileIOCalculator
    from ase.data import atomic_numbers

    elements = sorted(set(symbols))
    if isinstance(label, str) and label.strip().lower() in ("chgnet", "sevennet"):
        bad = [e for e in elements if atomic_numbers.get(e, 0) > _UNIVERSAL_MAX_Z]
        if bad:
            raise InputError(
                f"calculator {label!r} has no parameters for {bad}; expected elements up to Pu"
            )
        return
    if calc is None or isinstance(calc, FileIOCalculator):
        return
    for element in elements:
        probe = Atoms(element, positions=[[5.0, 5.0, 5.0]], cell=[10.0] * 3, pbc=True)
        probe.calc = calc
        try:
            probe.get_potential_energy()
        except Exception as exc:  # noqa: BLE001 - any failure means: this element is not handled
            msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise InputError(
                f"calculator {label!r} cannot handle element {element!r} ({msg}); expected a "
                "calculator that supports every element of the host and the mobile species"
            ) from None
        finally:
            probe.calc = None
            if hasattr(calc, "reset"):
                calc.reset()


_CHGNET_EF: Any = None


def _chgnet_class(base: Any) -> Any:
    """CHGNetCalculator that predicts energy and forces only (no stress: the cell is fixed here),
    and evaluates many structures in one batch (:meth:`batch_energy_forces`)."""
    global _CHGNET_EF
    if _CHGNET_EF is not None:
        return _CHGNET_EF

    class CHGNetEF(base):
        """CHGNet ASE calculator, energy and forces only, with the vectorised graph builder
        (:mod:`landscape.calculators.chgnet_graph`; same graph, same energies)."""

        implemented_properties = ("energy", "forces")

        def calculate(self, atoms=None, properties=None, system_changes=None):  # noqa: D401
            from ase.calculators.calculator import Calculator, all_changes

            Calculator.calculate(
                self, atoms, properties or ["energy"], system_changes or all_changes
            )
            ((e, f),) = self.batch_energy_forces([self.atoms])
            self.results = {"energy": e, "free_energy": e, "forces": f}

        def batch_energy_forces(self, structures: list[Any]) -> list[tuple[float, Any]]:
            """Energies (eV) and forces (eV/Å) of many structures in one model call."""
            from pymatgen.io.ase import AseAtomsAdaptor

            from .chgnet_graph import crystal_graph

            conv = self.model.graph_converter
            graphs = [crystal_graph(conv, AseAtomsAdaptor.get_structure(a)) for a in structures]
            preds = self.model.predict_graph(
                [g.to(self.device) for g in graphs], task="ef", batch_size=len(graphs)
            )
            if isinstance(preds, dict):
                preds = [preds]
            out = []
            for a, p in zip(structures, preds, strict=True):
                factor = len(a) if self.model.is_intensive else 1
                out.append((float(p["e"]) * factor, np.asarray(p["f"], dtype=float)))
            return out

    _CHGNET_EF = CHGNetEF
    return CHGNetEF


def calculator_info(name: str, kwargs: dict[str, Any] | None = None) -> dict[str, str]:
    """Name, version and parameters of a calculator, as stored in every reference row.

    Parameters
    ----------
    name : str
        The name given to :func:`get_calculator`.
    kwargs : dict, optional
        Its keyword arguments.

    Returns
    -------
    dict
        ``calculator`` (a label; CHGNet's says it stands in for DFT), ``calculator_version``,
        ``calculator_params`` (JSON text).
    """
    low = name.strip().lower()
    params = dict(kwargs or {})
    params.pop("use_device", None)  # where it ran does not change the energies
    version = "unknown"
    if low == "chgnet":
        label = CHGNET_LABEL
        version = _dist_version("chgnet")
    elif low == "sevennet":
        label = "SevenNet-0 universal potential standing in for DFT"
        version = _dist_version("sevenn")
    elif low == "cp2k":
        label = "CP2K PBE/GTH/DZVP-MOLOPT-SR-GTH"
        version = f"{cp2k_version()} (ase {_dist_version('ase')})"
        params = cp2k_params(**params)
    else:
        label = name.strip()
        module = label.partition(":")[0].split(".")[0]
        version = _dist_version(module)
    return {
        "calculator": label,
        "calculator_version": version,
        "calculator_params": json.dumps(params, sort_keys=True),
    }


def _dist_version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "unknown"
