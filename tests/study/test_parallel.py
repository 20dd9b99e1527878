"""The per-sample stages of a study in local processes and on a Dask cluster give what the serial
study gives (landscape.study.persample).

Two small Morse hosts (tests/helpers/morse.py), one NNP trained once: the same study is run one
sample after another in this process, in 2 local processes (``[study] workers = 2``) and on a
2-worker ``dask.distributed.LocalCluster`` (``[study] cluster = {type = "local", jobs = 2}``), each
in its own results folder, with the model of the serial run loaded by the others (so every
difference is the execution's). Networks, kinetics, the ensemble's spread and the validated
barriers must be identical, and each cache file is written once, by the driver. Bad settings
of ``[study]`` are in the bad-input corpus (tests/bad_input/test_bad_input_cli.py).
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import ase.io
import pytest

from landscape.study import load_study, run_study
from tests.helpers.morse import random_host, write_morse_db

STUDY = """
[study]
name = "parallel"
out = "{out}"
seed = 3
{where}

[[samples]]
source = "host-a.extxyz"

[[samples]]
source = "host-b.extxyz"

[reference]
db = "ref.db"
calculator = "tests.helpers.morse:RigidHostMorse"
min_distance = 1.5

[nnp]
{model}
n_models = 2
hidden = [12, 12]
max_epochs = 120
max_host_displacement = 0.5

[sites]
grid_spacing = 0.5

[hops]
max_distance = 3.0
n_images = 5
fmax = 0.05

[kinetics]
temperatures = [500.0, 650.0, 800.0]
walkers = 100
kmc_steps = 300

[validate]
hops = 2
samples = ["host-b"]
"""


@pytest.fixture(scope="module")
def study_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("parallel")
    hosts = []
    for name, seed in (("host-a", 11), ("host-b", 12)):
        host = random_host(seed, n_ta=4, n_o=10, length=7.0)
        host.info["sample_id"] = name
        ase.io.write(d / f"{name}.extxyz", host)
        hosts.append(host)
    write_morse_db(
        d / "ref.db", hosts, [200, 200], seed=4, calculator="tests.helpers.morse:RigidHostMorse"
    )
    return d


def _run(d: Path, out: str, where: str = "", model: str = ""):
    (d / f"{out}.toml").write_text(STUDY.format(out=out, where=where, model=model))
    t0 = time.perf_counter()
    result = run_study(load_study(d / f"{out}.toml"), progress=False, store=False)
    return result, time.perf_counter() - t0


@pytest.fixture(scope="module")
def serial(study_dir):
    result, seconds = _run(study_dir, "serial")
    (model,) = (study_dir / "serial" / "cache").glob("nnp-*.json")
    return result, seconds, f'model = "{model.with_suffix("")}"'


def _comparable(result) -> dict:
    """Everything per sample that the execution could change: the summary's samples and the
    network files, less the wall seconds of the hop search (``graph.search.seconds``)."""
    networks = {}
    for sid in result.networks:
        data = json.loads((result.out_dir / "networks" / f"{sid}.json").read_text())
        assert data["graph"]["search"].pop("seconds")  # present, then left out
        networks[sid] = data
    return {"samples": json.loads(json.dumps(result.summary["samples"])), "networks": networks}


def _cache_files(result) -> list[str]:
    return sorted(
        p.name
        for p in (result.out_dir / "cache").iterdir()
        if p.name.startswith(("network-", "kinetics-", "validation-"))
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    "where",
    ["workers = 2", 'cluster = {type = "local", jobs = 2}'],
    ids=["local-processes", "dask-localcluster"],
)
def test_parallel_study_is_identical_to_the_serial_one(study_dir, serial, where):
    serial_result, serial_s, model = serial
    # the serial run again on the loaded model, so that both sides load the same file
    reference, _ = _run(study_dir, "serial-loaded", model=model)
    out = "dask" if "cluster" in where else "processes"
    shutil.rmtree(study_dir / out, ignore_errors=True)
    result, seconds = _run(study_dir, out, where=where, model=model)
    assert _comparable(result) == _comparable(reference)
    assert list(result.networks) == ["host-a", "host-b"]  # study order, whatever finished first
    assert result.summary["samples"][1]["validated_hops"] == 2
    assert _cache_files(result) == _cache_files(reference)
    assert not any(result.cached[k] for k in ("explore:host-a", "kinetics:host-b"))
    # a re-run finds every per-sample stage in the cache written by the driver
    again, _ = _run(study_dir, out, where=where, model=model)
    assert all(again.cached.values()), again.cached
    assert _comparable(again) == _comparable(reference)
    print(f"\n{where}: {seconds:.1f} s, serial {serial_s:.1f} s (with training)")
