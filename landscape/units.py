"""Units and physical constants used throughout landscape.

Every quantity in the package is expressed in these units unless a docstring says otherwise:

========== =========================
quantity   unit
========== =========================
energy     eV
length     Å
time       fs (MD), s (kinetics)
temperature K
rate       Hz (1/s)
D          cm²/s
frequency  THz
mass       amu
========== =========================

Constants come from :mod:`ase.units` (CODATA 2018 set, ``ase.units.create_units("2018")``), so that
``K_B = 8.617333262e-5 eV/K`` as docs/design.md states.
"""

from __future__ import annotations

from ase.units import create_units

_u = create_units("2018")

#: Boltzmann constant, eV/K (CODATA 2018: 8.617333262e-5).
K_B: float = float(_u.kB)
#: Default attempt frequency of a hop, Hz (as in Li, Ando & Watanabe, JPSJ 86, 104004 (2017)).
DEFAULT_PREFACTOR_HZ: float = 1.0e13
#: 1 Å²/s expressed in cm²/s.
ANGSTROM2_PER_S_TO_CM2_PER_S: float = 1.0e-16
#: Atomic mass unit in kg.
AMU_KG: float = float(_u._amu)
#: Electron-volt in J.
EV_J: float = float(_u._e)
#: 1 Å in m.
ANGSTROM_M: float = 1.0e-10
#: Avogadro's number, 1/mol.
AVOGADRO: float = float(_u._Nav)
#: Conversion of the harmonic frequency sqrt(k/m) with k in eV/Å² and m in amu to THz (cycles/ps):
#: nu = sqrt(k [eV/Å²] / m [amu]) * EV_A2_AMU_TO_THZ.
EV_A2_AMU_TO_THZ: float = float(
    (EV_J / ANGSTROM_M**2 / AMU_KG) ** 0.5 / (2.0 * 3.141592653589793) / 1e12
)
#: Grams per amu, for densities in g/cm³.
G_PER_AMU: float = 1.0 / AVOGADRO
#: 1 Å³ in cm³.
ANGSTROM3_TO_CM3: float = 1.0e-24

__all__ = [
    "K_B",
    "DEFAULT_PREFACTOR_HZ",
    "ANGSTROM2_PER_S_TO_CM2_PER_S",
    "AMU_KG",
    "EV_J",
    "ANGSTROM_M",
    "AVOGADRO",
    "EV_A2_AMU_TO_THZ",
    "G_PER_AMU",
    "ANGSTROM3_TO_CM3",
]
