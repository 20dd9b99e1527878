"""The notebooks run top to bottom against the embedded graph database; their cells assert what they show."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat
import pytest

NB_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NB_DIR.glob("*.ipynb"))


def test_notebooks_match_their_sources():
    spec = importlib.util.spec_from_file_location("build_notebooks", NB_DIR / "build_notebooks.py")
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    assert [p.name for p in NOTEBOOKS] == ["01_explore_network.ipynb", "02_compare_samples.ipynb"]
    for path, cells in zip(NOTEBOOKS, (builder.EXPLORE, builder.COMPARE), strict=True):
        nb = nbformat.read(path, as_version=4)
        assert [c.source for c in nb.cells] == [src for _, src in cells], (
            f"{path.name}: run build_notebooks.py"
        )


@pytest.mark.service
@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, monkeypatch, tmp_path, graph_env):
    """The kernel inherits the session's database: embedded (LANDSCAPE_DATA) or Neo4j (URI)."""
    from nbclient import NotebookClient

    monkeypatch.delenv("LANDSCAPE_NETWORKS", raising=False)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError when any cell (or its assertions) fails
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), "no figure shown"
    assert any(
        "text/html" in o.get("data", {}) or "text/plain" in o.get("data", {}) for o in outputs
    )
