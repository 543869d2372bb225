"""The Table Schemas of the published tables, and the one map of their field types.

Input: ``schemas/<name>.schema.json`` (Frictionless Table Schema; the single source of
truth, shipped inside the package as ``pipeline.schemas``).  Output: the schema of a
table, its column names, and for each field type, side by side in ``TYPES``, what it
is in pandas, in pandera, in Arrow and in Python/JSON, with the coercion of CSV text
into it; the cross-column row checks the schemas name in ``x-checks``.

Nothing here imports pandas, pandera or pyarrow at import time: the published tables
can be read and checked with the standard library alone (``pipeline.dataset.published``).
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline import PACKAGE_DIR
from pipeline.catalogue import message

TABLES = ("rules", "ports", "rejects", "components")
MAX_PORT = 65535  # the ports schema's port_start and port_end maximum (a test holds them equal)


def port_range(start: int | None, end: int | None) -> str:
    """A published port range as text: "443", "16500-16509", or "" for no port."""
    if start is None:
        return ""
    return str(start) if start == end else f"{start}-{end}"


# The registry ids of a row's names, filled by the identity stage (pipeline.stages.identify).
IDENTITY_COLUMNS = ("section_id", "source_id", "destination_id")


def _schema_dir() -> Path:
    """schemas/ of the repository, or the copy an installed package carries."""
    repo, installed = PACKAGE_DIR.parent / "schemas", PACKAGE_DIR / "schemas"
    return repo if (repo / "ports.schema.json").is_file() else installed


SCHEMA_DIR = _schema_dir()


def _missing(value: Any) -> bool:
    """None, NaN or pandas' NA: a value the table leaves empty."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return type(value).__name__ in ("NAType", "NaTType")


def _integer_from_text(text: str) -> int | None:
    if text == "":
        return None
    if not (text.isascii() and text.lstrip("-").isdigit()) or text.count("-") > 1:
        raise ValueError(message("type", value=text, expected="an integer"))
    return int(text)


def _boolean_from_text(text: str) -> bool:
    try:
        return {"true": True, "false": False}[text]
    except KeyError:
        raise ValueError(message("type", value=text, expected="true or false")) from None


@dataclass(frozen=True)
class FieldType:
    """One Table Schema field type in every representation the pipeline uses."""

    name: str  # Table Schema type
    pandas: str  # pandas dtype of a typed frame
    pandera: Any  # dtype a pandera Column checks
    arrow: str  # pyarrow type factory (pyarrow.<arrow>())
    from_text: Callable[[str], Any]  # CSV cell text -> Python value (ValueError if not one)
    nullable: bool  # whether an empty cell is allowed unless the field is required

    def to_python(self, value: Any) -> Any:
        """A value of a frame or record as the Python value this type publishes.

        >>> TYPES["integer"].to_python(float("nan")) is None
        True
        >>> TYPES["boolean"].to_python(1)
        True
        """
        if self.name == "integer":
            return None if _missing(value) else int(value)
        if self.name == "boolean":
            return bool(value)
        return "" if _missing(value) else str(value)


TYPES: dict[str, FieldType] = {
    "string": FieldType(
        "string", pandas="str", pandera=str, arrow="string", from_text=str, nullable=False
    ),
    "integer": FieldType(
        "integer",
        pandas="Int64",
        pandera="Int64",
        arrow="int64",
        from_text=_integer_from_text,
        nullable=True,
    ),
    "boolean": FieldType(
        "boolean",
        pandas="bool",
        pandera=bool,
        arrow="bool_",
        from_text=_boolean_from_text,
        nullable=False,
    ),
}


@functools.cache
def table_schema(name: str) -> dict:
    """The Table Schema of a published table (``rules``, ``ports`` or ``rejects``).

    Raises ``KeyError`` for a table that has no schema.
    """
    if name not in TABLES:
        raise KeyError(f"no schema for the table {name!r} (tables: {', '.join(TABLES)})")
    path = SCHEMA_DIR / f"{name}.schema.json"
    return json.loads(path.read_text("utf-8"))


def columns(name: str) -> list[str]:
    """Column names of a published table, in published order.

    >>> columns("rejects")[:3]
    ['rule_id', 'section', 'table']
    """
    return [f["name"] for f in table_schema(name)["fields"]]


def enum(name: str, column: str) -> tuple[str, ...]:
    """The values a column of a published table may take (its schema's ``enum``).

    >>> enum("ports", "protocol")
    ('tcp', 'udp', 'icmp')
    """
    field = next(f for f in table_schema(name)["fields"] if f["name"] == column)
    return tuple(field["constraints"]["enum"])


def field_types(name: str) -> dict[str, FieldType]:
    """Column name -> ``FieldType`` of a published table."""
    return {f["name"]: TYPES[f["type"]] for f in table_schema(name)["fields"]}


def typed_frame(name: str, rows: list[dict]):
    """A pandas DataFrame of ``rows`` with the columns and dtypes of the table, even when
    there are no rows."""
    import pandas as pd

    types = field_types(name)  # one typed Series per column (faster than astype after)
    return pd.DataFrame(
        {
            col: pd.Series([r.get(col) for r in rows], dtype=kind.pandas, name=col)
            for col, kind in types.items()
        },
        columns=list(types),
    )


def frame_records(frame) -> list[dict]:
    """The rows of a frame as dicts, a missing value as ``None`` (what
    ``DataFrame.to_dict("records")`` gives, column by column: several times faster on
    Arrow-backed strings)."""
    cols = list(frame.columns)
    values = [
        [None if _missing(v) else v for v in s.tolist()] if s.hasnans else s.tolist()
        for s in (frame[c] for c in cols)
    ]
    return [dict(zip(cols, row)) for row in zip(*values)] if cols else [{} for _ in frame.index]


def consumer_dtypes(name: str) -> dict:
    """The pandas dtypes a consumer gets for a published table: nullable integers
    (``Int64``), nullable booleans, categoricals for the fields with an ``enum``
    (protocol, service, kind), ``string`` for the rest."""
    import pandas as pd

    out = {}
    for f in table_schema(name)["fields"]:
        enum = f.get("constraints", {}).get("enum")
        if f["type"] == "integer":
            out[f["name"]] = "Int64"
        elif f["type"] == "boolean":
            out[f["name"]] = "boolean"
        elif enum:
            out[f["name"]] = pd.CategoricalDtype(categories=list(enum))
        else:
            out[f["name"]] = "string"
    return out


def arrow_schema(name: str):
    """The pyarrow schema of a published table."""
    import pyarrow as pa

    return pa.schema(
        [pa.field(col, getattr(pa, kind.arrow)()) for col, kind in field_types(name).items()]
    )


# -- checks across columns (``x-checks``), on one published record ------------------------


def port_start_le_port_end(row: dict) -> bool:
    """A range never runs backwards.

    >>> port_start_le_port_end({"port_start": 500, "port_end": 100})
    False
    """
    start, end = row["port_start"], row["port_end"]
    return start is None or end is None or start <= end


def ports_both_or_neither(row: dict) -> bool:
    """A range has both ends or none.

    >>> ports_both_or_neither({"port_start": 80, "port_end": None})
    False
    """
    return (row["port_start"] is None) == (row["port_end"] is None)


def icmp_has_no_port(row: dict) -> bool:
    """ICMP has no ports.

    >>> icmp_has_no_port({"protocol": "icmp", "port_start": 7})
    False
    """
    return row["protocol"] != "icmp" or row["port_start"] is None


ROW_CHECKS: dict[str, Callable[[dict], bool]] = {
    "port_start_le_port_end": port_start_le_port_end,
    "ports_both_or_neither": ports_both_or_neither,
    "icmp_has_no_port": icmp_has_no_port,
}
# The columns each row check reads (a frame check converts only those).
ROW_CHECK_COLUMNS: dict[str, tuple[str, ...]] = {
    "port_start_le_port_end": ("port_start", "port_end"),
    "ports_both_or_neither": ("port_start", "port_end"),
    "icmp_has_no_port": ("protocol", "port_start"),
}
