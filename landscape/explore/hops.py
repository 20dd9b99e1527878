"""Hops between metastable sites: the hop search, its barriers, saddles and prefactors.

Every candidate pair of sites (:mod:`landscape.explore.candidates`) gets a band, and all bands relax
together (:func:`landscape.explore.neb.batched_neb`). A converged climbing image is polished by
Newton steps with the finite-difference Hessian onto the first-order saddle.

A hop is *elementary* when its converged band has no interior minimum deeper than
``interior_minimum_depth`` (docs/design.md: 0.01 eV) and its saddle is of first order (one negative
Hessian eigenvalue). Composite bands are dropped; the minima found inside them are relaxed and, if
new, added as sites, and the hops of those sites are searched in a further pass. Bands that do not
converge, or end on a higher-order saddle, are left out of the network and recorded in the graph
attribute ``rejected_hops``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, fields, replace

import networkx as nx
import numpy as np
import torch

from ..config import DEFAULTS
from ..contracts import EnergySurface, add_hop, add_site, check_surface, new_network
from ..errors import InputError
from ..geometry import close_pairs, wrap
from .candidates import basin_pairs, candidate_pairs, site_grid
from .grid import evaluate, outside_domain
from .minimise import harmonic_frequencies, hessians, minimise, newton_polish
from .neb import batched_neb, interior_minimum_depth
from .sites import Sites, make_sites, merge_minima
from .spline import SplineSurface

__all__ = ["find_hops", "HopSearchSettings"]

_PREFACTORS = ("constant", "vineyard")


def _vineyard(freq_min: np.ndarray, freq_saddle: np.ndarray) -> float:
    """Vineyard prefactor (Hz): product of the 3 frequencies at the minimum over the 2 real ones at
    the saddle (G. H. Vineyard, J. Phys. Chem. Solids 3, 121 (1957), Eq. (21)); inputs in THz."""
    real = np.sort(freq_saddle)[1:]
    return float(np.prod(freq_min) / np.prod(real) * 1e12)


@dataclass(frozen=True)
class HopSearchSettings:
    """Settings of :func:`find_hops` (every field a keyword of it as well).

    Attributes
    ----------
    max_distance : float
        Candidate pairs closer than this (periodic images included), Å.
    n_images : int
        Images per band, both ends included.
    fmax : float
        NEB convergence on the largest NEB force of the band, eV/Å.
    climb : bool
        Climbing-image NEB.
    prefactor : {"constant", "vineyard"}
        Constant (:attr:`landscape.config.Settings.prefactor_hz`, ``1e13`` Hz) or harmonic
        transition-state theory from the Hessians at the minimum and the saddle.
    spring : float
        Spring constant, eV/Å².
    max_steps : int
        FIRE steps per pass at most.
    interior_minimum : float
        A band with an interior minimum deeper than this (eV) is not an elementary hop.
    merge_distance : float
        Sites closer than this are one site (Å); input sites closer than it raise InputError, and
        minima found inside composite bands within it of a site are that site.
    site_fmax : float
        Force at convergence of new sites, eV/Å.
    max_passes : int
        Passes of (NEB, new sites from composite bands).
    refine_saddle : bool
        Polish each converged climbing image onto the saddle by Newton steps.
    early_composite : float or None
        Stop bands early once they hold a settled interior minimum deeper than this, eV (see
        :func:`~landscape.explore.neb.batched_neb`); ``None`` relaxes every band to convergence.
    candidates : {"distance", "basins"}
        ``"distance"``: every pair closer than ``max_distance`` (docs/design.md). ``"basins"``: only
        pairs whose catchment basins on the grid touch
        (:func:`~landscape.explore.candidates.basin_pairs`, still at most ``max_distance``
        apart), each band started through the pass between them; far fewer bands, almost none
        composite. Sites added in later passes get distance candidates.
    guide : bool
        Relax the bands on a tricubic spline of the surface tabulated on the grid
        (:class:`~landscape.explore.spline.SplineSurface`), then evaluate every image on the
        surface itself and polish each climbing image there onto the saddle by Newton steps.
        Barriers, saddles, Hessians and profile energies are then the surface's own; only the image
        positions other than the saddle come from the guide. A band counts as converged when it
        converged on the guide and its saddle on the surface (``|F| < fmax``). For expensive
        surfaces (the NNP).
    guide_composite : float
        With ``guide``: bands whose interior minimum on the guide is deeper than this (eV, well
        above the guide's error) are composite without evaluating them on the surface.
    grid_spacing, min_host_distance : float
        Grid for ``"basins"`` and ``guide``, Å: ``sites.grid`` (from :func:`find_sites`) when it is
        no coarser than ``grid_spacing``, else a new table.
    batch_size : int
        Points per surface call.
    """

    max_distance: float = DEFAULTS.hop_max_distance
    n_images: int = DEFAULTS.neb_images
    fmax: float = DEFAULTS.neb_fmax
    climb: bool = True
    prefactor: str = "constant"
    spring: float = 0.5
    max_steps: int = 1000
    interior_minimum: float = DEFAULTS.interior_minimum_depth
    merge_distance: float = DEFAULTS.merge_distance
    site_fmax: float = DEFAULTS.site_fmax
    max_passes: int = 3
    refine_saddle: bool = True
    early_composite: float | None = 0.05
    candidates: str = "distance"
    guide: bool = False
    guide_composite: float = 0.1
    grid_spacing: float = DEFAULTS.grid_spacing
    min_host_distance: float = DEFAULTS.min_host_distance
    batch_size: int = 65536

    def check(self) -> None:
        """Raise :class:`InputError` on an unknown choice or a parameter out of range."""
        if self.prefactor not in _PREFACTORS:
            raise InputError(f"unknown prefactor {self.prefactor!r}; expected one of {_PREFACTORS}")
        if self.max_distance <= 0 or self.fmax <= 0 or self.n_images < 3:
            raise InputError(
                f"need max_distance > 0 Å, fmax > 0 eV/Å, n_images >= 3; got {self.max_distance}, "
                f"{self.fmax}, {self.n_images}"
            )
        if self.candidates not in ("distance", "basins"):
            raise InputError(
                f"unknown candidates {self.candidates!r}; expected 'distance' or 'basins'"
            )


def find_hops(
    surface: EnergySurface,
    sites: Sites,
    settings: HopSearchSettings | None = None,
    *,
    sample_id: str | None = None,
    progress: bool = True,
    **keywords,
) -> nx.MultiDiGraph:
    """The hop network of a surface: every elementary hop between neighbouring sites.

    Parameters
    ----------
    surface
        An EnergySurface (the one the sites were found on).
    sites : Sites
        Metastable sites (:func:`landscape.explore.find_sites`).
    settings : HopSearchSettings, optional
        The search's settings (default ``HopSearchSettings()``).
    sample_id : str, optional
        Graph attribute; default ``surface.host.info["sample_id"]`` or ``"surface"``.
    progress : bool
        Progress bars.
    **keywords
        Fields of :class:`HopSearchSettings` (``max_distance``, ``n_images``, ``fmax``, ``guide``,
        …), each overriding that of ``settings``.

    Returns
    -------
    networkx.MultiDiGraph
        The hop-network contract of docs/design.md: graph attributes ``sample_id``, ``cell``,
        ``species``, ``energy_unit``, plus ``search`` (counts, parameters and seconds) and
        ``rejected_hops`` (one record per dropped candidate: ``i``, ``j``, ``shift``, ``reason`` in
        {"composite", "unconverged", "higher-order saddle", "no saddle", "outside model domain",
        "saddle below an end", "saddle off the band"}, ``converged``, ``saddle_energy``,
        ``fmax``); nodes ``position``, ``energy``, ``frequencies``, ``converged``
        (``added=True`` for sites found inside composite bands); two edges per hop with
        ``barrier``, ``shift``, ``prefactor``, ``saddle``, ``saddle_energy``, ``profile``,
        ``length``, ``path_length``, ``converged``.

    Raises
    ------
    InputError
        No sites, sites closer than ``merge_distance``, unknown ``prefactor``, bad parameters.

    Notes
    -----
    Cost per step: one surface call on ``P (n_images − 2)`` points for ``P`` active bands; Vineyard
    and the saddle polish add ``6`` calls per hop and Newton step.
    """
    unknown = sorted(set(keywords) - {f.name for f in fields(HopSearchSettings)})
    if unknown:
        raise TypeError(f"find_hops() got unexpected keyword arguments {unknown}")
    s = replace(settings or HopSearchSettings(), **keywords)
    s.check()
    if sites is None or len(sites) == 0:
        raise InputError("empty site set; expected at least one site (run find_sites first)")
    return _HopSearch(surface, sites, s, sample_id, progress).run()


class _HopSearch:
    """One run of :func:`find_hops`: the network grown pass by pass, with its counts and timings."""

    def __init__(
        self,
        surface: EnergySurface,
        sites: Sites,
        settings: HopSearchSettings,
        sample_id: str | None,
        progress: bool,
    ) -> None:
        s = self.s = settings
        self.surface, self.sites, self.progress = surface, sites, progress
        cell, inv = self.cell, self.inv = check_surface(surface)
        t = self.t = dict(dtype=cell.dtype, device=cell.device)
        self.cell_np = cell.cpu().numpy().astype(float)
        self.pos_t = wrap(torch.as_tensor(sites.positions, **t), cell, inv)
        close = close_pairs(self.pos_t, cell, inv, s.merge_distance)
        np.fill_diagonal(close, False)
        if close.any():
            a, b = np.argwhere(close)[0]
            raise InputError(
                f"{int(close.sum()) // 2} pair(s) of sites closer than merge_distance="
                f"{s.merge_distance} Å (e.g. sites {a} and {b}); expected distinct sites (merge "
                "them first)"
            )
        if sample_id is None:
            host = getattr(surface, "host", None)
            sample_id = (
                str(host.info.get("sample_id", "surface")) if host is not None else "surface"
            )
        self.species = sites.species
        self.G = new_network(self.cell_np, sample_id=str(sample_id), species=self.species)
        for k in range(len(sites)):
            add_site(
                self.G,
                k,
                self.pos_t[k].cpu().numpy(),
                sites.energies[k],
                frequencies=[float(v) for v in sites.frequencies[k]],
                converged=bool(sites.converged[k]),
            )
        self.rejected: list[dict] = []
        self.counts = {"candidates": 0, "hops": 0, "added_sites": 0, "passes": 0}
        self.seconds = {"grid": 0.0, "neb": 0.0, "saddles": 0.0, "new_sites": 0.0}
        self.grid = None
        self.neb_surface = surface
        if s.candidates == "basins" or s.guide:
            t0 = time.perf_counter()
            self.grid = site_grid(surface, sites, s.grid_spacing, s.min_host_distance, s.batch_size)
            if s.guide:
                self.neb_surface = SplineSurface(
                    self.cell_np, self.grid, host=getattr(surface, "host", None),
                    species=sites.species, dtype=cell.dtype, device=str(cell.device),
                )  # fmt: skip
            self.seconds["grid"] = time.perf_counter() - t0

    def run(self) -> nx.MultiDiGraph:
        """Passes of (candidates, bands, saddles, new sites from composite bands); the network."""
        s = self.s
        involving = None
        for _pass in range(s.max_passes):
            self.counts["passes"] += 1
            src, dst, shifts, via = self._candidates(involving)
            self.counts["candidates"] += len(src)
            if len(src) == 0:
                break
            res = self._relax_bands(src, dst, shifts, via)
            new_min = self._classify(src, dst, shifts, res, *self._saddles(res, len(src)))
            if not new_min or _pass == s.max_passes - 1:
                break
            new_idx = self._add_new_sites(new_min)
            if not new_idx:
                break
            involving = np.asarray(new_idx)  # the next pass: hops of the new sites only
        reasons: dict[str, int] = {}
        for r in self.rejected:
            reasons[r["reason"]] = reasons.get(r["reason"], 0) + 1
        G = self.G
        G.graph["search"] = {
            **self.counts,
            "rejected": reasons,
            "seconds": self.seconds,
            "n_images": s.n_images,
            "fmax": s.fmax,
            "spring": s.spring,
            "climb": s.climb,
            "max_distance": s.max_distance,
            "prefactor": s.prefactor,
            "interior_minimum": s.interior_minimum,
        }
        G.graph["rejected_hops"] = self.rejected
        return G

    def _candidates(self, involving: np.ndarray | None):
        """Site pairs ``src``, ``dst``, lattice shifts and (basin candidates) the pass of each."""
        pos_np = self.pos_t.cpu().numpy()
        if self.s.candidates == "basins" and involving is None:
            src, dst, shifts, via_np = basin_pairs(
                self.grid, self.cell_np, pos_np, self.s.max_distance
            )
            return src, dst, shifts, torch.as_tensor(via_np, **self.t)
        src, dst, shifts = candidate_pairs(
            pos_np, self.cell_np, self.s.max_distance, involving=involving
        )
        return src, dst, shifts, None

    def _relax_bands(self, src, dst, shifts, via):
        """The bands of one pass (on the guide, then re-evaluated on the surface, with ``guide``)."""
        s, t, G, cell, surface = self.s, self.t, self.G, self.cell, self.surface
        t0 = time.perf_counter()
        energies = torch.as_tensor(np.array([G.nodes[k]["energy"] for k in range(len(G))]), **t)
        src_t, dst_t = (
            torch.as_tensor(src, device=cell.device),
            torch.as_tensor(dst, device=cell.device),
        )
        start = self.pos_t[src_t]
        end = self.pos_t[dst_t] + torch.as_tensor(shifts, **t) @ cell
        res = batched_neb(
            self.neb_surface,
            start,
            end,
            n_images=s.n_images,
            fmax=s.fmax,
            climb=s.climb,
            spring=s.spring,
            max_steps=s.max_steps,
            e_start=None if s.guide else energies[src_t],
            e_end=None if s.guide else energies[dst_t],
            early_composite=s.early_composite,
            batch_size=s.batch_size,
            progress=self.progress,
            via=via,
        )
        if s.guide:
            # bands clearly composite on the guide keep its energies (they are dropped anyway);
            # every other band gets the surface's own energies at the guide's image positions
            depth_g, _ = interior_minimum_depth(res.energies)
            sure = depth_g > s.guide_composite
            res.converged &= ~sure
            k = torch.nonzero(~sure).flatten()
            e_img = evaluate(surface, res.images[k, 1:-1].reshape(-1, 3), s.batch_size)[0]
            res.energies[k, 1:-1] = e_img.reshape(len(k), s.n_images - 2)
            res.energies[:, 0], res.energies[:, -1] = energies[src_t], energies[dst_t]
            self.counts["guide_composite"] = self.counts.get("guide_composite", 0) + int(sure.sum())
        self.seconds["neb"] += time.perf_counter() - t0
        return res

    def _saddles(self, res, P: int):
        """Polish the climbing images of bands that can be hops onto their saddles (in ``res``);
        their Hessians, negative eigenvalue counts and whether they lie outside the model domain.
        Returns ``sx, se, conv, depth, where, H, n_neg, outside``."""
        s, surface, cell = self.s, self.surface, self.cell
        guide, fmax, batch_size = s.guide, s.fmax, s.batch_size
        t0 = time.perf_counter()
        rows = torch.arange(P, device=cell.device)
        ci = res.climbing
        sx = res.images[rows, ci].clone()  # (P, 3) climbing images
        se = res.energies[rows, ci].clone()
        conv = res.converged
        depth, where = interior_minimum_depth(res.energies)
        # only bands that can still be elementary hops get the saddle polish and the Hessian
        hop_like = conv & (depth <= s.interior_minimum)
        idx = torch.nonzero(hop_like).flatten()
        if (s.refine_saddle or guide) and s.climb and len(idx):
            x1, e1, f1 = x0, e0, f0 = sx[idx], *evaluate(surface, sx[idx], batch_size)
            if guide:  # quasi-Newton with the guide's Hessians (one surface call per step) first
                x1, e1, f1 = newton_polish(
                    surface, x0, e0, f0, n_negative=1, target=1e-2 * fmax, max_step=0.3,
                    max_iter=10, batch_size=batch_size, hessian_surface=self.neb_surface,
                )  # fmt: skip
            x1, e1, f1 = newton_polish(
                surface, x1, e1, f1, n_negative=1, target=1e-2 * fmax,
                max_step=0.3 if guide else 0.1, max_iter=8, batch_size=batch_size,
            )  # fmt: skip
            sx[idx], se[idx] = x1, e1
            res.images[idx, ci[idx]] = x1
            res.energies[idx, ci[idx]] = e1
            if guide:  # converged means: on the guide, and the saddle on the surface itself
                conv = conv.clone()
                conv[idx] = f1.norm(dim=1) < fmax
                res.fmax[idx] = f1.norm(dim=1)
            depth, where = interior_minimum_depth(res.energies)
        H = np.zeros((P, 3, 3))
        n_neg = np.ones(P, dtype=int)
        outside = np.zeros(P, dtype=bool)  # saddles where the network extrapolates
        if len(idx):
            rows_np = idx.cpu().numpy()
            H[rows_np] = hessians(surface, sx[idx], batch_size=batch_size).cpu().numpy()
            n_neg[rows_np] = (np.linalg.eigvalsh(H[rows_np]) < 0).sum(axis=1)
            outside[rows_np] = outside_domain(surface, sx[idx]).cpu().numpy()
        self.seconds["saddles"] += time.perf_counter() - t0
        return sx, se, conv, depth, where, H, n_neg, outside

    def _classify(self, src, dst, shifts, res, sx, se, conv, depth, where, H, n_neg, outside):
        """Add every elementary hop to the network, record every other band in ``rejected``; the
        interior minima of the composite bands (Å)."""
        s, G = self.s, self.G
        ci = res.climbing
        conv_np, depth_np = conv.cpu().numpy(), depth.cpu().numpy()
        prof = res.energies.cpu().numpy()
        imgs = res.images.cpu().numpy()
        new_min = []
        for p in range(len(src)):
            i, j, sh = int(src[p]), int(dst[p]), [int(v) for v in shifts[p]]
            record = {
                "i": i,
                "j": j,
                "shift": sh,
                "converged": bool(conv_np[p]),
                "saddle_energy": float(se[p]),
                "fmax": float(res.fmax[p]),
                "steps": int(res.steps[p]),
            }
            if depth_np[p] > s.interior_minimum:
                new_min.append(imgs[p, int(where[p])])
                self.rejected.append({**record, "reason": "composite", "converged": False})
                continue
            if not conv_np[p]:
                self.rejected.append({**record, "reason": "unconverged"})
                continue
            if float(se[p]) < max(G.nodes[i]["energy"], G.nodes[j]["energy"]):
                # the polished saddle lies below an end: that end is no separate minimum here
                self.rejected.append(
                    {**record, "reason": "saddle below an end", "converged": False}
                )
                continue
            if float(prof[p, 1:-1].max()) > float(se[p]) + _OFF_BAND_EV:
                # the polish left the band's ridge for a lower saddle: the band crosses higher
                # ground than the saddle found, so neither is this hop's barrier
                self.rejected.append(
                    {**record, "reason": "saddle off the band", "converged": False}
                )
                continue
            if outside[p]:  # the saddle lies where the network extrapolates
                self.rejected.append(
                    {**record, "reason": "outside model domain", "converged": False}
                )
                continue
            if s.climb and n_neg[p] != 1:
                reason = "higher-order saddle" if n_neg[p] > 1 else "no saddle"
                self.rejected.append(
                    {**record, "reason": reason, "converged": False, "n_negative": int(n_neg[p])}
                )
                continue
            _add_hop(
                G, i, j, sh, imgs[p], prof[p], int(ci[p]), H[p], self.cell_np, s.prefactor,
                self.sites.mass,
            )  # fmt: skip
            self.counts["hops"] += 1
        return new_min

    def _add_new_sites(self, new_min: list[np.ndarray]) -> list[int]:
        """Relax the interior minima of composite bands; those that are new sites join the network.
        Their indices."""
        s, t, cell, inv, surface = self.s, self.t, self.cell, self.inv, self.surface
        merge_distance, batch_size, pos_t = s.merge_distance, s.batch_size, self.pos_t
        t0 = time.perf_counter()
        # interior minima next to a known site are that site; the others are merged, then relaxed
        trial = torch.as_tensor(np.array(new_min), **t)
        near = close_pairs(wrap(trial, cell, inv), cell, inv, merge_distance, pos_t)
        trial = trial[torch.as_tensor(~near.any(axis=1))]
        if s.guide and len(trial):  # relax on the guide first: most trials fall into known sites
            xg, eg, _, _ = minimise(
                self.neb_surface, trial, fmax=10 * s.site_fmax, batch_size=batch_size
            )
            near = close_pairs(wrap(xg, cell, inv), cell, inv, merge_distance, pos_t)
            keep_g = torch.as_tensor(~near.any(axis=1))
            trial, eg = xg[keep_g], eg[keep_g]
            trial = trial[
                torch.as_tensor(merge_minima(wrap(trial, cell, inv), eg, cell, merge_distance))
            ]
        e0 = evaluate(surface, trial, batch_size)[0]
        trial = trial[
            torch.as_tensor(merge_minima(wrap(trial, cell, inv), e0, cell, merge_distance))
        ]
        x, e, _, cv = minimise(surface, trial, fmax=s.site_fmax, batch_size=batch_size)
        keep = merge_minima(wrap(x, cell, inv), e, cell, merge_distance)
        keep = keep[~outside_domain(surface, x[keep]).cpu().numpy()]
        new, _ = make_sites(
            surface, x[keep], e[keep], cv[keep], species=self.species, mass=self.sites.mass,
            batch_size=batch_size,
        )  # fmt: skip
        new_idx = []
        if len(new):
            new_pos = torch.as_tensor(new.positions, **t)
            fresh = ~close_pairs(new_pos, cell, inv, merge_distance, pos_t).any(axis=1)
            for k in np.nonzero(fresh)[0]:
                n = len(self.G)
                add_site(
                    self.G,
                    n,
                    new.positions[k],
                    new.energies[k],
                    frequencies=[float(v) for v in new.frequencies[k]],
                    converged=bool(new.converged[k]),
                    added=True,
                )
                new_idx.append(n)
            if new_idx:
                self.sites = self.sites.extend(
                    Sites(
                        positions=new.positions[fresh],
                        energies=new.energies[fresh],
                        frequencies=new.frequencies[fresh],
                        hessians=new.hessians[fresh],
                        converged=new.converged[fresh],
                        cell=new.cell,
                        species=self.species,
                        mass=self.sites.mass,
                    )
                )
                self.pos_t = torch.cat([pos_t, new_pos[torch.as_tensor(fresh)]])
                self.counts["added_sites"] += len(new_idx)
        self.seconds["new_sites"] += time.perf_counter() - t0
        return new_idx


#: How far (eV) an image of a band may lie above the band's polished saddle before the band is
#: rejected: the polished saddle must be the band's highest point.
_OFF_BAND_EV = 1e-6


def _add_hop(
    G: nx.MultiDiGraph,
    i: int,
    j: int,
    shift: list[int],
    images: np.ndarray,
    profile: np.ndarray,
    ci: int,
    H_saddle: np.ndarray,
    cell: np.ndarray,
    prefactor: str,
    mass: float,
) -> None:
    """Two directed edges of one elementary hop (band from site i to site j's image ``shift``)."""
    saddle = images[ci]
    es = float(profile[ci])
    d = images[-1] - images[0]
    length = float(np.linalg.norm(d))
    path_length = float(np.linalg.norm(np.diff(images, axis=0), axis=1).sum())
    if prefactor == "vineyard":
        fs = harmonic_frequencies(H_saddle, mass)
        nu_ij = _vineyard(np.asarray(G.nodes[i]["frequencies"]), fs)
        nu_ji = _vineyard(np.asarray(G.nodes[j]["frequencies"]), fs)
    else:
        nu_ij = nu_ji = DEFAULTS.prefactor_hz
    add_hop(
        G, i, j, shift, es,
        saddle=saddle,
        profile=profile,
        cell=cell,
        prefactor=nu_ij,
        reverse_prefactor=nu_ji,
        saddle_energy=es,
        length=length,
        path_length=path_length,
        converged=True,
    )  # fmt: skip
