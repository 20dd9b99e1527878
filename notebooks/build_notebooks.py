"""Write the notebooks of this folder from the cell sources below (run: python notebooks/build_notebooks.py).

Keeping the sources here keeps the .ipynb files reviewable: they are regenerated, never hand-edited.
Both notebooks read hop networks from ``$LANDSCAPE_NETWORKS`` (a folder of node-link JSON files, e.g.
``results/networks`` after ``make demo``) or, when unset, make synthetic amorphous-like networks, and
use the graph store of ``$LANDSCAPE_DATA`` (the embedded database) or ``$LANDSCAPE_NEO4J_URI``.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent

LOAD = """import os, pathlib
import numpy as np
import pandas as pd
import networkx as nx
import matplotlib.pyplot as plt
from IPython.display import display
from landscape.graph import open_store
from landscape.kinetics import load_network, percolation_barrier, kinetics_summary
from landscape.kinetics.synthetic import random_network

src = os.environ.get("LANDSCAPE_NETWORKS")
if src:
    networks = [load_network(p) for p in sorted(pathlib.Path(src).glob("*.json"))]
else:
    networks = [
        random_network(250, max_distance=3.4, random_state=seed, sample_id=f"synthetic-{seed}",
                       base_barrier=0.2 + 0.05 * seed)
        for seed in (1, 2, 3)
    ]
assert networks, "no hop networks found"
store = open_store()
for G in networks:
    store.upsert_sample(G.graph["sample_id"], material="a-Ta2O5" if src else "synthetic")
    store.upsert_network(G)
print([(G.graph["sample_id"], G.number_of_nodes(), G.number_of_edges()) for G in networks])"""

EXPLORE = [
    (
        "md",
        "# Exploring one diffusion network with Cypher\n\n"
        "The sites and hops of one sample live in the graph database as `(:Site)-[:HOP]->(:Site)`. "
        "Every query below is a named file in `cypher/`, run through `GraphStore.query(name, **params)` "
        "with `$parameters` only. Energies in eV, lengths in Å.",
    ),
    ("code", LOAD + '\nG = networks[0]\nsid = G.graph["sample_id"]\nsid'),
    (
        "md",
        "## Summary of the sample\n`cypher/sample_summary.cypher`: site and hop counts, barrier spread.",
    ),
    (
        "code",
        """summary = store.query("sample_summary", sample_id=sid)
display(pd.DataFrame(summary))
barriers = np.array([d["barrier"] for *_, d in G.edges(data=True)])
row = summary[0]
assert row["n_sites"] == G.number_of_nodes() and row["n_hops"] == G.number_of_edges()
assert np.isclose(row["barrier_median"], np.median(barriers), atol=1e-9)
assert np.isclose(row["barrier_min"], barriers.min()) and np.isclose(row["barrier_max"], barriers.max())""",
    ),
    (
        "md",
        "## Barrier histogram\n`cypher/barrier_histogram.cypher` bins the barriers in the database.",
    ),
    (
        "code",
        """hist = pd.DataFrame(store.query("barrier_histogram", sample_id=sid, bin_width=0.05))
fig, ax = plt.subplots(figsize=(6, 3))
ax.bar(hist["lower"], hist["count"], width=0.05, align="edge", color="#4477aa", edgecolor="white")
ax.set_xlabel("barrier (eV)"); ax.set_ylabel("directed hops"); ax.set_title(sid)
plt.show()
assert hist["count"].sum() == G.number_of_edges()
expected = np.bincount(np.floor(barriers / 0.05).astype(int))
assert all(expected[b] == c for b, c in zip(hist["bin"], hist["count"]))""",
    ),
    ("md", "## The easiest hops\n`cypher/lowest_barrier_hops.cypher`."),
    (
        "code",
        """low = pd.DataFrame(store.query("lowest_barrier_hops", sample_id=sid, limit=10))
display(low)
assert np.allclose(low["barrier"], np.sort(barriers)[:10])""",
    ),
    (
        "md",
        "## Neighbourhood of a site\n`cypher/site_neighbourhood.cypher`: the sites within k hops, "
        "checked against networkx's breadth-first search.",
    ),
    (
        "code",
        """near = pd.DataFrame(store.query("site_neighbourhood", sample_id=sid, index=0, k=2))
display(near.groupby("distance").size().rename("sites"))
bfs = nx.single_source_shortest_path_length(nx.DiGraph(G), 0, cutoff=2)
assert dict(zip(near["index"], near["distance"])) == bfs""",
    ),
    (
        "md",
        "## The sub-network below the percolation threshold\n"
        "`landscape.kinetics.percolation_barrier` finds the lowest saddle energy E* at which hops wrap "
        "the periodic cell; `cypher/hops_below.cypher` returns the hops under a saddle energy. "
        "At E* the sub-network wraps, just below it does not.",
    ),
    (
        "code",
        """perc = percolation_barrier(G)
e_min = min(e for _, e in G.nodes(data="energy"))
e_star = e_min + perc.as_dict()["any"]
print(f"percolation barrier {perc.as_dict()['any']:.3f} eV; saddle energy E* = {e_star:.3f} eV")

def sub_network(rows):
    H = nx.MultiDiGraph(**G.graph)
    H.add_nodes_from(G.nodes(data=True))
    for r in rows:
        H.add_edge(r["source"], r["target"], barrier=r["barrier"], shift=r["shift"], prefactor=1e13)
    return H

# hops_below takes the saddle energy above the sample's lowest site: the percolation barrier
e_perc = perc.as_dict()["any"]
at = sub_network(store.query("hops_below", sample_id=sid, max_energy=e_perc + 1e-9))
below = sub_network(store.query("hops_below", sample_id=sid, max_energy=e_perc - 1e-6))
print(at.number_of_edges(), "hops at E*,", below.number_of_edges(), "just below")
assert percolation_barrier(at).as_dict()["any"] is not None
assert below.number_of_edges() < at.number_of_edges()
assert below.number_of_edges() == 0 or percolation_barrier(below).as_dict()["any"] is None""",
    ),
    ("md", "## Round trip\nThe network read back from the database equals the one written."),
    (
        "code",
        """back = store.hop_network(sid)
assert back.number_of_nodes() == G.number_of_nodes() and back.number_of_edges() == G.number_of_edges()
assert sorted(d["barrier"] for *_, d in back.edges(data=True)) == sorted(barriers.tolist())
store.close()""",
    ),
]

COMPARE = [
    (
        "md",
        "# Comparing samples\n\nEach sample's hop network goes into the graph store, its kinetics "
        "(exact diffusion coefficient, percolation barrier, Arrhenius fit) are computed from the network "
        "and stored as a `(:Kinetics)` result; `cypher/compare_samples.cypher` then returns one row per "
        "sample. D in cm²/s, energies in eV, T in K.",
    ),
    ("code", LOAD),
    (
        "code",
        """temperatures = [500.0, 600.0, 700.0, 800.0]
results = {}
for G in networks:
    sid = G.graph["sample_id"]
    k = kinetics_summary(G, temperatures=temperatures, methods=("exact",))
    results[sid] = k
    store.upsert_result(sid, "kinetics", temperatures=temperatures, D_exact=k["D_cm2_s"]["exact"],
                        Ea_exact=k["Ea_eV"]["exact"], percolation_barrier=k["percolation_barrier_eV"]["any"])
ids = sorted(results)
rows = store.query("compare_samples", sample_ids=ids)
table = pd.DataFrame([{
    "sample": r["sample_id"], "sites": r["n_sites"], "hops": r["n_hops"],
    "median barrier (eV)": r["barrier_median"],
    "Ea exact (eV)": r["kinetics"][0]["Ea_exact"] if r["kinetics"] else None,
    "percolation barrier (eV)": r["kinetics"][0]["percolation_barrier"] if r["kinetics"] else None,
} for r in rows])
display(table)
assert [r["sample_id"] for r in rows] == ids
for r in rows:
    G = next(g for g in networks if g.graph["sample_id"] == r["sample_id"])
    assert r["n_hops"] == G.number_of_edges() and len(r["kinetics"]) == 1
    assert np.isclose(r["kinetics"][0]["Ea_exact"], results[r["sample_id"]]["Ea_eV"]["exact"])""",
    ),
    (
        "md",
        "## Arrhenius plots\nln D against 1/T: the slope is −Eₐ/k_B. A sample whose percolation "
        "barrier is higher should diffuse more slowly.",
    ),
    (
        "code",
        """fig, ax = plt.subplots(figsize=(6, 4))
inv = 1000.0 / np.array(temperatures)
for sid in ids:
    D = np.array(results[sid]["D_cm2_s"]["exact"], dtype=float)
    ax.semilogy(inv, D, "o-", label=f"{sid}: Ea {results[sid]['Ea_eV']['exact']:.2f} eV")
ax.set_xlabel("1000 / T (1/K)"); ax.set_ylabel("D (cm²/s)"); ax.legend(fontsize=8)
plt.show()
perc = np.array([results[s]["percolation_barrier_eV"]["any"] for s in ids], dtype=float)
ea = np.array([results[s]["Ea_eV"]["exact"] for s in ids], dtype=float)
print(pd.DataFrame({"sample": ids, "percolation barrier (eV)": perc, "Ea (eV)": ea}))
assert np.all(np.isfinite(ea)) and np.all(ea > 0)
store.close()""",
    ),
]


def build(cells: list[tuple[str, str]]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_markdown_cell(src) if kind == "md" else nbformat.v4.new_code_cell(src)
        for kind, src in cells
    ]
    return nb


def main() -> None:
    for name, cells in (
        ("01_explore_network.ipynb", EXPLORE),
        ("02_compare_samples.ipynb", COMPARE),
    ):
        nbformat.write(build(cells), HERE / name)


if __name__ == "__main__":
    main()
