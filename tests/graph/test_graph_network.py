"""Hop network <-> rows without a database: validation, encoding and the exact inverse."""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pytest

from landscape.errors import InputError
from landscape.graph.network import (
    decode_properties,
    encode_properties,
    hop_uid,
    network_from_rows,
    network_to_rows,
    site_uid,
)
from landscape.kinetics.synthetic import cubic_lattice_network, random_network


def edge_set(G):
    return sorted(
        (u, v, str(k), json.dumps(d, sort_keys=True))
        for u, v, k, d in G.edges(keys=True, data=True)
    )


def assert_same_network(G, H):
    assert H.graph == G.graph
    assert dict(H.nodes(data=True)) == dict(G.nodes(data=True))
    assert edge_set(H) == edge_set(G)
    assert nx.utils.graphs_equal(G, H)


def rows_round_trip(G):
    rows = network_to_rows(G)
    index = [s["index"] for s in rows.sites]
    assert index == sorted(index)
    hops = [{"i": index[r["a"]], "j": index[r["b"]], "p": r["p"]} for r in rows.hops]
    return network_from_rows({"sample_id": rows.sample_id, **rows.sample}, rows.sites, hops)


def test_rows_round_trip_synthetic():
    for G in (cubic_lattice_network(3, sample_id="c"), random_network(40, sample_id="r")):
        assert_same_network(G, rows_round_trip(G))


def test_uids_are_injective_with_slashes_in_the_sample_id():
    assert site_uid("a/1", 2) == "a/1/2"
    assert hop_uid("a/1", 2, 3, [0, -1, 1]) == "a/1/2/3/0,-1,1"
    assert hop_uid("a", 1, 2, [0, 0, 0]).rsplit("/", 2)[0] == site_uid("a", 1)


def test_encoding_native_and_json():
    enc = encode_properties(
        {
            "f": np.float64(1.5),
            "i": np.int64(3),
            "b": np.bool_(True),
            "l": np.array([1.0, 2.0]),
            "m": [[1.0, 0.0], [0.0, 1.0]],
            "mixed": [1, 2.5],
            "none": None,
            "d": {"a": [1, None]},
            "big": 2**70,
            "empty": [],
        },
        where="t",
    )
    assert enc["f"] == 1.5 and type(enc["f"]) is float
    assert enc["i"] == 3 and type(enc["i"]) is int
    assert enc["b"] is True
    assert enc["l"] == [1.0, 2.0] and enc["empty"] == []
    for name in ("m", "mixed", "none", "d", "big"):
        assert name not in enc and isinstance(enc[name + "__json"], str)
    dec = decode_properties(enc)
    assert dec["m"] == [[1.0, 0.0], [0.0, 1.0]] and dec["mixed"] == [1, 2.5]
    assert dec["none"] is None and dec["d"] == {"a": [1, None]} and dec["big"] == 2**70
    assert "none" not in encode_properties({"none": None}, where="t", none_means_absent=True)
    with pytest.raises(InputError, match="reserved suffix"):
        encode_properties({"x__json": 1}, where="t")
    with pytest.raises(InputError, match="cannot be stored"):
        encode_properties({"x": object()}, where="t")


def _net():
    return cubic_lattice_network(2, sample_id="v")


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda G: G.graph.pop("cell"), "lacks graph attribute"),
        (lambda G: G.graph.pop("sample_id"), "lacks graph attribute"),
        (lambda G: G.graph.update(sample_id=""), "sample_id"),
        (lambda G: G.graph.update(energy_unit="kJ/mol"), "energy_unit"),
        (lambda G: G.graph.update(cell=[[1, 0], [0, 1]]), "3x3"),
        (lambda G: G.graph.update(n_hops=3), "reserved"),
        (lambda G: G.nodes[0].pop("position"), "site 0 has no attribute 'position'"),
        (lambda G: G.nodes[1].pop("energy"), "site 1 has no attribute 'energy'"),
        (lambda G: G.nodes[1].update(energy=float("nan")), "finite"),
        (lambda G: G.nodes[1].update(position=[0.0, 1.0]), "position of site 1 must be 3"),
        (lambda G: G.nodes[1].update(index=3), "reserved"),
        (lambda G: G.add_node("x", position=[0, 0, 0], energy=0.0), "integer site indices"),
        (lambda G: next(iter(G.edges(data=True)))[2].pop("barrier"), "has no attribute 'barrier'"),
        (lambda G: next(iter(G.edges(data=True)))[2].pop("shift"), "has no attribute 'shift'"),
        (lambda G: next(iter(G.edges(data=True)))[2].update(shift=[0.5, 0, 0]), "integers"),
        (lambda G: next(iter(G.edges(data=True)))[2].update(prefactor=-1.0), "prefactor"),
        (lambda G: next(iter(G.edges(data=True)))[2].update(uid="x"), "reserved"),
        (lambda G: next(iter(G.edges(data=True)))[2].update(barrier=None), "has barrier None"),
        # the contract of `landscape kinetics` (hop_arrays): what it refuses is not stored either
        (lambda G: next(iter(G.edges(data=True)))[2].update(barrier=-0.1), "barrier -0.1 eV"),
        (lambda G: G.remove_edges_from(list(G.edges(keys=True))), "no hops"),
        (lambda G: G.remove_nodes_from(list(G.nodes)), "empty"),
        (lambda G: next(iter(G.edges(data=True)))[2].update(saddle=[0.0, np.nan, 0.0]), "finite"),
        (lambda G: next(iter(G.edges(data=True)))[2].update(saddle=[1.0, 2.0]), "3 numbers"),
        (lambda G: next(iter(G.edges(data=True)))[2].update(profile=[0.0, np.inf]), "finite"),
        (lambda G: next(iter(G.edges(data=True)))[2].update(length="far"), "length must be"),
    ],
)
def test_bad_networks_are_refused_with_one_line(mutate, message):
    G = _net()
    mutate(G)
    with pytest.raises(InputError, match=message) as err:
        network_to_rows(G)
    assert "\n" not in str(err.value)


def test_conversion_leaves_the_garbage_collector_as_it_found_it():
    """network_to_rows pauses Python's cyclic collector (speed); it must restore it, also on errors."""
    import gc

    G = _net()
    assert gc.isenabled()
    network_to_rows(G)
    assert gc.isenabled()
    next(iter(G.edges(data=True)))[2].pop("barrier")
    with pytest.raises(InputError):
        network_to_rows(G)
    assert gc.isenabled()
    gc.disable()
    try:
        network_to_rows(_net())
        assert not gc.isenabled()  # a caller's choice is kept
    finally:
        gc.enable()


def test_duplicate_hop_and_wrong_graph_type():
    G = _net()
    u, v, d = next(iter(G.edges(data=True)))
    G.add_edge(u, v, **d)  # same i, j and shift again
    with pytest.raises(InputError, match="one edge per direction"):
        network_to_rows(G)
    with pytest.raises(InputError, match="MultiDiGraph"):
        network_to_rows(nx.DiGraph(_net()))


def test_numpy_inputs_are_accepted_and_come_back_as_lists():
    G = _net()
    G.graph["cell"] = np.eye(3) * 4.0
    for _, d in G.nodes(data=True):
        d["position"] = np.asarray(d["position"])
        d["energy"] = np.float64(d["energy"])
    for _, _, d in G.edges(data=True):
        d["shift"] = np.asarray(d["shift"], dtype=np.int64)
        d["saddle"] = np.asarray([0.5, 1, 2])  # an array with an integer: the general path
        d["profile"] = [np.float64(0.0), 0.25, np.float32(0.5)]
        d["length"] = np.float64(2.5)
    H = rows_round_trip(G)
    for _, _, d in H.edges(data=True):
        assert d["saddle"] == [0.5, 1.0, 2.0] and type(d["saddle"][1]) is float
        assert d["profile"] == [0.0, 0.25, 0.5] and all(type(x) is float for x in d["profile"])
        assert d["length"] == 2.5 and type(d["length"]) is float
    assert H.graph["cell"] == (np.eye(3) * 4.0).tolist()
    assert all(isinstance(d["position"], list) for _, d in H.nodes(data=True))
    assert all(type(d["shift"][0]) is int for _, _, d in H.edges(data=True))
