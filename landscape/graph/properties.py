"""Property encoding: the values both ArcadeDB and Neo4j 5 store, and the JSON fallback.

* Booleans, integers (64-bit), floats and strings are stored as themselves; NumPy scalars become the
  matching Python scalar.
* Flat lists whose items share one of those types (and empty lists) are stored as lists; NumPy
  1-D arrays become lists.
* Anything else (``None``, nested lists such as a 3x3 matrix, dicts, lists mixing types, integers
  beyond 64 bits) is stored as a JSON string under ``<name>__json`` and decoded on the way back, so
  it survives the round trip exactly (a tuple comes back as a list). Neo4j refuses nested and
  mixed-type lists as property values, which is why this is not left to the database.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from ..errors import InputError

__all__ = [
    "JSON_SUFFIX",
    "NOT_NATIVE",
    "native_scalar",
    "encode_properties",
    "decode_properties",
]

#: Suffix of a property holding a JSON-encoded value that the databases cannot store natively.
JSON_SUFFIX = "__json"

_INT64 = (-(2**63), 2**63 - 1)
_PLAIN = (float, str, bool)


class _NotNative:
    """The type of :data:`NOT_NATIVE`."""

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return "<not native>"


#: What :func:`native_scalar` returns for a value the databases cannot store as it is.
NOT_NATIVE = _NotNative()


def native_scalar(v: Any) -> Any:
    """A Python bool/int/float/str for a storable scalar, or :data:`NOT_NATIVE`."""
    if type(v) in _PLAIN:
        return v
    if isinstance(v, bool | np.bool_):
        return bool(v)
    if isinstance(v, int | np.integer):
        iv = int(v)
        return iv if _INT64[0] <= iv <= _INT64[1] else NOT_NATIVE
    if isinstance(v, float | np.floating):
        return float(v)
    if isinstance(v, str):
        return v
    return NOT_NATIVE


def _native_value(v: Any) -> Any:
    """``v`` as a value both databases store natively, or :data:`NOT_NATIVE`."""
    s = native_scalar(v)
    if s is not NOT_NATIVE:
        return s
    if isinstance(v, np.ndarray):
        if v.ndim != 1:
            return NOT_NATIVE
        v = v.tolist()
    if isinstance(v, list):
        items = [native_scalar(x) for x in v]
        if any(x is NOT_NATIVE for x in items):
            return NOT_NATIVE
        if len({type(x) for x in items}) > 1:
            return NOT_NATIVE  # Neo4j stores homogeneous lists only
        return items
    return NOT_NATIVE


def _json_default(o: Any) -> Any:
    """A NumPy array or scalar as the list or Python scalar :func:`json.dumps` writes."""
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, np.generic):
        return o.item()
    raise TypeError(f"{type(o).__name__} is not JSON serialisable")


def encode_properties(attrs: Mapping[str, Any], *, where: str, none_means_absent: bool = False):
    """Encode a mapping of attributes into storable properties (see the module docstring).

    Parameters
    ----------
    attrs
        Attribute name -> value.
    where
        What the attributes belong to, for error messages ("edge 3 -> 5").
    none_means_absent
        Drop ``None`` values instead of storing them as JSON ``null`` (sample and result
        properties: ``None`` there means "not known").
    """
    out: dict[str, Any] = {}
    for name, value in attrs.items():
        if not isinstance(name, str) or not name:
            raise InputError(f"{where}: attribute name {name!r} is not a non-empty string")
        if name.endswith(JSON_SUFFIX):
            raise InputError(
                f"{where}: attribute name {name!r} ends with the reserved suffix {JSON_SUFFIX!r}"
            )
        if value is None and none_means_absent:
            continue
        native = _native_value(value)
        if native is not NOT_NATIVE:
            out[name] = native
            continue
        try:
            out[name + JSON_SUFFIX] = json.dumps(value, default=_json_default)
        except (TypeError, ValueError) as exc:
            raise InputError(
                f"{where}: attribute {name!r} of type {type(value).__name__} cannot be stored "
                f"(expected a number, string, list or JSON-serialisable value): {exc}"
            ) from None
    return out


def decode_properties(props: Mapping[str, Any], reserved: Iterable[str] = ()) -> dict[str, Any]:
    """Inverse of :func:`encode_properties`, leaving out the ``reserved`` property names."""
    reserved = set(reserved)
    out: dict[str, Any] = {}
    for name, value in props.items():
        if name in reserved:
            continue
        if name.endswith(JSON_SUFFIX):
            out[name[: -len(JSON_SUFFIX)]] = json.loads(value)
        else:
            out[name] = value
    return out
