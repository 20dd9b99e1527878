"""Reference calculators by name: moved to :mod:`landscape.calculators`, re-exported here."""

from __future__ import annotations

from ..calculators import (
    CHGNET_LABEL,
    KNOWN_CALCULATORS,
    calculator_info,
    check_calculator_name,
    check_elements,
    cp2k_input,
    cp2k_input_text,
    get_calculator,
    parse_calculator_kwargs,
)

__all__ = [
    "CHGNET_LABEL",
    "KNOWN_CALCULATORS",
    "get_calculator",
    "calculator_info",
    "cp2k_input",
    "cp2k_input_text",
    "parse_calculator_kwargs",
    "check_calculator_name",
    "check_elements",
]
