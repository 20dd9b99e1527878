"""Describing a sample: density, partial radial distribution functions, coordination numbers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from ase import Atoms
from ase.data import atomic_masses, atomic_numbers, covalent_radii

__all__ = [
    "COORDINATION_CUTOFFS",
    "SampleInfo",
    "box_length_for_density",
    "density_g_cm3",
    "sample_info",
]

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
