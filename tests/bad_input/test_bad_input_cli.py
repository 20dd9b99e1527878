"""Every bad input of ``sample``, ``reference`` (``crosscheck`` included), ``nnp``, ``study``,
``explore`` and the root command is answered with exit status 2 and one line on stderr that names
the bad value, and writes nothing.

Each case runs the CLI in-process on small files made in ``tmp_path``; the whole folder (names and
bytes) is compared before and after, so a refused command that created a file or folder, or wrote
ASE's tables into a database it only reads, fails.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
import torch

from landscape.reference.importer import bundled_reference_db
from tests.helpers.cli import run_cli, snapshot

INJECTION = "Cu' DETACH DELETE n //"


_run = run_cli
_snapshot = snapshot


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Bad inputs in ``tmp_path`` (also the working folder): their paths by name."""
    monkeypatch.chdir(tmp_path)
    foreign = tmp_path / "foreign.db"  # SQLite, but another program's
    con = sqlite3.connect(foreign)
    con.execute("CREATE TABLE notes (x TEXT)")
    con.execute("INSERT INTO notes VALUES ('keep me')")
    con.commit()
    con.close()
    (tmp_path / "empty.db").write_bytes(b"")
    (tmp_path / "random.db").write_bytes(bytes(range(256)) * 40)
    (tmp_path / "text.db").write_text("not a database\n")
    ref = Path(bundled_reference_db()).with_name("chgnet-cu-a-Ta2O5-fullrelax.db")
    (tmp_path / "truncated.db").write_bytes(ref.read_bytes()[:150_000])
    (tmp_path / "afile").write_text("a regular file\n")
    (tmp_path / "adir").mkdir()
    (tmp_path / "net.json").write_text("{}")
    names = ("foreign.db", "empty.db", "random.db", "text.db", "truncated.db", "afile", "adir")
    paths = {Path(n).stem if n.endswith(".db") else n: str(tmp_path / n) for n in names}
    paths["under"] = str(tmp_path / "afile" / "x.json")  # fails even as root: under a file
    paths["model"] = str(tmp_path / "no-model")
    paths["net"] = str(tmp_path / "net.json")
    paths["vasp"] = str(_imported_db(tmp_path / "vasp.db"))
    return paths


def _imported_db(path: Path) -> Path:
    """A reference database holding one imported host and point labelled "VASP PBE"."""
    import ase.io
    from ase import Atom
    from ase.build import bulk
    from ase.calculators.singlepoint import SinglePointCalculator

    from landscape.reference.importer import import_results

    host = bulk("Cu", "fcc", a=3.6, cubic=True)
    host.calc = SinglePointCalculator(host, energy=-14.0)
    point = host.copy()
    point.append(Atom("H", [0.9, 0.9, 0.9]))
    point.calc = SinglePointCalculator(point, energy=-16.0)
    frames = path.with_suffix(".extxyz")
    ase.io.write(frames, [host, point])
    import_results([frames], path, sample_id="s", species="H", calculator="VASP PBE")
    frames.unlink()
    return path


#: A cheap upper method, where the upper method is not what a case is about.
EMT = "ase.calculators.emt:EMT"
#: ``reference crosscheck`` of a bundled sample into x.db, the upper method last.
XC = ["reference", "crosscheck", "a-Ta2O5-1a", "--out", "x.db", "--upper", EMT]
#: ``rescore-hops`` of a bundled sample with a missing model, the validation file last.
RH = ["rescore-hops", "a-Ta2O5-1", "--model", "{model}", "--validation"]

# (argv, text the one line must contain); "{name}" is a path of the fixture ``files``
CASES: list[tuple[list[str], str]] = [
    # the root command: usage errors in one line
    (["kinetcs"], "kinetcs"),
    (["--bogus"], "--bogus"),
    (["nnp", "trian"], "trian"),
    (["sample", "info", "a-Ta2O5-1", "--bogus"], "--bogus"),
    (["kinetics", "{net}", "-T", "hot"], "hot"),
    (["explore", "a-Ta2O5-1", "--model", "{model}", "--out", "o.json", "--n-images", "x"], "'x'"),
    # sample
    (["sample", "generate", "{under}", "--calculator", "none"], "{under}"),
    (["sample", "generate", "{adir}", "--calculator", "none"], "{adir}"),
    (["sample", "generate", "s.extxyz", "--density", "0"], "--density"),
    (["sample", "generate", "s.extxyz", "--density", "nan"], "nan"),
    (["sample", "generate", "s.extxyz", "--timestep", "-1"], "--timestep"),
    (["sample", "generate", "s.extxyz", "--melt-steps", "-5"], "--melt-steps"),
    (["sample", "generate", "s.extxyz", "--composition", "Xx2O5"], "Xx"),
    (["sample", "generate", "s.extxyz", "--calculator", "nosuch"], "nosuch"),
    (["sample", "generate", "s.extxyz", "--md-calculator", "nosuch"], "--md-calculator 'nosuch'"),
    (
        ["sample", "generate", "s.extxyz", "--md-calculator", "pair", "--composition", "Pd10Ni2"],
        "pass --md-calculator",
    ),
    (["sample", "generate", "s.extxyz", "--md-calculator-kwargs", "[1]"], "[1]"),
    (["sample", "anneal", "a-Ta2O5-1", "s.extxyz", "--t-anneal", "nan"], "--t-anneal"),
    (["sample", "anneal", "a-Ta2O5-1", "{under}"], "{under}"),
    # reference: reading never writes; bad options refused before any point
    (["reference", "info", "{foreign}"], "{foreign}"),
    (["reference", "info", "{empty}"], "empty"),
    (["reference", "info", "{random}"], "not an SQLite file"),
    (["reference", "info", "{text}"], "{text}"),
    (["reference", "info", "{truncated}"], "truncated"),
    (["reference", "info", str(bundled_reference_db()), "--consistency", "nan"], "nan"),
    (
        ["reference", "run", "a-Ta2O5-1a", "--points", "1", "--db", "r.db"]
        + ["--calculator", "ase.calculators.emt:EMT"],
        "'Ta'",
    ),
    (["reference", "run", "a-Ta2O5-1", "--points", "1", "--db", "r.db", "--species", "Xx"], "Xx"),
    (
        ["reference", "run", "a-Ta2O5-1", "--points", "1", "--db", "r.db", "--species", INJECTION],
        INJECTION,
    ),
    (["reference", "run", "a-Ta2O5-1", "--points", "1", "--db", "{under}"], "{under}"),
    (["reference", "run", "a-Ta2O5-1", "--points", "1", "--db", "{adir}"], "{adir}"),
    (["reference", "run", "a-Ta2O5-1", "--points", "1", "--db", "{foreign}"], "{foreign}"),
    (["reference", "run", "a-Ta2O5-1", "--points", "0", "--db", "r.db"], "--points"),
    (["reference", "run", "a-Ta2O5-1", "--points", "2", "--db", "r.db", "--fmax", "0"], "--fmax"),
    (
        ["reference", "run", "a-Ta2O5-1", "--points", "2", "--db", "r.db", "--workers", "0"],
        "--workers",
    ),
    (
        ["reference", "run", "a-Ta2O5-1", "--points", "2", "--db", "r.db", "--optimizer", "NEWTON"],
        "NEWTON",
    ),
    (
        ["reference", "run", "a-Ta2O5-1", "--points", "2", "--db", "r.db"]
        + ["--relax-radius", "nan"],
        "--relax-radius",
    ),
    (
        ["reference", "import", "{afile}", "--db", "r.db", "--sample-id", "s", "--species", "Xx"],
        "Xx",
    ),
    (  # another method's energies: refused before the host is relaxed or a point computed
        ["reference", "run", "a-Ta2O5-1", "--points", "1", "--db", "{vasp}"]
        + ["--calculator", "ase.calculators.lj:LennardJones"],
        "holds energies of 'vasp pbe'",
    ),
    (["reference", "merge", "{foreign}", "--db", "merged.db"], "{foreign}"),
    (["reference", "merge", "{truncated}", "--db", "merged.db"], "{truncated}"),
    # reference crosscheck: refused before the cross-check database is created
    (["reference", "crosscheck", "nosuch", "--out", "x.db", "--upper", EMT], "'nosuch'"),
    (XC + ["--points", "0"], "--points"),
    (XC + ["--points", "100000"], "100000 points asked for"),
    (XC + ["--n-hops", "0"], "--n-hops"),
    (XC + ["--limit", "-1"], "--limit"),
    (XC + ["--lower", "nosuch"], "--lower 'nosuch'"),
    (XC[:-1] + ["nosuch"], "--upper 'nosuch'"),
    (XC + ["--upper-kwargs", "[1]"], "[1]"),
    (  # the CP2K program missing: names the way to install it
        XC[:-1] + ["cp2k", "--upper-kwargs", '{{"command": "nosuch-cp2k -s"}}'],
        "'nosuch-cp2k', which is not installed (command 'nosuch-cp2k -s'); run `make install`",
    ),
    (XC + ["--out", "{under}"], "{under}"),
    (XC + ["--out", "{adir}"], "{adir}"),
    (XC + ["--out", "{foreign}"], "{foreign}"),
    (XC + ["--reference-db", "{foreign}"], "{foreign}"),
    (XC + ["--reference-db", "{truncated}"], "{truncated}"),
    (XC + ["--hops", "{net}"], "no list 'hops'"),
    (XC + ["--hops", "{random}"], "{random}"),
    (XC + ["--hops", "nosuch.json"], "nosuch.json"),
    (XC + ["--model", "{model}"], "{model}"),
    (["reference", "crosscheck-summary", "{foreign}"], "{foreign}"),
    (["reference", "crosscheck-summary", "{empty}"], "{empty}"),
    (["reference", "crosscheck-summary", "{vasp}"], "not a cross-check's"),
    (["reference", "crosscheck-summary", "{vasp}", "--json", "{under}"], "{under}"),
    # nnp
    (["nnp", "train", "{foreign}", "--out", "m"], "{foreign}"),
    (["nnp", "train", "{empty}", "--out", "m"], "{empty}"),
    (["nnp", "train", "{truncated}", "--out", "m"], "{truncated}"),
    (["nnp", "train", "{random}", "--out", "{under}"], "{afile}"),
    (["nnp", "train", "{random}", "--out", "m", "--figures", "{afile}"], "{afile}"),
    (["nnp", "train", "{random}", "--out", "m", "--force-weight", "nan"], "--force-weight"),
    (["nnp", "train", "{random}", "--out", "m", "--n-models", "0"], "--n-models"),
    (["nnp", "train", "{random}", "--out", "m", "--alpha", "-1"], "--alpha"),
    (["nnp", "train", "{random}", "--out", "m", "--hidden", "0,8"], "0,8"),
    (["nnp", "train", "{random}", "--out", "m", "--precision", "half"], "--precision"),
    (["nnp", "train", "{random}", "--out", "m", "--batch-size", "0"], "--batch-size"),
    (["nnp", "train", "{random}", "--out", "m", "--learning-rate", "nan"], "--learning-rate"),
    (["nnp", "eval", "{model}", "{random}"], "{random}"),
    (["nnp", "eval", "{model}", "{foreign}"], "{foreign}"),
    # explore: options, device and output paths before the model is even read
    (
        ["explore", "a-Ta2O5-1", "--model", "{model}", "--out", "o.json", "--n-images", "1"],
        "--n-images",
    ),
    (["explore", "a-Ta2O5-1", "--model", "{model}", "--out", "o.json", "--prefactor", "0"], "'0'"),
    (["explore", "a-Ta2O5-1", "--model", "{model}", "--out", "o.json", "--candidates", "x"], "'x'"),
    (["explore", "a-Ta2O5-1", "--model", "{model}", "--out", "o.json", "--fmax", "nan"], "--fmax"),
    (
        ["explore", "a-Ta2O5-1", "--model", "{model}", "--out", "o.json", "--grid-spacing", "0"],
        "--grid-spacing",
    ),
    (["explore", "a-Ta2O5-1", "--model", "{model}", "--out", "{under}"], "{under}"),
    (["explore", "a-Ta2O5-1", "--model", "{model}", "--out", "{adir}"], "{adir}"),
    (
        ["explore", "a-Ta2O5-1", "--model", "{model}", "--out", "o.json", "--figures", "{afile}"],
        "{afile}",
    ),
    (["explore", "a-Ta2O5-1", "--model", "{model}", "--out", "o.json", "--device", "gpu"], "gpu"),
    (
        ["validate-hops", "a-Ta2O5-1", "--model", "{model}", "--network", "{net}"]
        + ["--out", "v.json", "--hops", "0"],
        "--hops",
    ),
    (
        ["validate-hops", "a-Ta2O5-1", "--model", "{model}", "--network", "{net}"]
        + ["--out", "{under}"],
        "{under}",
    ),
    (
        RH + ["{net}", "--out", "v.json"],
        "no list 'hops'",
    ),
    (
        RH + ["{afile}", "--out", "v.json"],
        "not a readable JSON file",
    ),
    (
        RH + ["nosuch.json", "--out", "v.json"],
        "--validation 'nosuch.json' does not exist",
    ),
    (
        RH + ["{net}", "--out", "{under}"],
        "{under}",
    ),
    (["demo", "--out", "{afile}"], "{afile}"),
    # init: every refusal before the study file is written
    (
        ["init", "s.toml", "--host", "{afile}", "--species", "Cu", "--calculator", "chgnet"],
        "{afile}",
    ),
    (
        ["init", "s.toml", "--host", "nosuch.cif", "--species", "Cu", "--calculator", "chgnet"],
        "nosuch",
    ),
    (
        ["init", "s.toml", "--host", "a-Ta2O5-1a", "--species", "Xx", "--calculator", "chgnet"],
        "'Xx'",
    ),
    (
        ["init", "s.toml", "--host", "a-Ta2O5-1a", "--species", "Cu", "--calculator", "nosuch"],
        "nosuch",
    ),
    (
        ["init", "{afile}", "--host", "a-Ta2O5-1a", "--species", "Cu", "--calculator", "chgnet"],
        "--force",
    ),
    (
        ["init", "{adir}", "--host", "a-Ta2O5-1a", "--species", "Cu", "--calculator", "chgnet"],
        "{adir}",
    ),
    (
        ["init", "{under}", "--host", "a-Ta2O5-1a", "--species", "Cu", "--calculator", "chgnet"],
        "{afile}",
    ),
    (
        ["init", "s.toml", "--host", "a-Ta2O5-1a", "--species", "Cu", "--calculator", "chgnet"]
        + ["--points", "0"],
        "--points",
    ),
    (
        ["init", "s.toml", "--host", "a-Ta2O5-1a", "--species", "Cu", "--calculator", "chgnet"]
        + ["--calculator-kwargs", "[1]"],
        "[1]",
    ),
    (
        ["init", "s.toml", "--host", "a-Ta2O5-1a", "--species", "Cu", "--calculator", "chgnet"]
        + ["--calculator-kwargs", '{{"device": null}}'],
        "null",
    ),
    (["init", "s.toml", "--host", "a-Ta2O5-1a", "--species", "Cu"], "--calculator"),
]

if not torch.cuda.is_available():  # the same command on a GPU machine would run
    CASES += [
        (
            ["explore", "a-Ta2O5-1", "--model", "{model}", "--out", "o.json", "--device", "cuda"],
            "cuda",
        ),
        (
            ["validate-hops", "a-Ta2O5-1", "--model", "{model}", "--network", "{net}"]
            + ["--out", "v.json", "--device", "cuda"],
            "cuda",
        ),
        (
            RH + ["{net}", "--out", "v.json", "--device", "cuda"],
            "cuda",
        ),
    ]


def _assert_one_line_refusal(code: int, err: str, expected: str) -> None:
    lines = err.splitlines()
    assert code == 2, err
    assert len(lines) == 1 and lines[0].strip(), err
    assert lines[0].startswith("error: "), err
    assert "Traceback" not in err
    assert expected in lines[0], f"{expected!r} not in {lines[0]!r}"


@pytest.mark.parametrize(("argv", "expected"), CASES, ids=[" ".join(a)[:60] for a, _ in CASES])
def test_bad_input_is_one_line_and_writes_nothing(capsys, tmp_path, files, argv, expected):
    argv = [a.format(**files) for a in argv]
    expected = expected.format(**files)
    before = _snapshot(tmp_path)
    code, _, err = _run(capsys, argv)
    _assert_one_line_refusal(code, err, expected)
    assert _snapshot(tmp_path) == before


STUDY = """
[study]
out = "{out}"
species = "{species}"
{execution}
[[samples]]
source = "a-Ta2O5-1a"
[reference]
db = "{db}"
points = {points}
[nnp]
force_weight = {force_weight}
precision = "{precision}"
batch_size = {batch_size}
lbfgs_steps = {lbfgs_steps}
[hops]
n_images = {n_images}
{compare}
"""
GOOD = {
    "out": "results",
    "species": "Cu",
    "db": "bundled",
    "points": "0",
    "force_weight": "0.0",
    "precision": "float32",
    "batch_size": "64",
    "lbfgs_steps": "200",
    "n_images": "9",
    "compare": "",
    "execution": "",
}

#: a [compare] section: the measured Eₐ (eV) and its source, then one more line
_COMPARE = '[compare]\nEa_eV = 0.23\ncitation = "src"\n'

STUDY_CASES: list[tuple[dict[str, str], str]] = [
    ({"compare": '[compare]\nEa_eV = nan\ncitation = "src"'}, "compare.Ea_eV"),
    ({"compare": '[compare]\nEa_eV = "0.23"\ncitation = "src"'}, "compare.Ea_eV"),
    ({"compare": '[compare]\nEa_err_eV = 0.01\ncitation = "src"'}, "compare.Ea_eV"),
    ({"compare": "[compare]\nEa_eV = 0.23"}, "compare.citation"),
    ({"compare": _COMPARE + "Ea_err_eV = -0.01"}, "compare.Ea_err_eV"),
    ({"compare": _COMPARE + "D0_cm2_s = 0.0"}, "compare.D0_cm2_s"),
    ({"compare": _COMPARE + "temperatures = [600.0, 300.0]"}, "compare.temperatures"),
    ({"compare": _COMPARE + "temperatures = [300.0, inf]"}, "compare.temperatures[1]"),
    ({"compare": _COMPARE + 'source = "x"'}, "compare.source"),
    # where the per-sample stages run (landscape.study.persample)
    ({"execution": "workers = 0"}, "study.workers must be a finite number >= 1, got 0"),
    ({"execution": "workers = 1.5"}, "'study.workers' must be an integer"),
    (
        {"execution": 'scheduler = "tcp://127.0.0.1:8786"\ncluster = {{type = "local"}}'},
        "study.scheduler and study.cluster are both given",
    ),
    ({"execution": 'cluster = {{type = "kubernetes"}}'}, "study.cluster.type 'kubernetes'"),
    ({"execution": "cluster = {{jobs = 2}}"}, "study.cluster.type ''"),
    ({"execution": "scheduler = 8786"}, "'study.scheduler' must be a string"),
    ({"force_weight": "nan"}, "nnp.force_weight"),
    ({"force_weight": "-1.0"}, "nnp.force_weight"),
    ({"n_images": "1"}, "hops.n_images"),
    ({"precision": "half"}, "nnp.precision"),
    ({"batch_size": "0"}, "nnp.batch_size"),
    ({"lbfgs_steps": "-1"}, "nnp.lbfgs_steps >= 0"),
    ({"lbfgs_steps": "2.5"}, "'nnp.lbfgs_steps' must be an integer"),
    ({"species": INJECTION.replace("'", "")}, "study.species"),
    ({"species": "Xx"}, "'Xx'"),
    ({"out": "{under}"}, "study.out"),
    ({"out": "{afile}"}, "{afile}"),
    ({"db": "{foreign}"}, "reference.db"),
    ({"db": "{random}"}, "{random}"),
    ({"db": "{truncated}"}, "{truncated}"),
    ({"db": "{empty}"}, "{empty}"),
    # points of CHGNet into a database of another method's energies: refused before any copy
    ({"db": "{vasp}", "points": "5"}, "{vasp}' holds energies of 'vasp pbe'"),
]


@pytest.mark.parametrize(("change", "expected"), STUDY_CASES, ids=[str(c) for c, _ in STUDY_CASES])
def test_bad_study_file_is_one_line_and_writes_nothing(capsys, tmp_path, files, change, expected):
    values = {k: v.format(**files) for k, v in (GOOD | change).items()}
    study = tmp_path / "study.toml"
    study.write_text(STUDY.format(**values))
    before = _snapshot(tmp_path)
    code, _, err = _run(capsys, ["study", str(study), "--no-store", "--quiet"])
    _assert_one_line_refusal(code, err, expected.format(**files))
    assert _snapshot(tmp_path) == before


def test_study_file_of_random_bytes_is_one_line(capsys, tmp_path, files):
    code, _, err = _run(capsys, ["study", files["random"]])
    _assert_one_line_refusal(code, err, files["random"])


def test_reference_info_reads_a_good_database_without_writing_it(capsys, tmp_path, files):
    db = tmp_path / "copy.db"
    db.write_bytes(
        Path(bundled_reference_db()).with_name("chgnet-cu-a-Ta2O5-fullrelax.db").read_bytes()
    )
    os.chmod(db, 0o444)  # read-only: reading must not need to write (as root: bytes compared)
    before = _snapshot(tmp_path)
    code, out, err = _run(capsys, ["reference", "info", str(db)])
    assert code == 0, err
    assert "a-Ta2O5-1: 301 points" in out
    assert _snapshot(tmp_path) == before


def test_unknown_malloc_choice_is_one_line_and_writes_nothing(capsys, tmp_path, files, monkeypatch):
    """``LANDSCAPE_MALLOC`` other than ``tuned``/``default``: refused before any command runs."""
    for name in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANDSCAPE_MALLOC", "fast")
    before = _snapshot(tmp_path)
    code, _, err = _run(capsys, ["explore", "a-Ta2O5-1a", "--model", "m", "--out", "n.json"])
    _assert_one_line_refusal(code, err, "LANDSCAPE_MALLOC='fast'; expected 'tuned'")
    assert _snapshot(tmp_path) == before


def test_version_and_help_exit_0(capsys):
    from landscape import __version__

    code, out, err = _run(capsys, ["--version"])
    assert (code, out.strip(), err) == (0, f"landscape {__version__}", "")
    code, out, _ = _run(capsys, ["--help"])
    assert code == 0 and "explore" in out
    code, out, _ = _run(capsys, ["nnp", "train", "--help"])
    assert code == 0 and "--force-weight" in out
