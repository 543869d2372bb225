"""Validation stage: pandera schemas generated from the Table Schemas in ``schemas/``.

Input: a stage's DataFrame (rules, ports, rejects).  Output: the same DataFrame when
it satisfies its schema, else ``ValidationFailed`` listing every failure at once, each
located by section, table, row and source line.

``schemas/<name>.schema.json`` (Frictionless Table Schema) is the single source of
truth: field types, ``required``, ``unique``, ``enum``, ``minimum``/``maximum``,
``minLength``, ``pattern`` and ``primaryKey`` become pandera checks here, and the same
files are published in ``build/datapackage.json``.  Checks across columns, which Table
Schema cannot express, are named in the schema's ``x-checks`` and defined once, on a
record, in ``pipeline.dataset.schema``.
"""

from __future__ import annotations

import functools
import sys
import warnings

import pandas as pd


def _import_pandera():
    """pandera, without its data-synthesis strategies importing hypothesis.

    pandera imports hypothesis on its first validation whenever it is
    installed, for strategies this pipeline never uses; hypothesis is installed wherever
    the tests run.  Unless hypothesis is already imported (the property tests), pandera's
    strategy modules are loaded once with hypothesis hidden, so they record it as absent
    (what it saves: docs/benchmark.md, "Speed tricks").
    """
    hide = "hypothesis" not in sys.modules
    if hide:
        sys.modules["hypothesis"] = None  # import -> ImportError
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pandera.pandas as pandera_pandas
            import pandera.strategies.pandas_strategies  # noqa: F401  (records no hypothesis)
    finally:
        if hide:
            del sys.modules["hypothesis"]
    return pandera_pandas


pa = _import_pandera()
from pandera.dtypes import immutable  # noqa: E402
from pandera.engines import pandas_engine  # noqa: E402
from pandera.errors import SchemaErrors  # noqa: E402

from pipeline.catalogue import problem_code  # noqa: E402
from pipeline.dataset.constraints import field_rules  # noqa: E402 (after the set-up above)
from pipeline.dataset.schema import (  # noqa: E402
    ROW_CHECK_COLUMNS,
    ROW_CHECKS,
    TYPES,
    field_types,
    table_schema,
)
from pipeline.errors import Problem, ValidationFailed  # noqa: E402


def _row_check(name: str, check_name: str):
    """A pandera frame check from a row check of ``pipeline.dataset.schema`` (only the columns it
    reads are converted to published values)."""
    check, cols = ROW_CHECKS[check_name], ROW_CHECK_COLUMNS[check_name]
    types = field_types(name)

    def run(df: pd.DataFrame) -> pd.Series:
        values = [[types[c].to_python(v) for v in df[c].tolist()] for c in cols]
        rows = (dict(zip(cols, vs)) for vs in zip(*values))
        return pd.Series([bool(check(r)) for r in rows], index=df.index, dtype=bool)

    return run


def field_checks(field: dict) -> list:
    """The pandera checks of one Table Schema field's constraints, as
    ``pipeline.dataset.constraints`` reads them."""
    r = field_rules(field)
    checks = []
    if r.enum is not None:
        checks.append(pa.Check.isin(sorted(r.enum)))
    if r.minimum is not None:
        checks.append(pa.Check.ge(r.minimum))
    if r.maximum is not None:
        checks.append(pa.Check.le(r.maximum))
    if r.min_length is not None and r.string:
        checks.append(pa.Check.str_length(min_value=r.min_length))
    if r.pattern is not None:
        checks.append(pa.Check.str_matches(r.pattern.pattern))
    return checks


@immutable(init=True)
class PublishedString(pandas_engine.STRING):
    """pandas' string dtype (any storage), checked on the column's dtype alone: pandera's
    own ``str`` checks every element and formats a report even when the column passes
    (what it saves: docs/benchmark.md, "Speed tricks")."""

    def check(self, pandera_dtype, data_container=None) -> bool:
        """Whether ``pandera_dtype`` (a column's dtype) is a pandas string dtype."""
        try:
            resolved = pandas_engine.Engine.dtype(pandera_dtype)
        except TypeError:
            return False
        return isinstance(resolved, pandas_engine.STRING)

    def __str__(self) -> str:
        return "str"


@functools.cache
def pandera_schema(name: str):
    """The pandera schema of a published table, made from its Table Schema (cached)."""
    spec = table_schema(name)
    columns = {}
    for field in spec["fields"]:
        c = field.get("constraints", {})
        # Strings are never null (an empty cell is ""); integers may be null unless required.
        nullable = TYPES[field["type"]].nullable and not c.get("required", False)
        dtype = TYPES[field["type"]].pandera
        columns[field["name"]] = pa.Column(
            PublishedString() if dtype is str else dtype,  # type: ignore[call-arg]
            checks=field_checks(field),
            nullable=nullable,
            unique=field_rules(field).unique,
            coerce=field["type"] == "integer",
            description=field.get("description"),
        )
    unique = spec.get("primaryKey")
    checks = [pa.Check(_row_check(name, n), name=n, error=n) for n in spec.get("x-checks", [])]
    for extra in spec.get("x-unique", []):
        checks.append(
            pa.Check(
                lambda df, cols=tuple(extra): ~df.duplicated(list(cols), keep=False),
                name="unique " + "+".join(extra),
            )
        )
    return pa.DataFrameSchema(
        columns, checks=checks, unique=unique, strict=True, ordered=True, name=name
    )


def _locate(df: pd.DataFrame, index) -> dict:
    """Where a failing row of a stage's frame came from: section, table, row, line."""
    if index is None or pd.isna(index) or index not in df.index:
        return {}
    row = df.loc[index]
    found: dict = {}
    if "section" in row:
        found["section"] = str(row["section"])
    for key in ("table", "row"):
        if key in row and not pd.isna(row[key]):
            found[key] = int(row[key])
    if "source_line" in row and not pd.isna(row["source_line"]):
        found["line"] = int(row["source_line"])
    return found


def validate(name: str, df: pd.DataFrame, source: str = "") -> pd.DataFrame:
    """The frame, checked against ``schemas/<name>.schema.json``, every failure at once."""
    try:
        return pandera_schema(name).validate(df, lazy=True, inplace=True)
    except SchemaErrors as exc:
        problems = []
        cases = exc.failure_cases
        for case in cases.to_dict("records"):
            column = case.get("column") or ""
            check = str(case.get("check"))
            value = case.get("failure_case")
            text = f"{check} failed"
            if value is not None and not (isinstance(value, float) and pd.isna(value)):
                text += f" (value {value!r})"
            problems.append(
                Problem(
                    text,
                    problem_code(check),
                    file=source,
                    column=f"{name}.{column}" if column and column != name else name,
                    **_locate(df, case.get("index")),
                )
            )
        problems = list(dict.fromkeys(problems))
        raise ValidationFailed(
            f"{name}: {len(problems)} problem(s); nothing was published",
            problems,
            hint="fix the source row, or record an erratum in pipeline/data/errata.toml",
        ) from None
