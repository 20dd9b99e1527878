"""The interactive 3D view of a hop network (:mod:`landscape.graph.view`, ``landscape db show``).

The figure is checked on a hand-made network of three sites whose colours, segments and hover
texts are known; the HTML is opened in headless Chromium (``/usr/bin/chromium``, installed by
``make install``): a screenshot must show the WebGL scene and both colour bars, the DOM must hold
the plotted graph, and Chromium's network log must show no request made by the page.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from landscape.contracts import add_hop, add_site, new_network
from landscape.errors import InputError
from landscape.graph.view import (
    HOP_COLORSCALE,
    PLOTLYJS_FILE,
    SITE_COLORSCALE,
    network_figure,
    network_host,
    stored_network_view,
    write_network_view,
)
from landscape.samples import load_sample
from tests.helpers.cli import run_cli

HOST = "a-Ta2O5-1a"
#: Chromium's flags: headless, no sandbox (root), nothing in the background, WebGL in software.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--host-resolver-rules=MAP * ~NOTFOUND",  # no name resolves: nothing can be fetched
    "--window-size=1200,900",
    "--virtual-time-budget=15000",
]


# --------------------------------------------------------------------------------------------
# networks


def three_sites() -> tuple:
    """Three sites in a cubic 6 Å cell: energies −1.0, −1.2, −0.7 eV; hop 0–1 (saddle −0.8 eV)
    inside the cell, hop 1–2 (saddle −0.6 eV) across the x boundary (2 in image [−1, 0, 0])."""
    cell = np.eye(3) * 6.0
    G = new_network(cell, sample_id="tri", species="Cu")
    for i, (x, e) in enumerate([(1.0, -1.0), (2.5, -1.2), (5.8, -0.7)]):
        add_site(G, i, [x, 1.0, 1.0], e)
    add_hop(G, 0, 1, [0, 0, 0], -0.8, saddle=[1.75, 1, 1], profile=[-1.0, -0.8, -1.2], cell=cell)
    add_hop(G, 1, 2, [-1, 0, 0], -0.6, saddle=[2.15, 1, 1], profile=[-1.2, -0.6, -0.7], cell=cell)
    return G, cell


def host_network(host, n_sites: int = 200, cutoff: float = 1.75, seed: int = 0):
    """``n_sites`` random sites in ``host``'s cell (energies −3.0 to −2.2 eV, linear in the
    fractional x), a hop between every pair closer than ``cutoff`` Å (minimum image) with a saddle
    0.1–0.6 eV above the higher site: 654 directed hops for the defaults in a-Ta2O5-1a."""
    rng = np.random.default_rng(seed)
    cell = np.asarray(host.cell, dtype=float)
    G = new_network(cell, sample_id=host.info["sample_id"], species="Cu")
    frac = rng.random((n_sites, 3))
    pos = frac @ cell
    for i in range(n_sites):
        add_site(G, i, pos[i], -3.0 + 0.8 * frac[i, 0])
    for i in range(n_sites):
        for j in range(i + 1, n_sites):
            shift = -np.round(frac[j] - frac[i])
            d = (frac[j] - frac[i] + shift) @ cell
            if np.linalg.norm(d) < cutoff:
                es = max(G.nodes[i]["energy"], G.nodes[j]["energy"]) + 0.1 + 0.5 * rng.random()
                add_hop(
                    G, i, j, shift.astype(int), es, saddle=pos[i] + d / 2, profile=[0.0], cell=cell
                )
    return G


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """A 200-site network in the bundled host a-Ta2O5-1a, its host, and its view (inline JS)."""
    host = load_sample(HOST)
    G = host_network(host)
    path = write_network_view(G, tmp_path_factory.mktemp("view") / "big.html", host)
    return G, host, path


# --------------------------------------------------------------------------------------------
# the figure


def test_figure_of_a_known_network():
    G, _ = three_sites()
    fig = network_figure(G)
    cell, hops, sites = fig.data  # no host given
    assert cell.name == "cell" and np.isnan(np.asarray(cell.x, dtype=float)).sum() == 12
    # sites: energy above the lowest site (site 1, -1.2 eV)
    np.testing.assert_allclose(np.asarray(sites.marker.color), [0.2, 0.0, 0.5], atol=1e-12)
    assert (sites.marker.cmin, sites.marker.cmax) == (0.0, pytest.approx(0.5, abs=1e-12))
    assert "site 2<br>E − E<sub>min</sub> = 0.500 eV<br>E = -0.7000 eV" in sites.hovertext[2]
    assert sites.hovertext[1].endswith("uid tri/1")
    # one line per pair, from the lower site (1) to the other's image: 1 -> 0 and 1 -> 2 [-1,0,0]
    xyz = np.column_stack([np.asarray(hops[c], dtype=float) for c in "xyz"])
    expected = [[2.5, 1, 1], [1.75, 1, 1], [1.0, 1, 1], [np.nan] * 3]
    expected += [[2.5, 1, 1], [1.15, 1, 1], [-0.2, 1, 1], [np.nan] * 3]
    np.testing.assert_allclose(xyz, expected, atol=1e-12)
    np.testing.assert_allclose(np.asarray(hops.line.color), [0.4] * 4 + [0.6] * 4, atol=1e-12)
    assert (hops.line.cmin, hops.line.cmax) == (pytest.approx(0.4), pytest.approx(0.6))
    assert hops.hovertext[5] == (
        "hop 1 → 2 (image [-1, 0, 0])<br>barrier 0.600 eV (back 2 → 1: 0.100 eV)"
        "<br>uid tri/1/2/-1,0,0"
    )
    assert (
        "hop 1 → 0 (image [0, 0, 0])<br>barrier 0.400 eV (back 0 → 1: 0.200 eV)"
        in (hops.hovertext[0])
    )
    assert fig.layout.meta == {"sample_id": "tri", "n_sites": 3, "n_hops": 4, "n_pairs": 2}
    assert fig.layout.title.text == "tri (Cu): 3 sites, 4 hops (2 pairs)"


def test_colour_scales_are_the_named_ones():
    from plotly.colors import get_colorscale

    G, _ = three_sites()
    *_, hops, sites = network_figure(G).data
    for drawn, name in (
        (sites.marker.colorscale, SITE_COLORSCALE),
        (hops.line.colorscale, HOP_COLORSCALE),
    ):
        named = get_colorscale(name)
        assert [c for _, c in drawn] == [c for _, c in named]
        np.testing.assert_allclose([x for x, _ in drawn], [x for x, _ in named], atol=1e-12)


def test_host_atoms_by_element_and_a_host_in_another_cell_is_refused():
    from ase import Atoms

    G, cell = three_sites()
    host = Atoms("TaO2", positions=[[3, 3, 3], [4, 3, 3], [7.5, 3, 3]], cell=cell, pbc=True)
    host.info["sample_id"] = "tri"
    fig = network_figure(G, host)
    o, ta = fig.data[1], fig.data[2]
    assert (o.name, ta.name) == ("O (2 host atoms)", "Ta (1 host atoms)")
    assert o.marker.color == "rgb(255,13,13)" and ta.marker.color == "rgb(77,166,255)"
    np.testing.assert_allclose(np.asarray(o.x, dtype=float), [4.0, 1.5])  # wrapped into the cell
    other = Atoms("Ta", positions=[[1, 1, 1]], cell=np.eye(3) * 6.01, pbc=True)
    with pytest.raises(InputError, match=r"cell .* expected the host the network was found in"):
        network_figure(G, other)
    with pytest.raises(InputError, match="ase.Atoms"):
        network_figure(G, "a-Ta2O5-1a")


def test_network_host_order(tmp_path):
    from landscape.samples import bundled_sample_path

    bundled = network_host(HOST)
    assert bundled.info["sample_id"] == HOST and len(bundled) == 98
    stored = network_host("x", {"source": str(bundled_sample_path(HOST))})
    np.testing.assert_allclose(stored.positions, bundled.positions, atol=0)
    given = network_host(HOST, {"source": "/no/such/file.extxyz"}, "a-Ta2O5-2a")
    assert given.info["sample_id"] == "a-Ta2O5-2a"
    with pytest.raises(InputError, match=r"no host structure for sample 'x'.*--host FILE"):
        network_host("x", {"source": "/no/such/file.extxyz"})
    with pytest.raises(InputError, match="no source is stored"):
        network_host("x", {})
    with pytest.raises(InputError, match="missing.extxyz"):
        network_host(HOST, None, tmp_path / "missing.extxyz")


# --------------------------------------------------------------------------------------------
# the HTML file


class _Page(HTMLParser):
    """Tags with their attributes, and the text outside scripts and styles."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style")

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.text.append(data.strip())


def _parse(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    return page


def _remote_references(page: _Page) -> list[str]:
    """``src``/``href``/... values of the page's tags that would load something from a network."""
    out = []
    for _tag, attrs in page.tags:
        for name in ("src", "href", "data", "srcset", "poster", "action"):
            value = (attrs.get(name) or "").strip().lower()
            if value.startswith(("http:", "https:", "//", "ftp:", "ws:", "wss:")):
                out.append(value)
    return out


def test_inline_page_is_self_contained_and_of_reasonable_size(big):
    from plotly.offline import get_plotlyjs

    G, _, path = big
    assert 500 <= G.number_of_edges() <= 800 and G.number_of_nodes() == 200
    text = path.read_text()
    page = _parse(text)
    assert _remote_references(page) == []
    assert not [a for t, a in page.tags if t == "script" and a.get("src")]  # all JS inline
    assert get_plotlyjs()[:2000] in text
    div = [a for t, a in page.tags if t == "div" and "plotly-graph-div" in a.get("class", "")]
    assert [a["id"] for a in div] == ["landscape-network-big"]
    own = path.stat().st_size - len(get_plotlyjs().encode())
    assert 20_000 < own < 400_000, own  # measured: ~0.26 MB for 200 sites and 654 hops
    assert not list(path.parent.glob(".*.tmp"))


def test_directory_pages_share_one_plotlyjs(tmp_path):
    from plotly.offline import get_plotlyjs

    G, _ = three_sites()
    a = write_network_view(G, tmp_path / "a.html", plotlyjs="directory")
    b, fig = write_network_view(G, tmp_path / "b.html", plotlyjs="directory", return_figure=True)
    assert fig.layout.meta["n_pairs"] == 2
    for p in (a, b):
        scripts = [x["src"] for t, x in _parse(p.read_text()).tags if t == "script" and "src" in x]
        assert scripts == [PLOTLYJS_FILE]
        assert p.stat().st_size < 50_000
    assert (tmp_path / PLOTLYJS_FILE).read_text() == get_plotlyjs()
    assert sorted(x.name for x in tmp_path.iterdir()) == ["a.html", "b.html", PLOTLYJS_FILE]


def test_bad_arguments_write_nothing(tmp_path):
    G, _ = three_sites()
    with pytest.raises(InputError, match="plotlyjs"):
        write_network_view(G, tmp_path / "v.html", plotlyjs="cdn")
    (tmp_path / "afile").write_text("x")
    with pytest.raises(InputError, match="afile"):
        write_network_view(G, tmp_path / "afile" / "v.html")
    G.nodes[0]["energy"] = float("nan")
    with pytest.raises(InputError):
        write_network_view(G, tmp_path / "v.html")
    assert sorted(x.name for x in tmp_path.iterdir()) == ["afile"]


def test_report_links_the_view_of_each_sample(tmp_path):
    from landscape.study.report import Figure, network_view, write_report

    host = load_sample(HOST)
    G = host_network(host, n_sites=30, cutoff=3.0)
    view = network_view(G, tmp_path / "figures" / f"network-{HOST}.html", sample_id=HOST)
    assert (tmp_path / "figures" / PLOTLYJS_FILE).is_file()
    assert "Ta (28 host atoms)" in view.read_text()  # the bundled host found by name, drawn
    G2, _ = three_sites()
    bare = network_view(G2, tmp_path / "figures" / "network-tri.html", host, sample_id="tri")
    assert "host atoms" not in bare.read_text()  # a host in another cell is left out
    fig = Figure("figures/network-x.png", "x: sites", "Hop networks", link=view.name)
    index = write_report(tmp_path, {"samples": []}, [fig]).read_text()
    assert f"<a href='{view.name}'><img src='figures/network-x.png'" in index
    assert f"(<a href='{view.name}'>interactive 3D view</a>)" in index


# --------------------------------------------------------------------------------------------
# in headless Chromium


def _chromium() -> str:
    exe = shutil.which("chromium")
    if exe is None and Path("/usr/bin/chromium").exists():
        exe = "/usr/bin/chromium"
    if exe is None:
        pytest.fail(
            "headless Chromium is missing (no `chromium` on PATH or at /usr/bin/chromium); "
            "run `make install` (scripts/install_debian.sh installs Debian's chromium)"
        )
    return exe


def _run_chromium(tmp_path: Path, page: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    cmd = [_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stderr[-2000:]
    return out


def _near(image: np.ndarray, colours: np.ndarray, tol: float) -> int:
    """How many pixels of ``image`` (h, w, 3) lie within ``tol`` (max over the channels) of any of
    ``colours`` (white background pixels left out first)."""
    px = image.reshape(-1, 3)
    px = px[np.abs(px - 255).max(axis=1) > 8]
    d = np.abs(px[:, None, :] - colours[None]).max(axis=-1)
    return int((d.min(axis=-1) <= tol).sum())


def _scale(name: str, n: int = 64) -> np.ndarray:
    from plotly.colors import get_colorscale, sample_colorscale

    rgb = sample_colorscale(get_colorscale(name), list(np.linspace(0, 1, n)), colortype="tuple")
    rgb = np.asarray(rgb, dtype=float)
    return rgb * 255 if rgb.max() <= 1 else rgb


def test_chromium_screenshot_shows_the_scene_and_both_colour_bars(big, tmp_path):
    from PIL import Image

    _, _, path = big
    shot = tmp_path / "shot.png"
    _run_chromium(tmp_path, path, f"--screenshot={shot}")
    img = np.asarray(Image.open(shot).convert("RGB"), dtype=float)
    assert img.shape == (900, 1200, 3)
    assert (np.abs(img - 255).sum(axis=-1) > 30).mean() > 0.03  # not a blank page
    split = int(0.7 * img.shape[1])  # the scene left, the colour bars right
    scene, bars = img[:, :split], img[:, split:]
    for name in (SITE_COLORSCALE, HOP_COLORSCALE):
        # the sites (Viridis) and hops (Plasma) drawn by WebGL: none without a WebGL scene
        assert _near(scene, _scale(name), 20) > 1000, name
        lo, hi = _scale(name, 2)
        assert _near(bars, lo[None], 12) > 50, f"{name}: no low end in the colour bar"
        assert _near(bars, hi[None], 12) > 50, f"{name}: no high end in the colour bar"


def _page_requests(netlog: Path) -> list[str]:
    """URLs that the page (not the browser itself) asked for, from Chromium's network log."""
    log = json.loads(netlog.read_text())
    types = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    urls = []
    for e in log["events"]:
        p = e.get("params") or {}
        if types.get(e["type"]) == "URL_REQUEST_START_JOB" and "url" in p:
            if p.get("initiator") != "not an origin":  # the browser's own requests
                urls.append(p["url"])
    return [u for u in urls if not u.startswith(("file:", "data:", "blob:", "about:"))]


def test_chromium_dom_holds_the_plot_and_the_page_requests_nothing(tmp_path):
    host = load_sample(HOST)
    G = host_network(host, n_sites=60, cutoff=2.5)
    page = write_network_view(G, tmp_path / "site" / "view.html", host, plotlyjs="directory")
    out = _run_chromium(tmp_path, page, "--dump-dom", f"--log-net-log={tmp_path / 'net.json'}")
    dom = _parse(out.stdout)
    cls = [a.get("class", "") for _, a in dom.tags]
    graph = [a for t, a in dom.tags if t == "div" and a.get("id") == "landscape-network-view"]
    assert graph and "js-plotly-plot" in graph[0]["class"]  # plotly drew into the div
    assert any(t == "canvas" for t, _ in dom.tags)  # the WebGL scene
    assert sum("cbfill" in c.split() for c in cls) == 2  # two colour bars
    assert {"barrier (eV)", "site energy − lowest (eV)"} <= set(dom.text)
    pairs = G.number_of_edges() // 2
    legend = {"cell", "O (70 host atoms)", "Ta (28 host atoms)", f"hops ({pairs} pairs)"}
    assert legend | {"sites (60)"} <= set(dom.text)
    assert not [t for t in dom.text if "WebGL is not supported" in t]
    assert _page_requests(tmp_path / "net.json") == []
    # the same log shows what a page that loads from the network asks for
    control = tmp_path / "control.html"
    control.write_text(
        "<html><body><img src='https://example.com/x.png'>"
        "<script src='http://example.org/a.js'></script></body></html>"
    )
    assert _remote_references(_parse(control.read_text())) == [
        "https://example.com/x.png",
        "http://example.org/a.js",
    ]
    _run_chromium(tmp_path, control, "--dump-dom", f"--log-net-log={tmp_path / 'control.json'}")
    assert sorted(set(_page_requests(tmp_path / "control.json"))) == [
        "http://example.org/a.js",
        "https://example.com/x.png",
    ]


# --------------------------------------------------------------------------------------------
# landscape db show


@pytest.mark.service
def test_db_show_draws_a_stored_network_with_its_host(
    capsys, tmp_path, graph_store, graph_data_dir, new_sample_id
):
    host = load_sample(HOST)
    sid = new_sample_id("show")
    G = host_network(host, n_sites=40, cutoff=2.5)
    G.graph["sample_id"] = sid
    graph_store.upsert_network(G)
    tail = [] if graph_data_dir is None else ["--data-dir", str(graph_data_dir)]
    out = tmp_path / "show.html"
    code, stdout, err = run_cli(capsys, ["db", "show", sid, "--out", out, "--host", HOST, *tail])
    assert code == 0, err
    n_hops = G.number_of_edges()
    assert stdout.startswith(
        f"{sid}: 40 sites, {n_hops} hops ({n_hops // 2} pairs) on host {HOST} written to {out} ("
    )
    page = _parse(out.read_text())
    assert _remote_references(page) == []
    assert "landscape-network-show" in [a.get("id") for t, a in page.tags if t == "div"]
    # without --host: the file the Sample node names as its source
    from landscape.samples import bundled_sample_path

    graph_store.upsert_sample(sid, source=str(bundled_sample_path(HOST)))
    fig = stored_network_view(graph_store, sid)
    assert fig.layout.meta["host"] == HOST
    assert [t.name for t in fig.data[1:3]] == ["O (70 host atoms)", "Ta (28 host atoms)"]
    energy = np.array([G.nodes[i]["energy"] for i in sorted(G.nodes)])
    np.testing.assert_allclose(np.asarray(fig.data[-1].marker.color), energy - energy.min())
