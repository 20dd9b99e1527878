"""CP2K (PBE) through ASE: every setting of the ``cp2k`` calculator, in one place.

What is computed (:func:`cp2k_settings`): PBE, GTH pseudopotentials (``GTH-PBE``), the
``DZVP-MOLOPT-SR-GTH`` basis, a 400 Ry plane-wave cutoff with 50 Ry relative cutoff (CP2K's
default ``REL_CUTOFF``), the Γ point, spin-restricted, diagonalisation with Fermi-Dirac smearing
(1000 K), Broyden mixing (α 0.2) and 150 added MOs (:data:`CP2K_INPUT`), at most 50 SCF steps.
On a 99-atom Ta-O-Cu cell these settings converged in 15 SCF steps, 158 s on 2 MPI ranks;
OT without smearing did not converge in 15 min (docs/design.md, "Real components").

How CP2K starts (:func:`cp2k_command`): ASE's :class:`ase.calculators.cp2k.CP2K` runs CP2K's
shell mode as a child process and talks to it through a pipe. The command is, first found:

1. the keyword ``command`` (a shell command line, as ASE takes it);
2. the environment variable ``ASE_CP2K_COMMAND`` (ASE's own);
3. built from ``ranks`` (MPI processes; default: the cores this process may use) and ``threads``
   (OpenMP threads per rank; default 1): ``env OMP_NUM_THREADS=1 cp2k.psmp -s`` for one rank,
   ``env OMP_NUM_THREADS=1 mpirun --bind-to none -np 2 cp2k.psmp -s`` for two
   (``--allow-run-as-root`` added when run as root, which OpenMPI otherwise refuses).

Where the files go: ``label`` (default a fresh folder ``landscape-cp2k-*`` under the temporary
directory, then ``cp2k``): CP2K writes ``LABEL.inp``, ``LABEL.out`` (the SCF log that
:func:`cp2k_scf_report` reads) and ``LABEL-RESTART.wfn`` there, so two processes never share
files. The basis and pseudopotential files are found by CP2K in its data folder: Debian's
``cp2k-data`` puts them in ``/usr/share/cp2k``, compiled in as CP2K's default; the environment
variable ``CP2K_DATA_DIR`` overrides it. ``make install`` installs Debian's ``cp2k``,
``cp2k-data`` and ``openmpi-bin`` (``scripts/install_debian.sh``).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
from pathlib import Path
from typing import Any

from ..errors import InputError

__all__ = [
    "CP2K_INPUT",
    "CP2K_DATA_DIRS",
    "CP2K_PROGRAM",
    "cp2k_input",
    "cp2k_settings",
    "cp2k_params",
    "cp2k_command",
    "check_cp2k",
    "cp2k_input_text",
    "cp2k_scf_report",
    "cp2k_output_size",
    "make_cp2k",
    "cp2k_version",
    "RUN_KEYS",
]

#: CP2K input (the parts ASE's calculator does not write): diagonalisation with Fermi-Dirac
#: smearing, Broyden mixing and added MOs.
CP2K_INPUT = """&FORCE_EVAL
  &DFT
    &SCF
      ADDED_MOS {added_mos}
      &SMEAR ON
        METHOD FERMI_DIRAC
        ELECTRONIC_TEMPERATURE [K] {smear_temperature}
      &END SMEAR
      &DIAGONALIZATION ON
        ALGORITHM STANDARD
      &END DIAGONALIZATION
      &MIXING
        METHOD BROYDEN_MIXING
        ALPHA {mixing_alpha}
      &END MIXING
    &END SCF
  &END DFT
&END FORCE_EVAL
"""

#: The CP2K program in shell mode (Debian's ``cp2k`` package: MPI + OpenMP build).
CP2K_PROGRAM = "cp2k.psmp"

#: Where CP2K's data files are looked for when ``CP2K_DATA_DIR`` is not set (Debian's
#: ``cp2k-data``).
CP2K_DATA_DIRS = ("/usr/share/cp2k", "/usr/share/cp2k/data")

#: Keywords that say how CP2K runs, not what it computes: never part of a row's parameters.
RUN_KEYS = ("command", "ranks", "threads", "label", "debug")

_INPUT_KEYS = ("added_mos", "smear_temperature", "mixing_alpha")


def cp2k_input(
    *, added_mos: int = 150, smear_temperature: float = 1000.0, mixing_alpha: float = 0.2
) -> str:
    """The extra CP2K input text of the ``cp2k`` calculator.

    Parameters
    ----------
    added_mos : int
        Unoccupied orbitals added to the diagonalisation (needed with smearing).
    smear_temperature : float
        Fermi-Dirac electronic temperature, K.
    mixing_alpha : float
        Broyden mixing parameter (dimensionless).

    Returns
    -------
    str
        The ``inp`` text given to :class:`ase.calculators.cp2k.CP2K`.
    """
    return CP2K_INPUT.format(
        added_mos=int(added_mos),
        smear_temperature=float(smear_temperature),
        mixing_alpha=float(mixing_alpha),
    )


def cp2k_settings(**kwargs: Any) -> dict[str, Any]:
    """The keyword arguments of :class:`ase.calculators.cp2k.CP2K` for the ``cp2k`` calculator.

    Parameters
    ----------
    **kwargs
        Any ASE CP2K keyword (overrides the defaults: ``cutoff`` in eV, ``basis_set``, ...), plus
        ``added_mos``, ``smear_temperature`` (K) and ``mixing_alpha`` of :func:`cp2k_input`;
        ``ranks`` and ``threads`` (:func:`cp2k_command`) are left out.

    Returns
    -------
    dict
        Keyword arguments for ASE's calculator (``command`` and ``label`` only when given;
        :func:`make_cp2k` sets both).
    """
    from ase.units import Rydberg

    kwargs = dict(kwargs)
    inp_kw = {k: kwargs.pop(k) for k in list(kwargs) if k in _INPUT_KEYS}
    for key in ("ranks", "threads"):  # how it runs: the command of make_cp2k
        kwargs.pop(key, None)
    settings: dict[str, Any] = {
        "xc": "PBE",
        "basis_set": "DZVP-MOLOPT-SR-GTH",
        "basis_set_file": "BASIS_MOLOPT",
        "pseudo_potential": "GTH-PBE",
        "potential_file": "GTH_POTENTIALS",
        "cutoff": 400 * Rydberg,  # 400 Ry in eV (ASE's unit); REL_CUTOFF: CP2K's 50 Ry
        "max_scf": 50,
        "uks": False,
        "charge": 0,
        "stress_tensor": False,  # fixed cell: no stress needed
        "inp": cp2k_input(**inp_kw),
    }
    settings.update(kwargs)
    return settings


def cp2k_params(**kwargs: Any) -> dict[str, Any]:
    """What a row records of the ``cp2k`` calculator's settings: :func:`cp2k_settings` without
    the input text and without how it runs (:data:`RUN_KEYS`), plus the values of the input
    text's settings (``added_mos``, ``smear_temperature`` K, ``mixing_alpha``)."""
    import inspect

    defaults = {k: p.default for k, p in inspect.signature(cp2k_input).parameters.items()}
    params = {k: v for k, v in cp2k_settings(**kwargs).items() if k != "inp" and k not in RUN_KEYS}
    return params | {k: kwargs.get(k, defaults[k]) for k in _INPUT_KEYS}


def _cores() -> int:
    """Cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def cp2k_command(
    *, ranks: int | None = None, threads: int | None = None, command: str | None = None
) -> str:
    """The shell command that starts CP2K's shell mode (see the module's docstring for the order).

    Parameters
    ----------
    ranks : int, optional
        MPI processes (default: the cores this process may use); 1 runs without ``mpirun``.
    threads : int, optional
        OpenMP threads per rank (default 1).
    command : str, optional
        A complete command line; returned as it is.

    Returns
    -------
    str

    Raises
    ------
    InputError
        ``ranks`` or ``threads`` below 1 or not a whole number.
    """
    if command:
        return str(command)
    if os.environ.get("ASE_CP2K_COMMAND"):
        return os.environ["ASE_CP2K_COMMAND"]
    ranks = _cores() if ranks is None else ranks
    threads = 1 if threads is None else threads
    for what, value in (("ranks", ranks), ("threads", threads)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InputError(f"cp2k {what} must be a whole number >= 1, got {value!r}")
    program = f"env OMP_NUM_THREADS={threads} "
    if ranks > 1:
        root = " --allow-run-as-root" if hasattr(os, "geteuid") and os.geteuid() == 0 else ""
        program += f"mpirun{root} --bind-to none -np {ranks} "
    return program + f"{CP2K_PROGRAM} -s"


def _programs(command: str) -> list[str]:
    """The programs a CP2K command line runs: its first program (after ``env`` and variable
    assignments) and every word naming CP2K."""
    words = [w for w in shlex.split(command) if "=" not in w]
    if words and words[0] == "env":
        words = words[1:]
    programs = [w for w in words[:1] if not w.startswith("-")]
    programs += [w for w in words[1:] if Path(w).name.startswith("cp2k")]
    return programs


def check_cp2k(**kwargs: Any) -> str:
    """Refuse, before any work, a ``cp2k`` calculator that could not start.

    Checks that every program of the command (:func:`cp2k_command`) is installed and, for the
    default basis and pseudopotential files, that CP2K's data folder holds them.

    Parameters
    ----------
    **kwargs
        As for ``get_calculator("cp2k", ...)``.

    Returns
    -------
    str
        The command.

    Raises
    ------
    InputError
        A missing program or data file, named with the way to install it.
    """
    command = cp2k_command(
        ranks=kwargs.get("ranks"), threads=kwargs.get("threads"), command=kwargs.get("command")
    )
    install = "run `make install` (or: apt-get install cp2k cp2k-data openmpi-bin)"
    for program in _programs(command):
        if shutil.which(program) is None:
            raise InputError(
                f"calculator 'cp2k' needs the program {program!r}, which is not installed "
                f"(command {command!r}); {install}"
            )
    data = os.environ.get("CP2K_DATA_DIR")
    folders = (data,) if data else CP2K_DATA_DIRS
    for key, default in (("basis_set_file", "BASIS_MOLOPT"), ("potential_file", "GTH_POTENTIALS")):
        name = kwargs.get(key, default)
        if name != default:
            continue  # a file of the user's: CP2K says whether it finds it
        if not any(Path(folder, name).is_file() for folder in folders):
            raise InputError(
                f"calculator 'cp2k' needs CP2K's data file {name!r}, found in none of "
                f"{list(folders)} (CP2K_DATA_DIR); {install}"
            )
    return command


def make_cp2k(**kwargs: Any) -> Any:
    """ASE's CP2K calculator with :func:`cp2k_settings`, checked by :func:`check_cp2k` first,
    its files under ``label`` (default: a new folder under the temporary directory)."""
    import tempfile

    from ase.calculators.cp2k import CP2K

    command = check_cp2k(**kwargs)
    settings = cp2k_settings(**kwargs)
    settings["command"] = command
    if "label" not in settings:
        settings["label"] = str(Path(tempfile.mkdtemp(prefix="landscape-cp2k-"), "cp2k"))
    return CP2K(**settings)


def cp2k_version() -> str:
    """``"CP2K 2023.1"`` as the installed program says (``"cp2k unknown"`` when it is missing or
    does not answer within 30 s)."""
    import subprocess

    exe = shutil.which(CP2K_PROGRAM)
    if exe is None:
        return "cp2k unknown"
    try:
        out = subprocess.run(
            [exe, "--version"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "cp2k unknown"
    found = re.search(r"CP2K version\s+(\S+)", out)
    return f"CP2K {found.group(1)}" if found else "cp2k unknown"


def cp2k_input_text(atoms: Any, **kwargs: Any) -> str:
    """The complete CP2K input the ``cp2k`` calculator would send for ``atoms``.

    Built without starting the CP2K program, so the input can be checked where CP2K is absent.

    Parameters
    ----------
    atoms : ase.Atoms
        The structure (its species select basis sets and pseudopotentials).
    **kwargs
        As for ``get_calculator("cp2k", ...)``.

    Returns
    -------
    str
        The CP2K input file text.
    """
    from unittest import mock

    from ase.calculators import cp2k as ase_cp2k

    with mock.patch.object(ase_cp2k, "Cp2kShell", lambda *a, **k: None):
        calc = ase_cp2k.CP2K(**cp2k_settings(**kwargs))
    calc.atoms = atoms.copy()
    return calc._generate_input()


_CONVERGED = re.compile(r"SCF run converged in\s+(\d+)\s+steps")


def cp2k_scf_report(calc: Any, offset: int = 0) -> dict[str, Any]:
    """Whether the SCF of the calculations that ``calc`` ran since byte ``offset`` of its output
    file (``LABEL.out``) converged, and in how many steps.

    CP2K does not stop when the SCF fails to converge within ``max_scf`` steps: it warns
    (``SCF run NOT converged``) and returns the energy of the last step, so every energy is
    checked here.

    Parameters
    ----------
    calc : ase.calculators.cp2k.CP2K
        The calculator (its ``label`` names the output file).
    offset : int
        Bytes of the output file before the calculations (its size then; 0: the whole file).

    Returns
    -------
    dict
        ``converged`` (bool, or None when the output holds no SCF) and ``scf_steps`` (steps of
        the last converged SCF, or None).
    """
    path = Path(f"{calc.label}.out")
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            text = fh.read().decode("utf-8", "replace")
    except OSError:
        return {"converged": None, "scf_steps": None}
    steps = _CONVERGED.findall(text)
    if "SCF run NOT converged" in text:
        return {"converged": False, "scf_steps": None}
    if not steps:
        return {"converged": None, "scf_steps": None}
    return {"converged": True, "scf_steps": int(steps[-1])}


def cp2k_output_size(calc: Any) -> int:
    """Bytes of the output file of ``calc`` now (0 when there is none yet): the ``offset`` of
    :func:`cp2k_scf_report` for the next calculation."""
    try:
        return Path(f"{calc.label}.out").stat().st_size
    except (OSError, TypeError):
        return 0
