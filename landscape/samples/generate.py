"""Melt-quench generation of amorphous samples, relaxed afterwards with the reference calculator at
fixed cell. The MD runs on a cheap Ta-O pair potential (:class:`MeltPairPotential`, ``"pair"``) or
on any calculator :func:`landscape.calculators.get_calculator` builds (e.g. ASE's EMT for Pd-Ni)."""

from __future__ import annotations

import datetime as _dt
import shlex
import sys
import time
from typing import Any

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator, all_changes
from ase.data import atomic_numbers, covalent_radii

from ..config import DEFAULTS
from ..errors import InputError
from ._md import langevin, progress_bar, ramp, relax_fixed_cell
from .info import box_length_for_density

__all__ = ["MeltPairPotential", "START_RADIUS_FACTOR", "check_md_calculator", "generate_amorphous"]

#: Minimum separations (Å) of the random start for the Ta-O pairs; a draw closer than 0.8 times
#: these is redrawn.
_TA_O_START_DISTANCES = {("O", "O"): 2.3, ("O", "Ta"): 1.8, ("Ta", "Ta"): 3.0}

#: Every other pair A-B starts at least 0.8 x START_RADIUS_FACTOR x (r_A + r_B) apart (ASE's
#: covalent radii, Å): 0.8 x 0.8 x 2.78 = 1.78 Å for Pd-Pd, 1.68 Å for Pd-Ni, 1.59 Å for Ni-Ni.
#: Wide enough that no pair starts deep in its repulsive wall, narrow enough that random
#: placement still fills a metal at its density (random sequential addition jams near a packing
#: fraction of 0.38).
START_RADIUS_FACTOR = 0.8


class MeltPairPotential(Calculator):
    """A cheap short-range pair potential for melting and quenching oxides.

    Cation-anion pairs: a Morse well ``D [e^{-2α(r-r0)} - 2 e^{-α(r-r0)}]`` with its minimum at
    ``r0`` (1.92 Å for Ta-O: crowding by the other anions moves the mean bond to about 2.0 Å). Like pairs: Born-Mayer repulsion
    ``A e^{-r/ρ}``, which keeps cations apart and limits how many anions fit around a cation.
    Every pair term is shifted and tapered to zero at ``cutoff`` (energy and force continuous).
    It only has to give a plausible disordered network: the reference calculator relaxes the
    quenched structure afterwards.

    Parameters
    ----------
    morse : dict[(str, str), (D, alpha, r0)]
        Morse parameters per unordered pair (eV, 1/Å, Å).
    born_mayer : dict[(str, str), (A, rho)]
        Repulsion per unordered pair (eV, Å).
    cutoff : float
        Å.
    """

    implemented_properties = ("energy", "forces")

    #: Parameters for Ta-O (tuned so that Ta-O bonds sit at about 1.95-2.0 Å and Ta is 6-7-fold).
    TA_O_MORSE = {("O", "Ta"): (1.6, 2.0, 1.92)}
    TA_O_BORN_MAYER = {("Ta", "Ta"): (3000.0, 0.36), ("O", "O"): (1500.0, 0.30)}

    def __init__(
        self,
        morse: dict[tuple[str, str], tuple[float, float, float]] | None = None,
        born_mayer: dict[tuple[str, str], tuple[float, float]] | None = None,
        cutoff: float = 5.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.morse = {tuple(sorted(k)): v for k, v in (morse or self.TA_O_MORSE).items()}
        self.born_mayer = {
            tuple(sorted(k)): v for k, v in (born_mayer or self.TA_O_BORN_MAYER).items()
        }
        self.cutoff = float(cutoff)

    def _pair(self, a: str, b: str, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        key = tuple(sorted((a, b)))
        if key in self.morse:
            D, al, r0 = self.morse[key]

            def f(x):
                e1 = np.exp(-al * (x - r0))
                return D * (e1 * e1 - 2 * e1), D * (-2 * al * e1 * e1 + 2 * al * e1)

        elif key in self.born_mayer:
            A, rho = self.born_mayer[key]

            def f(x):
                e = A * np.exp(-x / rho)
                return e, -e / rho

        else:
            return np.zeros_like(r), np.zeros_like(r)
        e, de = f(r)
        ec, dec = f(np.array(self.cutoff))
        # shifted-force form: V(r) - V(rc) - (r - rc) V'(rc), zero with zero slope at rc
        return e - ec - (r - self.cutoff) * dec, de - dec

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        from ase.neighborlist import neighbor_list

        super().calculate(atoms, properties, system_changes)
        syms = np.asarray(self.atoms.get_chemical_symbols())
        i, j, d, D = neighbor_list("ijdD", self.atoms, self.cutoff)
        energy = 0.0
        forces = np.zeros((len(self.atoms), 3))
        species = sorted(set(syms.tolist()))  # a fixed order: sums, and so runs, repeat exactly
        for a in species:
            for b in species:
                sel = (syms[i] == a) & (syms[j] == b)
                if not sel.any():
                    continue
                e, de = self._pair(a, b, d[sel])
                energy += 0.5 * e.sum()  # each pair appears twice
                f = (de / d[sel])[:, None] * D[sel]  # dE/dr_j direction, (P, 3)
                np.add.at(forces, i[sel], f)
        self.results = {"energy": float(energy), "forces": forces}


def _start_distances(symbols: list[str]) -> np.ndarray:
    """Minimum start separation of every pair of atoms (Å): the Ta-O table, else
    ``START_RADIUS_FACTOR x (r_a + r_b)`` with covalent radii."""
    species = sorted(set(symbols))
    need = {}
    for a in species:
        for b in species:
            key = tuple(sorted((a, b)))
            radii = covalent_radii[atomic_numbers[a]] + covalent_radii[atomic_numbers[b]]
            need[a, b] = _TA_O_START_DISTANCES.get(key, START_RADIUS_FACTOR * float(radii))
    return np.array([[need[a, b] for b in symbols] for a in symbols])


def _random_start(symbols: list[str], length: float, rng: np.random.Generator) -> Atoms:
    """Random positions in a cubic box of edge ``length`` (Å); atoms closer than 0.8 times their
    pair's start separation (:func:`_start_distances`) are redrawn."""
    need_all = _start_distances(symbols)
    order = sorted(range(len(symbols)), key=lambda k: -atomic_numbers[symbols[k]])
    placed: list[int] = []
    pos = np.zeros((len(symbols), 3))
    cell = np.eye(3) * length
    for k in order:
        for _attempt in range(20000):
            p = rng.random(3) * length
            if placed:
                dv = pos[placed] - p
                dv -= length * np.round(dv / length)
                dist = np.linalg.norm(dv, axis=1)
                if np.any(dist < 0.8 * need_all[k, placed]):
                    continue
            pos[k] = p
            placed.append(k)
            break
        else:
            raise InputError(
                f"could not place {len(symbols)} atoms in a {length:.2f} Å box at their minimum "
                "separations; expected a lower density"
            )
    return Atoms(symbols=symbols, positions=pos, cell=cell, pbc=True)


def check_md_calculator(
    name: str,
    species: Any,
    what: str = "md_calculator",
    kwargs: dict[str, Any] | None = None,
) -> str:
    """Refuse an MD calculator that cannot run the melt-quench of these species, without MD.

    ``"pair"`` (:class:`MeltPairPotential`) needs parameters for every pair of species (its
    defaults: Ta-O only; a pair without them does not interact, and the cell would melt as an
    ideal gas). Any other name must be one :func:`landscape.calculators.get_calculator` takes.

    Parameters
    ----------
    name : str
        ``"pair"``, a known calculator name or ``"module:Class"``.
    species : iterable of str
        The elements of the cell (repeats allowed).
    what : str
        How the message names the option (``"--md-calculator"`` on the command line).
    kwargs : dict, optional
        The calculator's keyword arguments (for ``"pair"``: ``morse``, ``born_mayer``,
        ``cutoff``).

    Returns
    -------
    str
        ``name``.

    Raises
    ------
    InputError
        An unknown name, or ``"pair"`` with a species pair it has no parameters for.
    """
    from ..calculators import KNOWN_CALCULATORS

    if not isinstance(name, str) or not name.strip():
        raise InputError(f"{what} {name!r} is empty; expected 'pair' or a calculator name")
    low = name.strip().lower()
    if low != "pair":
        if low not in KNOWN_CALCULATORS and ":" not in name:
            raise InputError(
                f"{what} {name!r} is unknown; expected 'pair' (Ta-O only), one of "
                f"{list(KNOWN_CALCULATORS)} or 'module:Class'"
            )
        return name
    try:
        pot = MeltPairPotential(**dict(kwargs or {}))
    except (TypeError, ValueError) as exc:
        raise InputError(f"{what} 'pair': bad keyword arguments ({exc})") from None
    elements = sorted(set(species))
    missing = [
        f"{a}-{b}"
        for i, a in enumerate(elements)
        for b in elements[i:]
        if (a, b) not in pot.morse and (a, b) not in pot.born_mayer
    ]
    if missing:
        raise InputError(
            f"{what} 'pair' (the Ta-O melt pair potential) has no parameters for "
            f"{', '.join(missing)}; pass {what} with a calculator for {'/'.join(elements)}, "
            f"e.g. {what} ase.calculators.emt:EMT"
        )
    return name


def _md_calculator(name: str, kwargs: dict[str, Any] | None, symbols: list[str]) -> Any:
    """The MD calculator (checked by :func:`check_md_calculator`) and, for another name than
    ``"pair"``, probed on every element (:func:`landscape.calculators.check_elements`)."""
    from ..calculators import check_elements, get_calculator

    check_md_calculator(name, symbols, kwargs=kwargs)
    if name.strip().lower() == "pair":
        return MeltPairPotential(**dict(kwargs or {}))
    calc = get_calculator(name, **dict(kwargs or {}))
    check_elements(calc, symbols, name)
    return calc


def _composition_symbols(composition: dict[str, int], density: float) -> list[str]:
    """The atoms' symbols of ``composition``; :class:`InputError` for an unknown species, a
    density ≤ 0 (g/cm³) or no atoms."""
    for s in composition:
        if s not in atomic_numbers:
            raise InputError(f"unknown species {s!r} in composition {composition}")
    if density <= 0:
        raise InputError(f"density must be positive (g/cm³), got {density}")
    symbols = [s for s, n in composition.items() for _ in range(int(n))]
    if not symbols:
        raise InputError(f"composition {composition} has no atoms")
    return symbols


def _melt_quench(
    atoms: Atoms,
    rng: np.random.Generator,
    t_melt: float,
    t_final: float,
    melt_steps: int,
    quench_steps: int,
    timestep: float,
    progress: bool,
) -> None:
    """Langevin MD of ``atoms`` (with its calculator) at ``t_melt`` (K) for ``melt_steps``, a
    linear quench to ``t_final`` over ``quench_steps`` (``timestep`` fs), then FIRE to 0.01 eV/Å;
    in place, wrapped into the cell."""
    from ase.optimize import FIRE

    md = langevin(atoms, t_melt, timestep, rng)
    bar = progress_bar(melt_steps + quench_steps, "melt-quench", progress)
    for _ in range(melt_steps // 50):
        md.run(50)
        bar.update(50)
    ramp(md, t_melt, t_final, max(quench_steps // 50, 1), 50, bar)
    bar.close()
    FIRE(atoms, logfile=None).run(fmax=0.01, steps=2000)
    atoms.wrap()


def generate_amorphous(
    composition: dict[str, int] | None = None,
    *,
    density: float = 7.75,
    seed: int = 0,
    t_melt: float = 5000.0,
    t_final: float = 300.0,
    melt_steps: int = 2000,
    quench_steps: int = 4000,
    timestep: float = 1.0,
    md_calculator: str = "pair",
    md_calculator_kwargs: dict[str, Any] | None = None,
    calculator: str | None = "chgnet",
    calculator_kwargs: dict[str, Any] | None = None,
    fmax: float = DEFAULTS.host_fmax,
    max_steps: int = 1000,
    sample_id: str | None = None,
    command: str | None = None,
    progress: bool = False,
) -> Atoms:
    """Make an amorphous sample by melt-quench MD, then relax it with the reference calculator.

    Steps: random start in a cubic box at the given density (Ta-O pairs at their tabulated
    separations, other pairs at :data:`START_RADIUS_FACTOR` times their covalent radii); Langevin
    MD with ``md_calculator`` at ``t_melt`` for ``melt_steps``; a linear quench to ``t_final``
    over ``quench_steps``; FIRE minimisation with the MD calculator to 0.01 eV/Å; then relaxation
    of the atom positions with the reference calculator at fixed cell (the density stays as
    chosen).

    Parameters
    ----------
    composition : dict[str, int]
        Atoms per species (default ``{"Ta": 28, "O": 70}``, 14 Ta2O5 units, 98 atoms).
    density : float
        g/cm³. The default 7.75 is the middle of the 7.5-8.0 g/cm³ reported for amorphous
        Ta2O5 films (crystalline β-Ta2O5: about 8.2).
    seed : int
        Seeds every random draw (start and thermostat).
    t_melt, t_final : float
        Melt and final temperatures, K.
    melt_steps, quench_steps : int
        MD steps of the melt and of the linear quench.
    timestep : float
        MD time step, fs.
    md_calculator : str
        Calculator of the MD: ``"pair"`` (:class:`MeltPairPotential`, parameters for Ta-O only;
        other species are refused, see :func:`check_md_calculator`) or any name
        :func:`landscape.calculators.get_calculator` takes, e.g. ``"ase.calculators.emt:EMT"``
        (Al, Cu, Ag, Au, Ni, Pd, Pt, H, C, N, O).
    md_calculator_kwargs : dict, optional
        Its keyword arguments.
    calculator : str or None
        Reference calculator name (see :func:`landscape.reference.get_calculator`); ``None``
        skips the final relaxation.
    calculator_kwargs : dict, optional
        Its keyword arguments.
    fmax : float
        Force criterion of the final relaxation, eV/Å.
    max_steps : int
        Step limit of the final relaxation.
    sample_id : str, optional
        Stored as ``info["sample_id"]``.
    command : str, optional
        The command line that made it (provenance; default: this process's ``argv``).
    progress : bool
        Show progress bars.

    Returns
    -------
    ase.Atoms
        The sample; ``info`` holds the generation parameters (``gen_md_calculator`` and its
        version among them), the reference calculator's label and version, the final energy
        (eV) and force (eV/Å), and the date.
    """
    from ..calculators import calculator_info

    composition = dict(composition or {"Ta": 28, "O": 70})
    symbols = _composition_symbols(composition, density)
    md_calc = _md_calculator(md_calculator, md_calculator_kwargs, symbols)
    rng = np.random.default_rng(seed)
    atoms = _random_start(symbols, box_length_for_density(symbols, density), rng)
    atoms.calc = md_calc
    t0 = time.perf_counter()
    _melt_quench(atoms, rng, t_melt, t_final, melt_steps, quench_steps, timestep, progress)
    md_seconds = time.perf_counter() - t0
    is_pair = md_calculator.strip().lower() == "pair"
    md_label = "MeltPairPotential" if is_pair else md_calculator.strip()
    md_info = calculator_info(
        "landscape.samples:MeltPairPotential" if is_pair else md_calculator, md_calculator_kwargs
    )
    info: dict[str, Any] = {
        "sample_id": sample_id or f"amorphous-{seed}",
        "gen_method": f"melt-quench MD ({md_label}, Langevin) + fixed-cell relaxation",
        "gen_md_calculator": md_calculator.strip(),
        "gen_md_calculator_version": md_info["calculator_version"],
        "gen_seed": int(seed),
        "gen_density_g_cm3": float(density),
        "gen_t_melt_K": float(t_melt),
        "gen_t_final_K": float(t_final),
        "gen_melt_steps": int(melt_steps),
        "gen_quench_steps": int(quench_steps),
        "gen_timestep_fs": float(timestep),
        "gen_md_seconds": round(md_seconds, 1),
        "gen_command": command or " ".join(shlex.quote(a) for a in sys.argv),
        "gen_date": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if md_calculator_kwargs:
        info["gen_md_calculator_params"] = md_info["calculator_params"]
    if calculator is not None:
        info.update(
            relax_fixed_cell(atoms, calculator, calculator_kwargs, fmax, max_steps, progress)
        )
    atoms.wrap()
    atoms.calc = None
    atoms.info.update(info)
    return atoms
