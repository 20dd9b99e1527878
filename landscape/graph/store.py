"""The graph store: one code path through the official ``neo4j`` driver for ArcadeDB and Neo4j 5."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import networkx as nx

from ..config import neo4j_from_env
from ..errors import InputError, LandscapeError, StoreError
from . import embedded
from .algorithms import find_algorithm
from .network import (
    SAMPLE_RESERVED,
    NetworkRows,
    flat_cell,
    gc_paused,
    network_from_rows,
    network_to_rows,
)
from .properties import JSON_SUFFIX, decode_properties, encode_properties
from .queries import NamedQuery, load_query

__all__ = ["GraphStore", "open_store", "RESULT_KINDS", "DEFAULT_BATCH_SIZE"]

#: Result kinds of :meth:`GraphStore.upsert_result` -> (node label, named query that writes one).
RESULT_KINDS: dict[str, tuple[str, str]] = {"kinetics": ("Kinetics", "upsert_kinetics")}
#: Rows per UNWIND statement when writing a network.
DEFAULT_BATCH_SIZE = 5000
#: Seconds to wait for a TCP connection to the database.
CONNECT_TIMEOUT = 10.0


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "message", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _check_id(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{what} must be a non-empty string, got {value!r}")
    return value


def _decode_value(v: Any) -> Any:
    if isinstance(v, dict):
        if any(isinstance(k, str) and k.endswith(JSON_SUFFIX) for k in v):
            return decode_properties(v)
        return v
    if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
        return [_decode_value(x) for x in v]
    return v


def _merge_props(props: Mapping[str, Any], where: str, reserved: frozenset[str]) -> dict[str, Any]:
    """Properties for ``SET n += $props``: ``None`` removes a property, whichever its encoding."""
    bad = sorted(set(props) & reserved)
    if bad:
        raise InputError(
            f"{where}: propert{'y' if len(bad) == 1 else 'ies'} {bad} reserved by the graph store"
        )
    out: dict[str, Any] = {}
    for name, value in props.items():
        if value is None:
            out[name] = None
            out[name + JSON_SUFFIX] = None
    out.update(_with_counterparts(encode_properties(props, where=where, none_means_absent=True)))
    return out


def _with_counterparts(encoded: Mapping[str, Any]) -> dict[str, Any]:
    """``encoded`` plus a null for the other encoding of each name, so ``SET +=`` clears it."""
    out = dict(encoded)
    for name in encoded:
        other = name[: -len(JSON_SUFFIX)] if name.endswith(JSON_SUFFIX) else name + JSON_SUFFIX
        out.setdefault(other, None)
    return out


def _rows(result) -> list[dict]:
    """The records of ``result`` as dicts.

    ``Record.data()`` walks every value recursively to turn graph entities into dicts, which costs
    more than the whole query for a network's 3,000 hop rows; the named queries return property
    maps and plain values, so a record becomes a dict directly unless a value is a node,
    relationship or path (or a list of them), which still goes through ``data()``.
    """
    from neo4j.graph import Node, Path, Relationship

    graph = (Node, Relationship, Path)
    keys = result.keys()
    out = []
    for rec in result:
        row = dict(zip(keys, rec, strict=True))
        for v in row.values():
            if isinstance(v, graph) or (type(v) is list and v and isinstance(v[0], graph)):
                row = rec.data()
                break
        out.append(row)
    return out


class _Rows(list):
    """A list of UNWIND rows whose ``repr`` is short.

    The ``neo4j`` driver (6.x) formats ``" ".join(map(repr, fields))`` of every RUN message for its
    debug log before the logger checks the level, so a statement's parameters are turned into text
    whether or not anyone logs them: ~20 ms per network of 3,400 hop rows, about a tenth of a
    fresh ingest (measured). Both PackStream packers (Rust and Python) send a list subclass as a
    plain list, so what reaches the server is unchanged.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"<{len(self)} rows>"


_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _fold_set(statement: str, var: str, source: str, names: set[str]) -> str:
    """``statement`` with its ``SET var = source`` folded into the CREATE of ``var``.

    The CREATE gets a literal property map of ``names`` (``{`n`: source.`n`, ...}``); a row whose
    map lacks a name gives null there, which CREATE leaves out, so the result is the same as the
    SET's. ArcadeDB then writes each new record once at its full size instead of creating it
    empty and growing it in its page. Property names other than plain identifiers keep the SET.
    """
    clause = f"\nSET {var} = {source}"
    created = re.search(rf"[\[(]{var}:\w+(?=[\])])", statement)
    if clause not in statement or created is None:
        raise LandscapeError(f"cannot fold the SET of {var} into its CREATE in:\n{statement}")
    if not names or not all(_PLAIN_NAME.match(n) for n in names):
        return statement
    props = ", ".join(f"`{n}`: {source}.`{n}`" for n in sorted(names))
    end = created.end()
    folded = statement[:end] + " {" + props + "}" + statement[end:]
    return folded.replace(clause, "", 1)


class GraphStore:
    """A connection to the landscape graph (embedded ArcadeDB or Neo4j 5), through Bolt.

    Obtain one with :func:`open_store`; use it as a context manager or call :meth:`close`.
    Every write is idempotent and uses ``$parameters`` of a named query in ``cypher/``: a ``MERGE``,
    or for a hop network one transaction (all of it or nothing) that replaces the sample's hops.
    """

    def __init__(
        self,
        driver: Any,
        *,
        uri: str,
        user: str,
        database: str | None,
        server: embedded.ServerInfo | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ):
        self._driver = driver
        self.uri = uri
        self.user = user
        self.database = database
        self.server = server
        self.batch_size = int(batch_size)
        self._closed = False
        agent = ""
        with contextlib.suppress(Exception):
            agent = str(driver.get_server_info().agent)
        #: ``"arcadedb"`` or ``"neo4j"`` (from the server's Bolt agent string).
        self.backend = "arcadedb" if "arcade" in agent.lower() else "neo4j"
        self.server_agent = agent

    # ----------------------------------------------------------------------------- plumbing

    def __enter__(self) -> GraphStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<GraphStore {self.backend} {self.uri} database={self.database!r} {state}>"

    def close(self) -> None:
        """Close the driver (an embedded server keeps running; ``landscape db stop`` stops it)."""
        if not self._closed:
            self._closed = True
            with contextlib.suppress(Exception):
                self._driver.close()

    @contextlib.contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        """Turn driver errors into one-line :class:`StoreError`."""
        import neo4j.exceptions as ne

        if self._closed:
            raise StoreError(f"{what}: the graph store is closed")
        try:
            yield
        except LandscapeError:
            raise
        except ne.AuthError as exc:
            raise StoreError(
                f"{what}: authentication failed at {self.uri}: {_first_line(exc)}"
            ) from None
        except (ne.ServiceUnavailable, ne.SessionExpired) as exc:
            raise StoreError(
                f"{what}: cannot reach the graph database at {self.uri}: {_first_line(exc)}"
            ) from None
        except ne.Neo4jError as exc:
            code = getattr(exc, "code", None) or type(exc).__name__
            raise StoreError(f"{what} failed: {code}: {_first_line(exc)}") from None
        except ne.DriverError as exc:
            raise StoreError(f"{what} failed: {type(exc).__name__}: {_first_line(exc)}") from None

    def _session(self):
        return (
            self._driver.session(database=self.database)
            if self.database
            else self._driver.session()
        )

    @staticmethod
    def _run(tx, q: NamedQuery, params: Mapping[str, Any]) -> list[dict]:
        return _rows(tx.run(q.statements[0], dict(params)))

    def _read(self, name: str, **params: Any) -> list[dict]:
        q = load_query(name)
        with self._errors(f"query {name!r}"), self._session() as s:
            return s.execute_read(self._run, q, params)

    def _write(self, name: str, **params: Any) -> list[dict]:
        q = load_query(name)
        with self._errors(f"query {name!r}"), self._session() as s:
            return s.execute_write(self._run, q, params)

    # ----------------------------------------------------------------------------- public API

    def query(self, name: str, **params: Any) -> list[dict]:
        """Run the named query ``cypher/<name>.cypher`` and return its rows as dicts.

        Parameters are checked against the file's header first (a missing, unknown or ill-typed
        one raises :class:`InputError`); property maps in the rows come back with JSON-encoded
        values decoded. A ``schema`` query runs each statement in its own transaction. A query
        computed in Python (:mod:`landscape.graph.algorithms`) is looked up first, checked alike.
        """
        if (algorithm := find_algorithm(name)) is not None:
            return algorithm.run(self, algorithm.declaration.bind(params))
        q = load_query(name)
        bound = q.bind(params)
        with self._errors(f"query {name!r}"), self._session() as s:
            if q.mode == "schema":
                for stmt in q.statements:
                    s.run(stmt, bound).consume()
                return []
            run = s.execute_read if q.mode == "read" else s.execute_write
            rows = run(self._run, q, bound)
        return [{k: _decode_value(v) for k, v in row.items()} for row in rows]

    def apply_schema(self) -> None:
        """Create the constraints and indexes of ``cypher/schema.cypher`` (idempotent)."""
        self.query("schema")

    def upsert_sample(self, sample_id: str, **props: Any) -> None:
        """Create or update the ``Sample`` node ``sample_id``.

        Properties: numbers, strings and flat lists are stored as such; ``cell`` (3x3 or 9
        numbers, Å) as 9 floats; other values JSON-encoded (see :mod:`landscape.graph.properties`);
        ``None`` removes a property. Properties not named keep their values.
        """
        _check_id(sample_id, "sample_id")
        props = dict(props)
        if props.get("cell") is not None:
            props["cell"] = flat_cell(props["cell"])
        body = _merge_props(props, f"sample {sample_id!r}", SAMPLE_RESERVED | {"sample_id"})
        self._write("upsert_sample", sample_id=sample_id, props=body)

    def upsert_model(self, model_id: str, **metrics: Any) -> None:
        """Create or update the ``Model`` node ``model_id`` with its metrics (``None`` removes one)."""
        _check_id(model_id, "model_id")
        body = _merge_props(metrics, f"model {model_id!r}", frozenset({"model_id"}))
        self._write("upsert_model", model_id=model_id, props=body)

    def upsert_network(
        self, G: nx.MultiDiGraph | NetworkRows, *, batch_size: int | None = None
    ) -> dict[str, int]:
        """Write a hop network: its ``Sample``, ``Site`` nodes and ``HOP`` relationships.

        ``G`` may also be the network already validated by
        :func:`~landscape.graph.network.network_to_rows` (a caller that checks several networks
        before writing any need not convert each twice).
        The network is validated completely first (:class:`InputError`, nothing written), then
        written in ONE transaction, so that the stored network equals ``G`` afterwards however
        often and however interrupted earlier writes were:

        1. the uids of the sample's stored sites are read;
        2. if there are any: every stored hop of the sample is deleted, and the sites not in ``G``
           with them; the sites of ``G`` are then MERGEd on ``uid`` (``upsert_sites``), so a site
           keeps its node; if there are none, they are CREATEd (``create_sites``);
        3. the sample's properties are set and its hops CREATEd (``create_hops``), in UNWIND
           batches of ``batch_size`` rows.

        Deleting and re-creating the hops rather than MERGEing each on its uid is what makes an
        ingest fast (a MERGE of a relationship scans the source's relationships on ArcadeDB).

        Returns
        -------
        dict
            ``sites``, ``hops`` written; ``stale_sites``, ``stale_hops`` removed (stored before,
            not in ``G``).
        """
        rows = G if isinstance(G, NetworkRows) else network_to_rows(G)
        bs = int(batch_size or self.batch_size)
        if bs < 1:
            raise InputError(f"batch_size must be >= 1, got {batch_size}")
        sid = rows.sample_id
        sample_props = _with_counterparts(rows.sample)
        sample_props.pop("graph_attrs" + JSON_SUFFIX, None)
        q_sample = load_query("upsert_sample")
        q_uids = load_query("site_uids")
        q_del_hops = load_query("delete_network_hops")
        q_del_sites = load_query("delete_sites")
        q_merge_sites = load_query("upsert_sites")
        q_create_sites = load_query("create_sites")
        q_hops = load_query("create_hops")
        site_uids = {r["uid"] for r in rows.sites}
        # rows.sites are sorted by index; a hop row addresses its sites by position in that list
        by_index, hop_rows = rows.sites, rows.hops

        def work(tx) -> dict[str, int]:
            stored = self._run(tx, q_uids, {"sample_id": sid})
            stored = set(stored[0]["uids"]) if stored else set()
            stale_sites = sorted(stored - site_uids)
            n_stale_hops = 0
            if stored:
                deleted = self._run(tx, q_del_hops, {"sample_id": sid})
                deleted = set(deleted[0]["uids"]) if deleted else set()
                n_stale_hops = len(deleted - {h["p"]["uid"] for h in hop_rows})
                if stale_sites:
                    self._run(tx, q_del_sites, {"uids": stale_sites})
            self._run(tx, q_sample, {"sample_id": sid, "props": sample_props})
            q_sites = q_merge_sites if stored else q_create_sites
            n_sites = n_hops = 0
            for k in range(0, len(by_index), bs):
                batch = _Rows(by_index[k : k + bs])
                stmt = q_sites.statements[0]
                if not stored:
                    stmt = _fold_set(stmt, "x", "r", set().union(*batch))
                n_sites += tx.run(stmt, {"sample_id": sid, "rows": batch}).single()["n"]
            for k in range(0, len(hop_rows), bs):
                batch = _Rows(hop_rows[k : k + bs])
                stmt = _fold_set(
                    q_hops.statements[0], "h", "p", set().union(*(r["p"] for r in batch))
                )
                out = _rows(tx.run(stmt, {"sample_id": sid, "rows": batch}))
                if not out or out[0]["sites"] != len(by_index) or out[0]["n"] != len(batch):
                    raise StoreError(
                        f"upsert of sample {sid!r}: {len(batch)} hops to create between "
                        f"{len(by_index)} sites, the database answered {out}"
                    )
                n_hops += out[0]["n"]
            return {
                "sites": n_sites,
                "hops": n_hops,
                "stale_sites": len(stale_sites),
                "stale_hops": n_stale_hops,
            }

        with self._errors(f"upsert of the network of sample {sid!r}"), self._session() as s:
            return s.execute_write(work)

    def read_network(self, sample_id: str, *names: str) -> tuple[dict, list[list[dict]]]:
        """The Sample properties of ``sample_id`` and the rows of the read queries ``names`` (each
        taking ``$sample_id`` only), in one read transaction; :class:`InputError` for an unknown
        sample or one without a stored hop network."""
        _check_id(sample_id, "sample_id")
        qs = [load_query(n) for n in ("network_sample", *names)]

        def work(tx):
            return [self._run(tx, q, {"sample_id": sample_id}) for q in qs]

        # the records are many small containers and no cycles (see gc_paused)
        with (
            gc_paused(),
            self._errors(f"reading the network of sample {sample_id!r}"),
            self._session() as s,
        ):
            sample, *rows = s.execute_read(work)
        if not sample:
            raise InputError(f"unknown sample id {sample_id!r}")
        if not sample[0]["props"].get("graph_attrs"):
            raise InputError(f"sample {sample_id!r} has no hop network stored")
        return sample[0]["props"], rows

    def hop_network(self, sample_id: str) -> nx.MultiDiGraph:
        """The hop network of ``sample_id`` exactly as it was written (:class:`InputError` if unknown)."""
        props, (sites, hops) = self.read_network(sample_id, "network_sites", "network_hops")
        edges = ({"i": r["i"], "j": h["j"], "p": h["p"]} for r in hops for h in r["hops"])
        with gc_paused():  # the graph is many small containers and no cycles
            return network_from_rows(props, (r["props"] for r in sites), edges)

    def compare_samples(self, sample_ids: list | None = None, *, name: str | None = None) -> list:
        """The rows of ``compare_kinetics`` (one per sample, by id; energies in eV) with the D
        (cm²/s) of the Kinetics result ``name`` (default: each sample's most recently written) at
        300 K if stored, else at its lowest temperature (``T_K``, K), in place of the lists of
        temperatures and D; ``None`` where the sample has no such result. An unknown sample id
        raises :class:`InputError`."""
        if name is not None:
            _check_id(name, "result name")
        rows = self.query("compare_kinetics", sample_ids=sample_ids, result_name=name)
        missing = sorted(set(sample_ids or ()) - {r["sample_id"] for r in rows})
        if missing:
            raise InputError(f"unknown sample id(s) {missing}; expected stored samples")
        for r in rows:
            T, D = r.pop("temperatures") or [], r.pop("D") or []
            k = (T.index(300.0) if 300.0 in T else T.index(min(T))) if T else len(D)
            found = (T[k], D[k], r["D_method"]) if k < len(D) else (None, None, None)
            r["T_K"], r["D_cm2_s"], r["D_method"] = found
        return rows

    def upsert_result(
        self, sample_id: str, kind: str, *, name: str = "default", **props: Any
    ) -> str:
        """Store a result of ``sample_id``: ``(:Sample)-[:HAS_RESULT]->(:Kinetics {...})`` for ``kind="kinetics"``.

        A result is identified by ``uid = "<sample_id>/<kind>/<name>"``: writing the same
        sample, kind and name again replaces all its properties. ``None`` values are left out;
        ``written_at`` (UTC, ISO 8601) records when. Returns the uid; an unknown sample or kind raises :class:`InputError`.
        """
        _check_id(sample_id, "sample_id")
        _check_id(name, "result name")
        if kind not in RESULT_KINDS:
            raise InputError(
                f"unknown result kind {kind!r}; expected one of {sorted(RESULT_KINDS)}"
            )
        _label, qname = RESULT_KINDS[kind]
        reserved = {"uid", "sample_id", "name", "written_at"} & set(props)
        if reserved:
            raise InputError(
                f"result properties {sorted(reserved)} are reserved by the graph store"
            )
        uid = f"{sample_id}/{kind}/{name}"
        written = datetime.now(UTC).isoformat(timespec="microseconds")
        body = {"uid": uid, "sample_id": sample_id, "name": name, "written_at": written}
        body.update(
            encode_properties(props, where=f"{kind} result {uid!r}", none_means_absent=True)
        )
        rows = self._write(qname, sample_id=sample_id, uid=uid, props=body)
        if not rows:
            raise InputError(
                f"unknown sample id {sample_id!r}; store the sample before its results"
            )
        return uid

    def delete_sample(self, sample_id: str) -> dict[str, int]:
        """Delete a sample with its sites, hops and results; returns how many of each went."""
        _check_id(sample_id, "sample_id")
        rows = self._write("delete_sample", sample_id=sample_id)
        if not rows:
            raise InputError(f"unknown sample id {sample_id!r}")
        return {k: int(v) for k, v in rows[0].items()}

    def samples(self) -> list[str]:
        """Identifiers of every stored sample, sorted."""
        return [r["sample_id"] for r in self.query("list_samples")]

    def counts(self) -> dict[str, int]:
        """Numbers of samples, sites, hops, kinetics results and models in the database.

        ``hops`` (directed HOP relationships) is the sum of the samples' ``n_hops``, which
        :meth:`upsert_network` writes in the same transaction as the hops; it reads one node per
        sample instead of scanning every hop. HOPs written by hand, outside this store, are not in it.
        """
        return {k: int(v) for k, v in self.query("graph_counts")[0].items()}


#: URI schemes of the Bolt protocol, the only one the store speaks (``+s``: TLS, ``+ssc``: TLS with
#: a self-signed certificate).
BOLT_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")


def _check_uri(uri: Any) -> None:
    """Refuse a database URI that is not Bolt (``http://`` reaches the HTTP API, not Bolt)."""
    where = (
        "LANDSCAPE_NEO4J_URI" if uri == os.environ.get("LANDSCAPE_NEO4J_URI") else "database URI"
    )
    expected = ", ".join(f"{s}://" for s in BOLT_SCHEMES)
    if not isinstance(uri, str) or "://" not in uri:
        raise StoreError(
            f"invalid {where} {uri!r}; expected {expected} (e.g. bolt://127.0.0.1:7687)"
        )
    scheme = uri.split("://", 1)[0].lower()
    if scheme not in BOLT_SCHEMES:
        raise StoreError(
            f"invalid {where} {uri!r}: scheme {scheme!r}; expected one of {expected} "
            "(e.g. bolt://127.0.0.1:7687)"
        )


def open_store(
    uri: str | None = None,
    data_dir: str | os.PathLike | None = None,
    *,
    user: str | None = None,
    password: str | None = None,
    database: str | None = None,
    timeout: float = 120.0,
    schema: bool = True,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> GraphStore:
    """Connect to the landscape graph.

    With no ``uri`` and no ``LANDSCAPE_NEO4J_URI`` in the environment, the embedded ArcadeDB server
    of ``data_dir`` (default ``$LANDSCAPE_DATA`` or ``./landscape-data``) is used: started if it does
    not run, reused if it does, and left running after :meth:`GraphStore.close`. Otherwise the
    Neo4j 5 server at ``uri`` (credentials from the arguments or ``LANDSCAPE_NEO4J_USER`` /
    ``LANDSCAPE_NEO4J_PASSWORD``) is used, through the same code.

    Parameters
    ----------
    timeout
        Seconds to wait for the embedded server to start.
    schema
        Apply ``cypher/schema.cypher`` (idempotent) on connecting.
    batch_size
        Rows per UNWIND statement when writing networks.

    Raises
    ------
    StoreError
        The server cannot be started or reached, or refuses the credentials (one line).
    """
    import neo4j

    server = None
    if uri is None:
        env = neo4j_from_env()
        if env is not None:
            uri = env[0]
            user = user if user is not None else env[1]
            password = password if password is not None else env[2]
    if uri is None:
        server = embedded.start(data_dir, timeout=timeout)
        uri = server.uri
        user = user if user is not None else server.user
        if password is None:
            try:
                password = server.password()
            except OSError as exc:
                raise StoreError(
                    f"cannot read the database password {server.password_file}: {exc.strerror}"
                ) from None
        database = database or server.database
    else:
        _check_uri(uri)
        user = user if user is not None else os.environ.get("LANDSCAPE_NEO4J_USER", "neo4j")
        password = (
            password if password is not None else os.environ.get("LANDSCAPE_NEO4J_PASSWORD", "")
        )
    try:
        driver = neo4j.GraphDatabase.driver(
            uri,
            auth=(user, password),
            connection_timeout=CONNECT_TIMEOUT,
            user_agent="landscape",
        )
    except (ValueError, neo4j.exceptions.ConfigurationError) as exc:
        raise StoreError(f"invalid database URI {uri!r}: {_first_line(exc)}") from None
    store = GraphStore(
        driver, uri=uri, user=user, database=database, server=server, batch_size=batch_size
    )
    try:
        with store._errors(f"connecting to {uri}"):
            driver.verify_connectivity()
            if database is not None:
                with driver.session(database=database) as s:
                    s.run("RETURN 1").consume()
        agent = str(driver.get_server_info().agent)
        store.backend = "arcadedb" if "arcade" in agent.lower() else "neo4j"
        store.server_agent = agent
        if schema:
            store.apply_schema()
    except BaseException:
        store.close()
        raise
    return store


def data_dir_of(store: GraphStore) -> Path | None:
    """The data folder of an embedded store (``None`` for a Neo4j server)."""
    return store.server.data_dir if store.server is not None else None
