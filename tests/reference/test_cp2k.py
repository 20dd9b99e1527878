"""CP2K for real, through ``get_calculator("cp2k", ...)``: H2 in a small box in a few seconds.

``make install`` installs Debian's ``cp2k``, ``cp2k-data`` and ``openmpi-bin``, so these tests fail
(never skip) where CP2K is missing: the message says to run ``make install``.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from ase import Atoms
from ase.units import Hartree, Rydberg

from landscape.calculators import calculator_info, get_calculator
from landscape.calculators.cp2k import check_cp2k, cp2k_command, cp2k_scf_report
from landscape.errors import InputError

#: A small basis and a low cutoff: seconds, not minutes (the PBE / GTH settings otherwise).
SMALL = {"basis_set": "SZV-MOLOPT-SR-GTH", "cutoff": 200 * Rydberg, "added_mos": 4, "threads": 1}


def _h2(distance: float) -> Atoms:
    return Atoms("H2", positions=[[0, 0, 0], [distance, 0, 0]], cell=[5.0] * 3, pbc=True)


def _energies(tmp_path, ranks: int, distances) -> tuple[list[float], list[dict], str]:
    calc = get_calculator("cp2k", ranks=ranks, label=str(tmp_path / f"r{ranks}" / "cp2k"), **SMALL)
    try:
        energies, reports = [], []
        for d in distances:
            atoms = _h2(d)
            atoms.calc = calc
            energies.append(atoms.get_potential_energy())
            reports.append(cp2k_scf_report(calc))
        return energies, reports, calc.command
    finally:
        calc.close()


def test_h2_on_one_and_two_mpi_ranks(tmp_path):
    one, reports, command = _energies(tmp_path, 1, (0.74, 0.80))
    assert "mpirun" not in command and "OMP_NUM_THREADS=1" in command
    # PBE H2 with GTH pseudopotentials: about -1.16 Hartree; stretching it costs energy
    assert all(np.isfinite(one))
    assert -1.20 < one[0] / Hartree < -1.12
    assert 0.01 < one[1] - one[0] < 0.5  # eV: 0.74 Å is near the PBE bond length, 0.80 above
    assert all(r["converged"] and r["scf_steps"] >= 1 for r in reports)
    two, _, command = _energies(tmp_path, 2, (0.74,))
    assert "mpirun" in command and "-np 2" in command
    np.testing.assert_allclose(two, one[:1], rtol=0, atol=1e-5)


def test_missing_program_or_data_names_make_install(monkeypatch):
    with pytest.raises(InputError, match=r"'nosuch-cp2k'.*make install"):
        get_calculator("cp2k", command="nosuch-cp2k -s")
    monkeypatch.setenv("CP2K_DATA_DIR", "/nonexistent")
    with pytest.raises(InputError, match=r"'BASIS_MOLOPT'.*make install"):
        check_cp2k(ranks=1)


def test_command_order_and_what_a_row_records(monkeypatch):
    monkeypatch.delenv("ASE_CP2K_COMMAND", raising=False)
    assert cp2k_command(ranks=1, threads=2) == "env OMP_NUM_THREADS=2 cp2k.psmp -s"
    assert cp2k_command(ranks=3).endswith("--bind-to none -np 3 cp2k.psmp -s")
    assert cp2k_command(ranks=3, command="my-cp2k -s") == "my-cp2k -s"
    with pytest.raises(InputError, match="ranks must be a whole number >= 1, got 0"):
        cp2k_command(ranks=0)
    monkeypatch.setenv("ASE_CP2K_COMMAND", "cp2k_shell")
    assert cp2k_command(ranks=3) == "cp2k_shell"
    # how it runs is not what it computes: rows of 1 and 2 ranks carry the same parameters
    a = calculator_info("cp2k", {"ranks": 1, "label": "/tmp/a"})
    b = calculator_info("cp2k", {"ranks": 2, "threads": 1, "command": "x"})
    assert a["calculator_params"] == b["calculator_params"]
    assert '"added_mos": 150' in a["calculator_params"] and a["calculator_version"].startswith(
        "CP2K "
    )


def test_reference_run_with_cp2k(tmp_path, capsys):
    """``landscape reference run --calculator cp2k`` end to end: H in a box with H2 as the host."""
    import ase.io

    from tests.helpers.cli import run_cli

    host = tmp_path / "h2.extxyz"
    ase.io.write(host, _h2(0.74))
    db = tmp_path / "r.db"
    kwargs = json.dumps(
        {"basis_set": "SZV-MOLOPT-SR-GTH", "cutoff": 2721, "added_mos": 4, "ranks": 1}
        | {"label": str(tmp_path / "cp2k" / "cp2k")}  # default: a new folder under /tmp
    )
    argv = ["reference", "run", host, "--points", "1", "--db", db, "--species", "H"]
    argv += ["--min-distance", "1.5", "--calculator", "cp2k", "--calculator-kwargs", kwargs]
    code, out, err = run_cli(capsys, argv + ["--fmax", "0.1", "--max-steps", "10"])
    assert code == 0, err
    assert "h2: 1 done, 0 failed" in out
    code, out, err = run_cli(capsys, ["reference", "info", db])
    assert code == 0 and "calculator: cp2k pbe/gth" in out and "1 ok" in out, out + err
