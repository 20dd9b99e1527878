"""Host samples: read, validate, describe and generate amorphous structures.

A sample is a periodic :class:`ase.Atoms` with ``atoms.info["sample_id"]``. :func:`load_sample`
takes a bundled sample's name (:func:`bundled_samples`) or any ASE-readable periodic file (extxyz,
POSCAR, CIF, LAMMPS data, ...). :func:`sample_info` reports the density, partial radial distribution
functions and coordination numbers. :func:`generate_amorphous` makes an amorphous sample by
melt-quench molecular dynamics with a cheap classical pair potential (:class:`MeltPairPotential`),
then relaxes the atoms with the reference calculator at fixed cell (fixed density).

The bundled a-Ta2O5 samples (28 Ta + 70 O) a-Ta2O5-1, -2, -3 were made by ``landscape sample
generate``, and their annealed twins a-Ta2O5-1a, -2a, -3a (the demo's hosts) from them by
``landscape sample anneal`` (``scripts/make_samples.sh``); the commands, seeds, parameters,
calculator and dates are stored in each file's ``info``.
"""

from __future__ import annotations

import datetime as _dt
import shlex
import sys
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator, all_changes
from ase.data import atomic_masses, atomic_numbers, covalent_radii

from .errors import InputError

__all__ = [
    "load_sample",
    "bundled_samples",
    "bundled_sample_path",
    "validate_sample",
    "sample_info",
    "SampleInfo",
    "density_g_cm3",
    "box_length_for_density",
    "generate_amorphous",
    "anneal_sample",
    "MeltPairPotential",
]

#: Atoms closer than this fraction of the sum of their covalent radii are "overlapping".
MIN_DISTANCE_FRACTION = 0.5
#: Avogadro-free conversion: 1 amu / Å^3 in g/cm^3.
_AMU_PER_A3_TO_G_CM3 = 1.66053906660
#: Coordination cutoffs (Å) per species pair used by :func:`sample_info` (first RDF minimum of
#: oxides; other pairs use 1.3 x the sum of covalent radii).
COORDINATION_CUTOFFS: dict[tuple[str, str], float] = {
    ("Ta", "O"): 2.6,
    ("O", "Ta"): 2.6,
    ("O", "O"): 3.2,
    ("Ta", "Ta"): 4.2,
}


# --------------------------------------------------------------------------------------------
# bundled samples, reading and validation
# --------------------------------------------------------------------------------------------


def bundled_samples() -> list[str]:
    """Names of the samples shipped with the package (e.g. ``"a-Ta2O5-1"``, melt-quenched, and its
    annealed twin ``"a-Ta2O5-1a"``)."""
    try:
        folder = resources.files("landscape") / "data" / "samples"
        names = [p.name for p in folder.iterdir() if p.name.endswith(".extxyz")]
    except (ModuleNotFoundError, FileNotFoundError):
        return []
    return sorted(n[: -len(".extxyz")] for n in names)


def bundled_sample_path(name: str) -> Path:
    """Path of a bundled sample's file.

    Raises
    ------
    InputError
        Unknown name (the message lists the bundled ones).
    """
    if name not in bundled_samples():
        raise InputError(f"no bundled sample {name!r}; bundled: {bundled_samples()}")
    return Path(str(resources.files("landscape") / "data" / "samples" / f"{name}.extxyz"))


def load_sample(source: str | Path) -> Atoms:
    """Read and validate a host sample.

    Parameters
    ----------
    source : str or Path
        A bundled sample's name (see :func:`bundled_samples`) or a periodic structure file that
        ASE can read (format from the extension; the last frame is used).

    Returns
    -------
    ase.Atoms
        The validated sample, with ``info["sample_id"]`` (the bundled name, the file's own
        ``sample_id``, or the file's stem) and ``info["source"]``.

    Raises
    ------
    InputError
        Missing or unreadable file, a structure that is not 3D periodic, unknown species, or
        overlapping atoms.
    """
    name = str(source)
    if name in bundled_samples():
        path = bundled_sample_path(name)
        sample_id = name
    else:
        path = Path(source)
        if not path.is_file():
            raise InputError(
                f"sample {name!r} is neither a bundled sample {bundled_samples()} nor an existing file"
            )
        sample_id = None
    atoms = _read_structure(path)
    if sample_id is None:
        sample_id = str(atoms.info.get("sample_id") or path.stem)
    atoms.info["sample_id"] = sample_id
    atoms.info.setdefault("source", str(path))
    validate_sample(atoms, name=str(path))
    return atoms


def _read_structure(path: Path) -> Atoms:
    import ase.io

    kwargs: dict[str, Any] = {}
    if path.suffix.lower() in {".lmp", ".lammps", ".data"}:
        kwargs = {"format": "lammps-data", "atom_style": "atomic"}
    try:
        atoms = ase.io.read(str(path), index=-1, **kwargs)
    except Exception as exc:  # ASE raises many types for malformed files
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"cannot read structure file {str(path)!r}: {msg}") from None
    if not isinstance(atoms, Atoms):
        raise InputError(f"structure file {str(path)!r} holds no atoms")
    atoms.calc = None
    return atoms


def validate_sample(atoms: Atoms, *, name: str = "sample") -> None:
    """Check that a structure can be a host: 3D periodic, known species, no overlapping atoms.

    Two atoms overlap when closer (minimum image) than ``MIN_DISTANCE_FRACTION`` times the sum of
    their covalent radii (ASE's table), e.g. 1.2 Å for Ta-O.

    Raises
    ------
    InputError
        The first problem found, in one line.
    """
    if len(atoms) == 0:
        raise InputError(f"{name}: structure has no atoms")
    if not all(atoms.pbc):
        raise InputError(f"{name}: structure must be periodic in 3D, got pbc={list(atoms.pbc)}")
    cell = np.asarray(atoms.cell)
    vol = abs(np.linalg.det(cell))
    if not np.isfinite(vol) or vol < 1e-6:
        raise InputError(f"{name}: cell is missing or degenerate (volume {vol:.3g} Å^3)")
    numbers = atoms.numbers
    if np.any(numbers <= 0) or np.any(numbers > 94):
        bad = sorted({int(z) for z in numbers if z <= 0 or z > 94})
        raise InputError(f"{name}: unknown species (atomic numbers {bad}); expected elements 1-94")
    if not np.all(np.isfinite(atoms.positions)):
        raise InputError(f"{name}: positions contain NaN or inf")
    i, j, d = _pairs(atoms, 2.0 * MIN_DISTANCE_FRACTION * float(covalent_radii[numbers].max()))
    if len(d):
        limit = MIN_DISTANCE_FRACTION * (covalent_radii[numbers[i]] + covalent_radii[numbers[j]])
        bad = np.flatnonzero(d < limit)
        if len(bad):
            k = bad[np.argmin(d[bad])]
            sym = atoms.get_chemical_symbols()
            raise InputError(
                f"{name}: atoms {int(i[k])} ({sym[i[k]]}) and {int(j[k])} ({sym[j[k]]}) overlap at "
                f"{d[k]:.3f} Å; expected at least {limit[k]:.3f} Å"
            )


def _pairs(atoms: Atoms, cutoff: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All pairs i<j... (each unordered pair twice) within ``cutoff`` Å, minimum image."""
    from ase.neighborlist import neighbor_list

    i, j, d = neighbor_list("ijd", atoms, cutoff, self_interaction=False)
    return i, j, d


# --------------------------------------------------------------------------------------------
# description: density, RDF, coordination
# --------------------------------------------------------------------------------------------


def density_g_cm3(atoms: Atoms) -> float:
    """Mass density of a periodic structure, g/cm³."""
    return float(atoms.get_masses().sum() / atoms.get_volume() * _AMU_PER_A3_TO_G_CM3)


def box_length_for_density(symbols: list[str], density: float) -> float:
    """Edge of the cubic cell (Å) that gives ``density`` (g/cm³) for these atoms."""
    mass = float(sum(atomic_masses[atomic_numbers[s]] for s in symbols))
    return float((mass * _AMU_PER_A3_TO_G_CM3 / density) ** (1.0 / 3.0))


@dataclass
class SampleInfo:
    """What :func:`sample_info` reports.

    Attributes
    ----------
    sample_id : str
    formula : str
    n_atoms : int
    volume : float
        Å³.
    density : float
        g/cm³.
    r : numpy.ndarray, shape (n_bins,)
        Bin centres of the RDFs, Å.
    rdf : dict[str, numpy.ndarray]
        Partial g_ab(r) per pair ``"A-B"``.
    rdf_peak : dict[str, float]
        Position of the first maximum of each g_ab(r), Å.
    coordination : dict[str, float]
        Mean number of B neighbours of an A atom within the cutoff, per ``"A-B"``.
    cutoffs : dict[str, float]
        The coordination cutoffs used, Å.
    min_distance : dict[str, float]
        Shortest A-B distance, Å.
    metadata : dict
        The structure's ``info`` (generation parameters of bundled samples).
    """

    sample_id: str
    formula: str
    n_atoms: int
    volume: float
    density: float
    r: np.ndarray
    rdf: dict[str, np.ndarray]
    rdf_peak: dict[str, float]
    coordination: dict[str, float]
    cutoffs: dict[str, float]
    min_distance: dict[str, float]
    metadata: dict[str, Any]

    def summary(self) -> dict[str, Any]:
        """A JSON-friendly summary (no RDF arrays)."""
        return {
            "sample_id": self.sample_id,
            "formula": self.formula,
            "n_atoms": self.n_atoms,
            "volume_A3": round(self.volume, 4),
            "density_g_cm3": round(self.density, 4),
            "rdf_first_peak_A": {k: round(v, 3) for k, v in self.rdf_peak.items()},
            "coordination": {k: round(v, 3) for k, v in self.coordination.items()},
            "coordination_cutoff_A": self.cutoffs,
            "min_distance_A": {k: round(v, 3) for k, v in self.min_distance.items()},
        }


def sample_info(atoms: Atoms, *, r_max: float = 6.0, dr: float = 0.02) -> SampleInfo:
    """Density, partial RDFs and coordination numbers of a periodic structure.

    Parameters
    ----------
    atoms : ase.Atoms
        A periodic structure.
    r_max : float
        Largest distance of the RDFs, Å.
    dr : float
        Bin width, Å.

    Returns
    -------
    SampleInfo

    Notes
    -----
    g_ab(r) = V n_ab(r) / (N_a N_b 4π r² dr), with n_ab the number of ordered (a, b) pairs in the
    shell (all periodic images), so g → 1 at large r. The first peak is the maximum of g_ab below
    the coordination cutoff. Coordination cutoffs: :data:`COORDINATION_CUTOFFS`, else 1.3 times
    the sum of covalent radii.
    """
    from ase.neighborlist import neighbor_list

    syms = np.asarray(atoms.get_chemical_symbols())
    species = sorted(set(syms.tolist()))
    vol = atoms.get_volume()
    i, j, d = neighbor_list("ijd", atoms, r_max, self_interaction=False)
    edges = np.arange(0.0, r_max + dr / 2, dr)
    r = 0.5 * (edges[1:] + edges[:-1])
    shell = 4.0 * np.pi * r**2 * dr
    rdf, peak, coord, cut, dmin = {}, {}, {}, {}, {}
    for a in species:
        na = int((syms == a).sum())
        for b in species:
            nb = int((syms == b).sum())
            sel = (syms[i] == a) & (syms[j] == b)
            key = f"{a}-{b}"
            hist, _ = np.histogram(d[sel], bins=edges)
            npair = na * (nb - 1) if a == b else na * nb
            g = vol * hist / (max(npair, 1) * shell)
            rdf[key] = g
            rc = COORDINATION_CUTOFFS.get(
                (a, b),
                1.3 * float(covalent_radii[atomic_numbers[a]] + covalent_radii[atomic_numbers[b]]),
            )
            cut[key] = rc
            below = r < rc
            peak[key] = (
                float(r[below][np.argmax(g[below])]) if np.any(g[below] > 0) else float("nan")
            )
            coord[key] = float((d[sel] < rc).sum() / na)
            dmin[key] = float(d[sel].min()) if sel.any() else float("nan")
    return SampleInfo(
        sample_id=str(atoms.info.get("sample_id", "sample")),
        formula=atoms.get_chemical_formula(mode="metal"),
        n_atoms=len(atoms),
        volume=float(vol),
        density=density_g_cm3(atoms),
        r=r,
        rdf=rdf,
        rdf_peak=peak,
        coordination=coord,
        cutoffs=cut,
        min_distance=dmin,
        metadata={k: v for k, v in atoms.info.items()},
    )


# --------------------------------------------------------------------------------------------
# melt-quench generation
# --------------------------------------------------------------------------------------------


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
        for a in set(syms.tolist()):
            for b in set(syms.tolist()):
                sel = (syms[i] == a) & (syms[j] == b)
                if not sel.any():
                    continue
                e, de = self._pair(a, b, d[sel])
                energy += 0.5 * e.sum()  # each pair appears twice
                f = (de / d[sel])[:, None] * D[sel]  # dE/dr_j direction, (P, 3)
                np.add.at(forces, i[sel], f)
        self.results = {"energy": float(energy), "forces": forces}


def _random_start(symbols: list[str], length: float, rng: np.random.Generator) -> Atoms:
    """Random positions in a cubic box with a species-aware minimum separation."""
    atoms = Atoms(cell=[length] * 3, pbc=True)
    min_d = {("O", "O"): 2.3, ("O", "Ta"): 1.8, ("Ta", "Ta"): 3.0}
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
                need = np.array(
                    [
                        min_d.get(tuple(sorted((symbols[k], symbols[m]))), 0.7 * length / 10)
                        for m in placed
                    ]
                )
                if np.any(dist < 0.8 * need):
                    continue
            pos[k] = p
            placed.append(k)
            break
        else:
            raise InputError(f"could not place {len(symbols)} atoms in a {length:.2f} Å box")
    atoms = Atoms(symbols=symbols, positions=pos, cell=cell, pbc=True)
    return atoms


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
    calculator: str | None = "chgnet",
    calculator_kwargs: dict[str, Any] | None = None,
    fmax: float = 0.05,
    max_steps: int = 1000,
    sample_id: str | None = None,
    command: str | None = None,
    progress: bool = False,
) -> Atoms:
    """Make an amorphous sample by melt-quench MD, then relax it with the reference calculator.

    Steps: random start in a cubic box at the given density; Langevin MD with
    :class:`MeltPairPotential` at ``t_melt`` for ``melt_steps``; a linear quench to ``t_final``
    over ``quench_steps``; FIRE minimisation with the pair potential; then relaxation of the atom
    positions with the reference calculator at fixed cell (the density stays as chosen).

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
        The sample; ``info`` holds the generation parameters, the calculator's label and version,
        the final energy and force, and the date.
    """
    from ase.optimize import FIRE

    composition = dict(composition or {"Ta": 28, "O": 70})
    for s in composition:
        if s not in atomic_numbers:
            raise InputError(f"unknown species {s!r} in composition {composition}")
    if density <= 0:
        raise InputError(f"density must be positive (g/cm³), got {density}")
    symbols = [s for s, n in composition.items() for _ in range(int(n))]
    if not symbols:
        raise InputError(f"composition {composition} has no atoms")
    rng = np.random.default_rng(seed)
    length = box_length_for_density(symbols, density)
    atoms = _random_start(symbols, length, rng)
    atoms.calc = MeltPairPotential()
    t0 = time.perf_counter()
    md = _langevin(atoms, t_melt, timestep, rng)
    bar = _bar(melt_steps + quench_steps, "melt-quench", progress)
    for _ in range(melt_steps // 50):
        md.run(50)
        bar.update(50)
    _ramp(md, t_melt, t_final, max(quench_steps // 50, 1), 50, bar)
    bar.close()
    FIRE(atoms, logfile=None).run(fmax=0.01, steps=2000)
    atoms.wrap()
    md_seconds = time.perf_counter() - t0
    info: dict[str, Any] = {
        "sample_id": sample_id or f"amorphous-{seed}",
        "gen_method": "melt-quench MD (MeltPairPotential, Langevin) + fixed-cell relaxation",
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
    if calculator is not None:
        info.update(_relax(atoms, calculator, calculator_kwargs, fmax, max_steps, progress))
    atoms.wrap()
    atoms.calc = None
    atoms.info.update(info)
    return atoms


def _langevin(atoms: Atoms, temperature: float, timestep: float, rng: np.random.Generator):
    """Maxwell-Boltzmann velocities at ``temperature`` (K) and a Langevin integrator (friction 0.02
    per fs, time step in fs) for ``atoms`` with its calculator attached."""
    from ase import units
    from ase.md.langevin import Langevin
    from ase.md.velocitydistribution import MaxwellBoltzmannDistribution

    MaxwellBoltzmannDistribution(atoms, temperature_K=temperature, rng=rng)
    return Langevin(
        atoms,
        timestep * units.fs,
        temperature_K=temperature,
        friction=0.02,
        rng=rng,
        logfile=None,
        fixcm=False,
    )


def _ramp(md, t_from: float, t_to: float, n_chunks: int, chunk: int, bar) -> None:
    """Linear temperature ramp (K) in ``n_chunks`` stages of ``chunk`` MD steps each."""
    for c in range(n_chunks):
        md.set_temperature(temperature_K=t_from + (t_to - t_from) * (c + 1) / n_chunks)
        md.run(chunk)
        bar.update(chunk)


def _relax(
    atoms: Atoms,
    calculator: str,
    calculator_kwargs: dict[str, Any] | None,
    fmax: float,
    max_steps: int,
    progress: bool,
    prefix: str = "gen",
) -> dict[str, Any]:
    """Relax the atom positions at fixed cell with a reference calculator (BFGS); provenance keys."""
    from ase.optimize import BFGS

    from .reference.calculators import calculator_info, get_calculator

    kw = dict(calculator_kwargs or {})
    atoms.calc = get_calculator(calculator, **kw)
    t1 = time.perf_counter()
    opt = BFGS(atoms, logfile=None, maxstep=0.2)
    steps = 0
    bar = _bar(max_steps, "relax", progress)
    for _ in opt.irun(fmax=fmax, steps=max_steps):
        steps += 1
        bar.update(1)
    bar.close()
    f = float(np.linalg.norm(atoms.get_forces(), axis=1).max())
    ci = calculator_info(calculator, kw)
    return {
        f"{prefix}_calculator": ci["calculator"],
        f"{prefix}_calculator_version": ci["calculator_version"],
        f"{prefix}_relax_optimizer": "BFGS",
        f"{prefix}_relax_fmax": float(fmax),
        f"{prefix}_relax_steps": int(steps),
        f"{prefix}_relax_final_fmax": round(f, 5),
        f"{prefix}_relax_seconds": round(time.perf_counter() - t1, 1),
        "energy_eV": float(atoms.get_potential_energy()),
    }


def anneal_sample(
    atoms: Atoms,
    *,
    calculator: str = "chgnet",
    calculator_kwargs: dict[str, Any] | None = None,
    t_anneal: float = 1500.0,
    t_final: float = 300.0,
    anneal_steps: int = 2000,
    cool_steps: int = 2000,
    timestep: float = 2.0,
    seed: int = 0,
    fmax: float = 0.05,
    max_steps: int = 1000,
    sample_id: str | None = None,
    command: str | None = None,
    progress: bool = False,
) -> Atoms:
    """Anneal a sample with the reference calculator itself, then relax it (fixed cell).

    A structure quenched with the cheap pair potential and only relaxed with the reference
    calculator sits in a shallow, strained minimum of the reference landscape: inserting the
    mobile atom then often triggers host rearrangements (atoms moving by more than 0.6 Å), which
    make the relaxed insertion energy jump between nearby positions. Annealing on the reference
    landscape removes the softest of those motifs.

    Steps: Langevin MD (friction 0.02 per fs) at ``t_anneal`` for ``anneal_steps``; a linear
    cooling to ``t_final`` over ``cool_steps``; BFGS relaxation of the positions to ``fmax``.
    The cell, hence the density, is kept.

    Parameters
    ----------
    atoms : ase.Atoms
        The sample (not modified; a copy is annealed). Its ``info`` (generation provenance) is kept.
    calculator, calculator_kwargs
        Reference calculator by name (:func:`landscape.reference.get_calculator`) and its keywords.
    t_anneal, t_final : float
        Annealing and final temperatures, K.
    anneal_steps, cool_steps : int
        MD steps at ``t_anneal`` and of the cooling ramp.
    timestep : float
        MD time step, fs.
    seed : int
        Seeds the velocities and the thermostat.
    fmax : float
        Force criterion of the final relaxation, eV/Å.
    max_steps : int
        Step limit of the final relaxation.
    sample_id : str, optional
        New ``info["sample_id"]`` (default: keep the sample's).
    command : str, optional
        The command line (provenance).
    progress : bool
        Show progress bars.

    Returns
    -------
    ase.Atoms
        The annealed, relaxed sample; ``info`` gains ``anneal_*`` keys (parameters, MD seconds,
        mean potential energy of the last 10 % of the anneal in eV, calculator, relaxation).
    """
    for name, v in (("t_anneal", t_anneal), ("t_final", t_final), ("timestep", timestep)):
        if not (np.isfinite(v) and v > 0):
            raise InputError(f"{name} must be a positive number, got {v}")
    if int(anneal_steps) < 0 or int(cool_steps) < 0:
        raise InputError(
            f"anneal_steps and cool_steps must be >= 0, got {anneal_steps}, {cool_steps}"
        )
    validate_sample(atoms, name=str(atoms.info.get("sample_id", "sample")))
    out = atoms.copy()
    out.info = dict(atoms.info)
    kw = dict(calculator_kwargs or {})
    from .reference.calculators import get_calculator

    out.calc = get_calculator(calculator, **kw)
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    md = _langevin(out, t_anneal, timestep, rng)
    chunk = 25
    energies: list[float] = []
    bar = _bar(int(anneal_steps) + int(cool_steps), "anneal", progress)
    for _ in range(int(anneal_steps) // chunk):
        md.run(chunk)
        energies.append(float(out.get_potential_energy()))
        bar.update(chunk)
    _ramp(md, t_anneal, t_final, int(cool_steps) // chunk, chunk, bar)
    bar.close()
    tail = energies[-max(1, len(energies) // 10) :] if energies else [float("nan")]
    info: dict[str, Any] = {
        "anneal_method": "Langevin MD with the reference calculator + fixed-cell relaxation",
        "anneal_seed": int(seed),
        "anneal_t_K": float(t_anneal),
        "anneal_t_final_K": float(t_final),
        "anneal_steps": int(anneal_steps),
        "anneal_cool_steps": int(cool_steps),
        "anneal_timestep_fs": float(timestep),
        "anneal_md_seconds": round(time.perf_counter() - t0, 1),
        "anneal_mean_energy_eV": float(np.mean(tail)),
        "anneal_command": command or " ".join(shlex.quote(a) for a in sys.argv),
        "anneal_date": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    out.set_momenta(np.zeros((len(out), 3)))
    info.update(_relax(out, calculator, kw, fmax, max_steps, progress, prefix="anneal"))
    out.wrap()
    out.calc = None
    out.info.update(info)
    if sample_id:
        out.info["sample_id"] = sample_id
    return out


def _bar(total: int, desc: str, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, disable=not enabled, leave=False)
