"""Reference energies along the hops of a network: the barrier error of the hop search.

:func:`validate_hops` relaxes some hops of a network again on its surface and computes the
reference calculator's energy (host relaxed around the fixed mobile atom) at every image;
:func:`rescore_validation` gives another model's barriers along the same bands (no reference
calculation: two models compared on the same paths); :func:`validation_errors` and
:func:`describe_validation` summarise the barrier errors.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import torch

from ..config import DEFAULTS
from ..contracts import EnergySurface
from ..errors import InputError
from ..geometry import min_image
from .grid import outside_domain
from .neb import batched_neb

__all__ = [
    "validate_hops",
    "rescore_validation",
    "validation_errors",
    "describe_validation",
    "converged_mask",
]


def _position_key(x: np.ndarray) -> tuple[float, ...]:
    """A position (Å) rounded to 1e-6 Å: the key of a checkpointed reference calculation."""
    return tuple(round(float(c), 6) for c in x)


def _read_checkpoint(path: str | Path | None) -> dict[tuple[float, ...], dict]:
    """Finished calculations of a :func:`validate_hops` checkpoint (a torn last line is ignored)."""
    done: dict[tuple[float, ...], dict] = {}
    if path is None or not Path(path).is_file():
        return done
    for line in Path(path).read_text().splitlines():
        try:
            rec = json.loads(line)
            done[_position_key(rec["position"])] = {
                "energy": float(rec["energy"]),
                "converged": bool(rec["converged"]),
            }
        except (ValueError, KeyError, TypeError):
            continue  # a line cut by a crash: computed again
    return done


def validate_hops(
    surface: EnergySurface,
    G: nx.MultiDiGraph,
    host,
    calculator,
    *,
    n_hops: int = 10,
    species: str | None = None,
    fmax: float = DEFAULTS.host_fmax,
    relax_radius: float | None = None,
    max_steps: int | None = None,
    optimizer: str | None = None,
    neb_fmax: float | None = None,
    spring: float | None = None,
    progress: bool = True,
    checkpoint: str | Path | None = None,
) -> dict:
    """Reference energies along NNP hops: the barrier error of the network.

    ``n_hops`` hops of ``G`` (one direction each, starting from the lower site, spread evenly over
    the sorted barriers) are relaxed again on ``surface`` with the band settings of ``G``, each
    band starting through the hop's stored ``saddle`` (straight when a hop of ``G`` has none), and at
    every image the reference calculator gives the total energy with the host relaxed around the
    fixed mobile atom (:func:`landscape.reference.relax_insertion`). Barriers are energy
    differences along one band, so absolute energies of the two methods are never mixed.

    Parameters
    ----------
    surface
        The EnergySurface the network was made with (the NNP bound to ``host``).
    G : networkx.MultiDiGraph
        Hop network of :func:`find_hops`.
    host : ase.Atoms
        The host structure.
    calculator : ase.calculators.calculator.Calculator
        Reference calculator.
    n_hops : int
        Hops checked.
    species : str, optional
        Mobile species (default ``G.graph["species"]``).
    fmax : float
        Host relaxation criterion, eV/Å (default :attr:`landscape.config.Settings.host_fmax`).
    relax_radius : float, optional
        Only host atoms this close to the mobile atom relax, Å.
    max_steps : int, optional
        Host relaxation steps at most.
    optimizer : str, optional
        Host relaxation optimiser (``"BFGS"``, ``"LBFGS"``, ``"FIRE"``; default that of
        :func:`landscape.reference.relax_insertion`).
    neb_fmax, spring : float, optional
        Band convergence (eV/Å) and spring (eV/Å²); default those recorded in ``G``.
    progress : bool
        Progress bar over the reference calculations.
    checkpoint : str or Path, optional
        JSON-lines file: every finished reference calculation is appended at once (image position
        in Å, energy in eV, convergence), and a re-run with the same file reuses the calculations
        of the same positions, so an interrupted validation resumes instead of starting again.

    Returns
    -------
    dict
        ``hops``: one record per hop (``i``, ``j``, ``shift``, ``barrier_network``, ``barrier_nnp``
        and ``barrier_reference`` in eV, ``profile_nnp`` and ``profile_reference`` relative to the
        first image in eV, ``images``: the mobile atom's positions along the band in Å (Cartesian,
        not wrapped), ``band_converged``: the NNP band converged, ``band_in_domain``: no image
        nearer a host atom than the surface's ``min_host_distance`` (:func:`_in_domain`),
        ``converged``: every host relaxation converged); ``mae``, ``max_abs_error`` of the
        barriers (eV) over the ``n_converged`` hops whose band converged in the domain and whose
        reference relaxations all converged (``None`` if none did: an unconverged relaxation's
        energy is not the relaxed one, one such image can put a barrier tens of eV off; an
        unconverged band, or one where the NNP extrapolates, is no path); ``n_band_unconverged``,
        ``n_band_outside_domain``; ``mae_all``, ``max_abs_error_all`` over all ``n_hops``
        (:func:`validation_errors`); ``n_calculations``; ``seconds``.
    """
    search = G.graph.get("search", {})
    chosen = _chosen_hops(G, n_hops)
    cell = surface.cell
    t = dict(dtype=cell.dtype, device=cell.device)
    start, end, via = _band_ends(G, chosen, cell)
    n_images = len(chosen[0][2].get("profile", [])) or search.get("n_images", DEFAULTS.neb_images)
    t0 = time.perf_counter()
    res = batched_neb(
        surface,
        torch.as_tensor(start, **t),
        torch.as_tensor(end, **t),
        n_images=n_images,
        fmax=neb_fmax or search.get("fmax", DEFAULTS.neb_fmax),
        spring=spring or search.get("spring", 0.5),
        early_composite=None,
        via=via,
    )
    images = res.images.cpu().numpy()
    e_nnp = res.energies.cpu().numpy()
    in_domain = _in_domain(surface, res.images)
    relax_options: dict[str, Any] = {"fmax": fmax, "relax_radius": relax_radius}
    if max_steps is not None:
        relax_options["max_steps"] = max_steps
    if optimizer is not None:
        relax_options["optimizer"] = optimizer
    energies, converged = _reference_energies(
        images,
        host,
        calculator,
        species or G.graph.get("species", "Cu"),
        relax_options,
        checkpoint=checkpoint,
        progress=progress,
    )
    records = [
        _hop_record(u, v, d, e_nnp[p], energies[p], images[p], bool(res.converged[p]), converged[p])
        | {"band_in_domain": bool(in_domain[p])}
        for p, (u, v, d) in enumerate(chosen)
    ]
    return {
        "sample_id": G.graph.get("sample_id"),
        "hops": records,
        **validation_errors(records),
        "n_calculations": int(images.shape[0] * images.shape[1]),
        "seconds": time.perf_counter() - t0,
    }


def rescore_validation(surface: EnergySurface, result: dict) -> dict:
    """Barriers of ``surface`` along the bands of an earlier validation: no reference calculation.

    Every hop of ``result`` (the output of :func:`validate_hops`, or its JSON) keeps its images (Å)
    and its reference profile (eV); ``surface``, bound to the same host, gives its energy at every
    image, and its barrier is the maximum of that profile relative to the first image. This is
    the validation's own measure (both methods' energies at the same positions), so two models
    rescored on one validation are compared on the same paths, free of the scatter of choosing
    different hops of different networks. The bands are the paths of the model that validated
    them: another model's own band between the same sites can be lower.

    Parameters
    ----------
    surface
        An EnergySurface of the validated host (for an NNP: ``model.surface(host)``).
    result : dict
        ``hops`` with ``images`` (n_images, 3) Å, ``profile_reference`` (n_images,) and
        ``barrier_reference`` eV each; the other keys of :func:`validate_hops`' records are kept.

    Returns
    -------
    dict
        As :func:`validate_hops`: ``hops`` with ``barrier_nnp`` and ``profile_nnp`` (eV) of
        ``surface``, ``band_in_domain`` now also requiring every image within ``surface``'s
        domain, and :func:`validation_errors` over them; ``rescored``: the ``mae``,
        ``n_converged`` and ``n_hops`` of ``result`` (the model that made the bands);
        ``n_calculations`` 0; ``seconds``.

    Raises
    ------
    InputError
        No hop, or a hop whose images are not (n >= 2, 3) finite positions or whose reference
        profile does not have one energy per image.
    """
    t0 = time.perf_counter()
    hops = result.get("hops") if isinstance(result, dict) else None
    if not isinstance(hops, list) or not hops:
        raise InputError("the validation has no list 'hops'; expected a validate-hops result")
    bands, refs = [], []
    for k, hop in enumerate(hops):
        try:
            images = np.asarray(hop["images"], dtype=float)
            ref = np.asarray(hop["profile_reference"], dtype=float)
        except (KeyError, TypeError, ValueError):
            raise InputError(
                f"hop {k} of the validation lacks numeric 'images' and 'profile_reference'"
            ) from None
        if images.ndim != 2 or len(images) < 2 or images.shape[1] != 3:
            raise InputError(f"hop {k} has images of shape {images.shape}; expected (n >= 2, 3)")
        if ref.shape != (len(images),) or not np.isfinite(images).all():
            raise InputError(
                f"hop {k} has {ref.size} reference energies for {len(images)} images, or "
                "non-finite positions; expected one finite energy per image"
            )
        bands.append(images)
        refs.append(ref)
    # every image of every band in one evaluation, then split back band by band
    x = torch.as_tensor(np.concatenate(bands), dtype=surface.cell.dtype, device=surface.cell.device)
    ends = np.cumsum([len(b) for b in bands])[:-1]
    energies = np.split(surface.energy(x).detach().double().cpu().numpy(), ends)
    outside = np.split(outside_domain(surface, x).cpu().numpy(), ends)
    records = [
        hop
        | {
            "barrier_nnp": float((e - e[0]).max()),
            "profile_nnp": [float(v) for v in e - e[0]],
            "barrier_reference": float(ref.max()),
            "band_in_domain": not out.any() and bool(hop.get("band_in_domain", True)),
        }
        for hop, e, ref, out in zip(hops, energies, refs, outside, strict=True)
    ]
    before = validation_errors(hops)
    return {
        "sample_id": result.get("sample_id"),
        "hops": records,
        **validation_errors(records),
        "rescored": {k: before[k] for k in ("mae", "n_converged", "n_hops")},
        "n_calculations": 0,
        "seconds": time.perf_counter() - t0,
    }


def _in_domain(surface: EnergySurface, images: torch.Tensor) -> np.ndarray:
    """(P,) bool: no image of the bands ``images`` (P, n_images, 3) Å is closer to a host atom than
    the surface's ``min_host_distance``, where the NNP extrapolates (seen on a-Ta2O5-1a: a band
    0.69 Å from a host atom, 2.7 eV on the NNP and 12.1 eV on CHGNet); the hop search drops such
    saddles ("outside model domain")."""
    P, n = images.shape[:2]
    return ~outside_domain(surface, images.reshape(-1, 3)).reshape(P, n).any(1).cpu().numpy()


def _chosen_hops(G: nx.MultiDiGraph, n_hops: int) -> list[tuple[int, int, dict]]:
    """``n_hops`` hops ``(u, v, data)`` of ``G``, one direction each (from the lower site), spread
    evenly over the barriers sorted ascending (eV); raises :class:`InputError` on an empty network
    or ``n_hops < 1``."""
    hops = sorted(
        (
            (u, v, d)
            for u, v, d in G.edges(data=True)
            if (G.nodes[u]["energy"], u) <= (G.nodes[v]["energy"], v)
        ),
        key=lambda h: h[2]["barrier"],
    )
    if not hops:
        raise InputError("the network has no hop to validate")
    if n_hops < 1:
        raise InputError(f"n_hops must be >= 1, got {n_hops}")
    pick = np.unique(np.linspace(0, len(hops) - 1, min(n_hops, len(hops))).round().astype(int))
    return [hops[k] for k in pick]


def _band_ends(
    G: nx.MultiDiGraph, chosen: list[tuple[int, int, dict]], cell: torch.Tensor
) -> tuple[np.ndarray, np.ndarray, torch.Tensor | None]:
    """The bands' ends, Å: ``start`` (P, 3) the lower sites, ``end`` (P, 3) the upper sites in the
    lattice image of each hop's ``shift``; ``via`` (P, 3) each hop's stored saddle in the image
    nearest the band's midpoint (in the dtype and on the device of ``cell``, the surface's (3, 3)
    lattice vectors in Å), or ``None`` when a chosen hop has no saddle."""
    cell_np = np.asarray(G.graph["cell"], dtype=float)
    start = np.array([G.nodes[u]["position"] for u, _, _ in chosen])
    end = np.array(
        [
            np.asarray(G.nodes[v]["position"]) + np.asarray(d["shift"]) @ cell_np
            for _, v, d in chosen
        ]
    )
    if not all(d.get("saddle") is not None for _, _, d in chosen):
        return start, end, None
    # each band starts through the hop's own saddle (the image nearest the hop's midpoint),
    # so that it relaxes to the network's path: a straight start through a host atom's wall
    # or over a hill the path goes around relaxes to another band, or does not converge
    t = dict(dtype=cell.dtype, device=cell.device)
    mid = torch.as_tensor(0.5 * (start + end), **t)
    saddle = torch.as_tensor(np.array([d["saddle"] for _, _, d in chosen]), **t)
    return start, end, mid + min_image(saddle - mid, cell, torch.linalg.inv(cell))


def _reference_energies(
    images: np.ndarray,
    host,
    calculator,
    species: str,
    relax_options: dict[str, Any],
    *,
    checkpoint: str | Path | None,
    progress: bool,
) -> tuple[list[list[float]], list[bool]]:
    """The reference calculator's energy (eV, host relaxed around the fixed mobile atom) at every
    image of the bands ``images`` (P, n_images, 3) Å, band by band and image by image, and whether
    every host relaxation of each band converged.

    ``relax_options`` are keywords of :func:`landscape.reference.relax_insertion` (``fmax``
    eV/Å, ``relax_radius`` Å, ``max_steps``, ``optimizer``). Calculations found in ``checkpoint``
    (see :func:`validate_hops`) are reused; every new one is appended to it at once."""
    from tqdm.auto import tqdm

    from ..reference import relax_insertion

    bar = tqdm(total=images.shape[0] * images.shape[1], desc="reference", disable=not progress)
    done = _read_checkpoint(checkpoint)
    energies, converged = [], []
    for band in images:
        band_energies, ok = [], True
        for x in band:
            key = _position_key(x)
            if key not in done:
                r = relax_insertion(host, x, calculator, species=species, **relax_options)
                done[key] = {"energy": float(r["energy"]), "converged": bool(r["converged"])}
                if checkpoint is not None:
                    with open(checkpoint, "a") as fh:
                        fh.write(
                            json.dumps({"position": [float(c) for c in x], **done[key]}) + "\n"
                        )
            band_energies.append(done[key]["energy"])
            ok &= done[key]["converged"]
            bar.update(1)
        energies.append(band_energies)
        converged.append(ok)
    bar.close()
    return energies, converged


def _hop_record(
    u: int,
    v: int,
    d: dict,
    e_nnp: np.ndarray,
    e_reference: list[float],
    images: np.ndarray,
    band_converged: bool,
    converged: bool,
) -> dict:
    """The record of one validated hop ``u → v`` (edge data ``d``): both profiles relative to the
    first image and their maxima, the barriers (eV), the band's images (n_images, 3) Å and its
    convergence flags (see :func:`validate_hops`)."""
    ref = np.asarray(e_reference) - e_reference[0]
    nnp = e_nnp - e_nnp[0]
    return {
        "i": int(u),
        "j": int(v),
        "shift": [int(s) for s in d["shift"]],
        "barrier_network": float(d["barrier"]),
        "barrier_nnp": float(nnp.max()),
        "barrier_reference": float(ref.max()),
        "profile_nnp": [float(e) for e in nnp],
        "profile_reference": [float(e) for e in ref],
        "images": images.tolist(),
        "band_converged": band_converged,
        "converged": converged,
    }


def describe_validation(stats: dict) -> str:
    """One line on :func:`validation_errors`' figures: "barrier MAE 0.035 eV (largest error 0.162
    eV) on 30 hops", naming the hops left out and why (a reference relaxation or the NNP band did
    not converge)."""
    n, k = int(stats["n_hops"]), int(stats["n_converged"])
    band = int(stats.get("n_band_unconverged") or 0)
    domain = int(stats.get("n_band_outside_domain") or 0)
    if stats["mae"] is None:
        return (
            f"no hop of {n} has a converged NNP band within the NNP's domain and converged "
            "reference relaxations"
        )
    text = (
        f"barrier MAE {stats['mae']:.3f} eV (largest error {stats['max_abs_error']:.3f} eV) on "
        f"{k} hops"
    )
    if k < n:
        why = []
        if n - k - band - domain > 0:
            why.append(f"a reference relaxation did not converge: {n - k - band - domain}")
        if band:
            why.append(f"the NNP band did not converge: {band}")
        if domain:
            why.append(
                f"the NNP band passes closer to a host atom than its training data: {domain}"
            )
        text += f"; {n - k} of {n} left out ({'; '.join(why)}; MAE over all {n}: "
        text += f"{stats['mae_all']:.3f} eV)"
    return text


def converged_mask(hops: list[dict]) -> np.ndarray:
    """(n,) bool: which validated hops count: the NNP band converged (``band_converged``) within
    the NNP's domain (``band_in_domain``) and every reference relaxation along it converged
    (``converged``); a missing key counts as true.

    A band that did not converge is not a path: its images can wander over periodic images of
    the sites (seen: images 15-23 Å apart, one reference image 11.7 eV up), so its two barriers
    measure nothing. Nor is a band through where the NNP extrapolates (seen: an image 0.69 Å from
    a host atom, 2.7 eV on the NNP, 12.1 eV on CHGNet)."""
    keys = ("converged", "band_converged", "band_in_domain")
    return np.array([all(bool(h.get(k, True)) for k in keys) for h in hops], dtype=bool)


def validation_errors(hops: list[dict]) -> dict:
    """Barrier errors of validated hops (records of :func:`validate_hops`), eV.

    ``mae`` and ``max_abs_error`` over the ``n_converged`` hops whose NNP band converged within
    the NNP's domain and whose reference relaxations all converged (``None`` if none did;
    :func:`converged_mask`), ``n_band_unconverged`` the hops left out because their band did not
    converge, ``n_band_outside_domain`` those whose converged band leaves the domain, ``mae_all``
    and ``max_abs_error_all`` over all ``n_hops``.
    """
    err = np.abs([h["barrier_nnp"] - h["barrier_reference"] for h in hops], dtype=float)
    ok = converged_mask(hops)
    return {
        "mae": float(err[ok].mean()) if ok.any() else None,
        "max_abs_error": float(err[ok].max()) if ok.any() else None,
        "n_converged": int(ok.sum()),
        "n_band_unconverged": sum(not h.get("band_converged", True) for h in hops),
        "n_band_outside_domain": sum(
            bool(h.get("band_converged", True)) and not h.get("band_in_domain", True) for h in hops
        ),
        "n_hops": len(hops),
        "mae_all": float(err.mean()) if len(err) else None,
        "max_abs_error_all": float(err.max()) if len(err) else None,
    }
