"""The Python API for people who consume the dataset (``pip install`` the project, or
vendor its ``build/``).

Input: a published build directory (``data``; default: ``build/`` in the current
directory when there is one, else the dataset of the embedded snapshot that the package
ships).  Output: a published table as plain typed dicts (``read``, no pandas) or as a
pandas DataFrame with the dtypes of its schema (``load``), the rows that answer a query
(``query``, the filters of ``citrix-ports query``, names also by component id or alias),
the components with their ids (``components``), the build's manifest (``manifest``).
Every table is checked against its schema first; a missing or damaged build raises a
``pipeline.errors.PipelineError`` (``InputError`` or ``DataError``) that says which file,
line and column; a ``DataError``'s ``problems`` are ``pipeline.errors.Problem`` records
(code, message, line, column, hint …) to read rather than parse.

>>> from pipeline import api
>>> rows = api.query(port=1494, protocol="tcp")
>>> sorted({(r["source"], r["destination"]) for r in rows})[:1]
[('Application Citrix Workspace', 'Virtual Delivery Agent')]
"""

from __future__ import annotations

from pathlib import Path

from pipeline.dataset import published
from pipeline.errors import InputError, Location

__all__ = ["components", "dataset", "load", "manifest", "query", "read"]


def dataset(data: str | Path | None = None) -> Path:
    """The build directory the other functions read: ``data`` when given, else
    ``build/`` in the current directory, else the packaged dataset.

    >>> dataset().joinpath("ports.csv").is_file()
    True
    """
    return Path(data) if data is not None else published.default_data()


def read(table: str = "ports", data: str | Path | None = None) -> list[dict]:
    """A published table as a list of dicts, each value typed by the schema (``int`` or
    ``None`` for ports, ``bool``, ``str``); no pandas needed.

    >>> row = read("ports")[0]
    >>> type(row["port_start"]), type(row["bidirectional"])
    (<class 'int'>, <class 'bool'>)
    """
    return published.read(dataset(data), table).rows


def load(table: str = "ports", data: str | Path | None = None):
    """A published table as a pandas DataFrame with the dtypes of its schema: ``Int64``
    for ports and positions (ICMP rows have no port), ``boolean``, categoricals for
    ``protocol``, ``service`` and ``kind``, ``string`` for text.

    >>> df = load("ports")
    >>> str(df["port_start"].dtype), str(df["protocol"].dtype)
    ('Int64', 'category')
    """
    import pandas as pd

    from pipeline.dataset.schema import columns, consumer_dtypes

    rows = read(table, data)
    frame = pd.DataFrame.from_records(rows, columns=columns(table))
    return frame.astype(consumer_dtypes(table))


def query(
    data: str | Path | None = None,
    *,
    component: str | None = None,
    source: str | None = None,
    destination: str | None = None,
    port: int | str | None = None,
    protocol: str | None = None,
    section: str | None = None,
    ranges: bool = False,
    without: tuple[str, ...] = (),
) -> list[dict]:
    """The ports rows that answer every filter given, as ``citrix-ports query`` answers:
    names match as substrings, case- and accent-insensitively, or as a component id or
    an alias in any language of the component registry; ``port`` is a port, a list or a
    range (``"443,80"``, ``"1494-2598"``); a bidirectional flow matches both ways;
    ``without`` leaves out the flows required only under those conditions (``("edt",)``).

    >>> {r["destination"] for r in query(source="storefront", port=389)}
    {'Contrôleur de domaine'}
    >>> {r["destination"] for r in query(source="StoreFront Server", destination="domain-controller")}
    {'Contrôleur de domaine'}
    """
    from pipeline.dataset.query import Filters, check_conditions, parse_ports
    from pipeline.dataset.query import query as run
    from pipeline.registry.components import load as load_registry

    filters = Filters(
        component=component,
        source=source,
        destination=destination,
        ports=parse_ports(str(port)) if port is not None else None,
        protocol=protocol,
        section=section,
        ranges=ranges,
        registry=load_registry() if component or source or destination else None,
        without=tuple(without),
    )
    rows = read("ports", data)
    check_conditions(filters.without, rows)
    return run(rows, filters)


def components(data: str | Path | None = None) -> list[dict]:
    """The components of a build with their registry identity: ``component_id``, the
    English ``name``, ``kind``, ``family``, ``members``, the ``page_names`` and ``flows``.

    >>> next(c for c in components() if c["component_id"] == "storefront-server")["kind"]
    'component'
    """
    return read("components", data)


def manifest(data: str | Path | None = None) -> dict:
    """The build's ``manifest.json``: source and provenance, counts, errata, warnings,
    each artifact's checksum.

    >>> manifest()["counts"]["rules"] > 0
    True
    """
    folder = dataset(data)
    found = published.build_manifest(folder)
    if not found:
        raise InputError(
            "no readable manifest.json here",
            Location(str(folder / "manifest.json")),
            hint="give the directory of a citrix-ports build",
        )
    return found
