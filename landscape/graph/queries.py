"""Named Cypher queries: one ``.cypher`` file each in the package ``landscape.cypher``.

Every file starts with a header of ``//`` comment lines: a one-line purpose, then ``Mode:`` (``read``,
``write`` or ``schema``), ``Parameters:`` (one ``$name (type[, optional][, a..b])  text`` line each)
and ``Returns:`` (the columns). The header is parsed so that :meth:`GraphStore.query` can refuse a
missing, unknown or ill-typed parameter with one line before anything reaches the database.
A ``schema`` file may hold several statements, each ending with ``;`` at the end of a line.

Files are read with :mod:`importlib.resources`, so they load the same from a source checkout and
from an installed wheel, and are cached after the first read.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

from ..errors import InputError

__all__ = ["NamedQuery", "load_query", "query_names", "PACKAGE", "with_article"]

#: The package the ``.cypher`` files are installed in (the top-level ``cypher/`` folder).
PACKAGE = "landscape.cypher"

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_PARAM = re.compile(r"^\$(?P<name>\w+)\s*\((?P<spec>[^)]*)\)")
_TYPES = ("string", "integer", "float", "number", "boolean", "list", "map", "string list", "any")
#: The integers a Bolt parameter can carry (64-bit signed).
_INT64 = (-(2**63), 2**63 - 1)


@dataclass(frozen=True)
class Param:
    """One declared parameter: name, type, whether optional, and an inclusive numeric range."""

    name: str
    type: str
    optional: bool = False
    low: float | None = None
    high: float | None = None

    def check(self, query: str, value: Any) -> None:
        """Raise :class:`InputError` if ``value`` does not fit the declaration."""
        if value is None:
            if self.optional:
                return
            raise InputError(f"query {query!r}: parameter ${self.name} must not be null")
        t = self.type
        ok = True
        if t == "string":
            ok = isinstance(value, str)
        elif t == "integer":
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif t in ("float", "number"):
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            ok = ok and math.isfinite(float(value))
        elif t == "boolean":
            ok = isinstance(value, bool)
        elif t == "list":
            ok = isinstance(value, list | tuple)
        elif t == "string list":
            ok = isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)
        elif t == "map":
            ok = isinstance(value, dict)
        if not ok:
            raise InputError(
                f"query {query!r}: parameter ${self.name} must be {with_article(t)}, got {type(value).__name__} {value!r}"
            )
        if t == "integer" and not _INT64[0] <= value <= _INT64[1]:
            raise InputError(
                f"query {query!r}: parameter ${self.name} must be a 64-bit integer "
                f"({_INT64[0]}..{_INT64[1]}), got {value!r}"
            )
        if self.low is not None and value < self.low or self.high is not None and value > self.high:
            raise InputError(
                f"query {query!r}: parameter ${self.name} must lie in {_fmt(self.low)}..{_fmt(self.high)}, got {value!r}"
            )


def with_article(type_name: str) -> str:
    """``"a float"``, ``"an integer"``."""
    return ("an " if type_name[0] in "aeiou" else "a ") + type_name


def _fmt(x: float | None) -> str:
    if x is None:
        return ""
    return str(int(x)) if float(x).is_integer() else str(x)


@dataclass(frozen=True)
class NamedQuery:
    """A parsed ``.cypher`` file."""

    name: str
    mode: str  # "read", "write" or "schema"
    params: tuple[Param, ...]
    statements: tuple[str, ...]
    text: str

    @property
    def purpose(self) -> str:
        """The header's first paragraph without the leading ``name —``: what the query is for."""
        lines = []
        for line in self.text.lstrip().splitlines():
            line = line.strip()
            if not line.startswith("//") or not line.lstrip("/").strip():
                break
            lines.append(line.lstrip("/").strip())
        first = " ".join(lines)
        head, sep, rest = first.partition(" — ")
        return rest.strip() if sep and head.strip() == self.name else first

    def bind(self, params: dict[str, Any]) -> dict[str, Any]:
        """Check ``params`` against the header and fill optional ones left out with ``None``."""
        declared = {p.name: p for p in self.params}
        unknown = sorted(set(params) - set(declared))
        if unknown:
            raise InputError(
                f"query {self.name!r}: unknown parameter(s) {unknown}; it takes {sorted(declared) or 'none'}"
            )
        out = {}
        for p in self.params:
            if p.name not in params:
                if not p.optional:
                    raise InputError(f"query {self.name!r}: missing parameter ${p.name} ({p.type})")
                out[p.name] = None
                continue
            p.check(self.name, params[p.name])
            out[p.name] = params[p.name]
        return out


def _parse_spec(name: str, spec: str, query: str) -> Param:
    parts = [s.strip() for s in spec.split(",") if s.strip()]
    if not parts or parts[0] not in _TYPES:
        raise InputError(f"cypher/{query}.cypher: parameter ${name} has no known type in ({spec})")
    optional = False
    low = high = None
    for extra in parts[1:]:
        if extra == "optional":
            optional = True
        elif ".." in extra:
            a, b = extra.split("..", 1)
            low = float(a) if a else None
            high = float(b) if b else None
        else:
            raise InputError(f"cypher/{query}.cypher: parameter ${name}: cannot read {extra!r}")
    return Param(name, parts[0], optional, low, high)


def parse_query(name: str, text: str) -> NamedQuery:
    """Parse the header and the statements of a ``.cypher`` file."""
    header: list[str] = []
    body: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not body and (stripped.startswith("//") or not stripped):
            header.append(stripped[2:].strip() if stripped.startswith("//") else "")
        elif stripped.startswith("//"):
            continue  # comments inside the body are not sent to the database
        else:
            body.append(line.rstrip())
    mode = None
    params: list[Param] = []
    section = None
    for h in header:
        low = h.lower()
        if low.startswith("mode:"):
            mode = low.split(":", 1)[1].strip()
            section = None
        elif low.startswith("parameters:"):
            section = "params"
            if "none" in low.split(":", 1)[1]:
                section = None
        elif low.startswith("returns:"):
            section = None
        elif section == "params":
            m = _PARAM.match(h)
            if m:
                params.append(_parse_spec(m["name"], m["spec"], name))
    if mode not in ("read", "write", "schema"):
        raise InputError(f"cypher/{name}.cypher: header lacks 'Mode: read|write|schema'")
    statements: list[str] = []
    current: list[str] = []
    for line in body:
        current.append(line)
        if line.endswith(";"):
            statements.append("\n".join(current)[:-1].strip())
            current = []
    if "".join(current).strip():
        statements.append("\n".join(current).strip())
    if not statements:
        raise InputError(f"cypher/{name}.cypher holds no statement")
    if mode != "schema" and len(statements) != 1:
        raise InputError(f"cypher/{name}.cypher: only a schema file may hold several statements")
    return NamedQuery(name, mode, tuple(params), tuple(statements), text)


@functools.cache
def query_names() -> tuple[str, ...]:
    """Names of every named query shipped with the package, sorted."""
    root = resources.files(PACKAGE)
    return tuple(
        sorted(p.name[: -len(".cypher")] for p in root.iterdir() if p.name.endswith(".cypher"))
    )


@functools.cache
def load_query(name: str) -> NamedQuery:
    """Load ``cypher/<name>.cypher`` (cached); an unknown name raises :class:`InputError`."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise InputError(f"query name must be lower_snake_case letters and digits, got {name!r}")
    resource = resources.files(PACKAGE).joinpath(f"{name}.cypher")
    if not resource.is_file():
        raise InputError(
            f"no named query {name!r} (no file {name}.cypher in {PACKAGE}); known: {', '.join(query_names())}"
        )
    return parse_query(name, resource.read_text(encoding="utf-8"))
