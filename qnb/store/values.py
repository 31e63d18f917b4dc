"""Python values -> DuckDB parameters, by the target column's type.

Why at enqueue time: the writer converts a caller's row in the caller's thread, so a dict the caller
mutates afterwards cannot change what gets stored, and a value that can never be stored (a NaN in a
JSON column, text in a TIMESTAMP column) fails at the call site with an error naming the column.
"""

from __future__ import annotations

import datetime as _dt
import enum
import json
from typing import Any

from .errors import StoreError

__all__ = ["to_db", "utc_naive", "canonical_json", "json_text"]


_PLAIN = (str, int, float, bool)
_SPECIAL = ("JSON", "TIMESTAMP")


def utc_naive(value: _dt.datetime) -> _dt.datetime:
    """Aware datetimes become naive UTC; naive ones are taken to be UTC already."""
    if value.tzinfo is not None:
        value = value.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    return value


def canonical_json(obj: Any) -> str:
    """Sorted keys, no spaces, no NaN: the same object always gives the same text (audit hashes)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_default)


def json_text(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_default)


def _default(obj: Any) -> Any:
    if isinstance(obj, _dt.datetime):
        return utc_naive(obj).isoformat()
    if isinstance(obj, (_dt.date, _dt.time)):
        return obj.isoformat()
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, (set, frozenset)):
        return sorted(obj, key=repr)
    if hasattr(obj, "to_json"):
        return obj.to_json()
    if hasattr(obj, "tolist"):          # numpy scalars and arrays
        return obj.tolist()
    return str(obj)


def to_db(value: Any, col_type: str, *, table: str, column: str) -> Any:
    """Convert one value for a column of DuckDB type ``col_type``."""
    if value is None:
        return None
    cls = type(value)
    if cls in _PLAIN and col_type not in _SPECIAL:      # the common case, kept cheap for the caller
        return value
    try:
        if col_type == "JSON":
            return value if isinstance(value, str) else json_text(value)
        if isinstance(value, enum.Enum):
            value = value.value
        if col_type == "TIMESTAMP":
            if isinstance(value, _dt.datetime):
                return utc_naive(value)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return _dt.datetime.fromtimestamp(value, _dt.timezone.utc).replace(tzinfo=None)
            if isinstance(value, str):
                return utc_naive(_dt.datetime.fromisoformat(value))
            raise TypeError(f"expected a datetime or epoch seconds, got {type(value).__name__}")
        if hasattr(value, "item") and not isinstance(value, (str, bytes)):   # numpy scalar
            value = value.item()
        return value
    except (TypeError, ValueError) as e:
        raise StoreError(f"{table}.{column}: cannot store {value!r} as {col_type}: {e}", code="bad_value",
                         table=table, column=column) from None
