"""Publishing stage: deterministic CSV, JSON and Parquet, datapackage and manifest.

Input: the validated ``rules``, ``ports`` and ``rejects`` frames, the sections document
and the build report.  Output: the files of ``build/`` (including ``report.md``, made by
``pipeline.stages.report``), written into a fresh directory
beside it and swapped in whole, so a failed build leaves the previous ``build/``
untouched.

The CSV dialect and its formula safety are ``pipeline.dataset.published``'s.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline import __version__
from pipeline.core.atomic import unwritable
from pipeline.dataset.published import csv_text
from pipeline.dataset.schema import TABLES, arrow_schema, columns, frame_records, table_schema
from pipeline.stages import outdir
from pipeline.stages.report import report_markdown

GENERATOR = f"citrix-ports {__version__}"

if TYPE_CHECKING:
    import pandas as pd


# One record of scalars, encoded by json's C encoder (``indent`` makes json encode in
# Python): these separators give the text of ``indent=2`` inside a list.
_RECORD = json.JSONEncoder(ensure_ascii=False, separators=(",\n    ", ": "))


def json_text(data) -> str:
    """JSON as published: UTF-8 text, two-space indent, a final newline."""
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def records_json(rows: list[dict]) -> str:
    """Records of a table (every value a string, number, boolean or null) as
    ``json_text`` writes them, five times faster.

    >>> rows = [{"a": 1, "b": "é\\n", "c": None, "d": True}]
    >>> records_json(rows) == json_text(rows) and records_json([]) == json_text([])
    True
    """
    if not rows or not all(rows):
        return json_text(rows)
    return (
        "[\n" + ",\n".join("  {\n    " + _RECORD.encode(r)[1:-1] + "\n  }" for r in rows) + "\n]\n"
    )


def write_parquet(rows: list[dict], name: str, path: Path) -> None:
    """Published records as a Parquet file with the table's Arrow schema (zstd)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist(rows, schema=arrow_schema(name))
    pq.write_table(table, path, compression="zstd", write_statistics=True)


def sha256(path: Path) -> str:
    """The hex SHA-256 of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def datapackage(report: dict, spreadsheet: bool = False) -> dict:
    """The Frictionless Data Package of a build (the schemas of ``schemas/`` inline)."""
    resources = []
    for name in TABLES:
        schema = {k: v for k, v in table_schema(name).items() if k != "$comment"}
        resources.append(
            {
                "name": name,
                "path": f"{name}.csv",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8-sig" if spreadsheet else "utf-8",
                "title": schema.get("title", name),
                "description": schema.get("description", ""),
                "dialect": {
                    "csv": {
                        "delimiter": ";" if spreadsheet else ",",
                        "lineTerminator": "\n",
                        "quoteChar": '"',
                        "header": True,
                    }
                },
                "schema": schema,
                "x-alternates": [
                    {"path": f"{name}.json", "format": "json"},
                    {"path": f"{name}.parquet", "format": "parquet"},
                ],
            }
        )
    resources.append(
        {
            "name": "sections",
            "path": "sections.json",
            "type": "json",
            "format": "json",
            "mediatype": "application/json",
            "description": "Headings, prose notes and tables of the page, in order.",
        }
    )
    return {
        "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
        "name": "citrix-communication-ports",
        "title": "Communication ports used by Citrix technologies",
        "description": "Network flows (source, destination, protocol, port range) of Citrix's "
        "page 'Communication Ports Used by Citrix Technologies', extracted, "
        "validated and normalised by citrix-ports.",
        "version": __version__,
        "x-locale": report["source"]["locale"],
        "sources": [
            {
                "title": report["source"]["name"],
                **({"path": report["source"]["url"]} if report["source"].get("url") else {}),
            }
        ],
        "resources": resources,
    }


def artifact_names() -> set[str]:
    """The file names a build writes (besides ``manifest.json``)."""
    return {f"{t}.{ext}" for t in TABLES for ext in ("csv", "json", "parquet")} | {
        "sections.json",
        "report.md",
        "datapackage.json",
    }


def publish(
    out: Path,
    frames: dict[str, pd.DataFrame],
    sections: dict,
    report: dict,
    spreadsheet: bool = False,
) -> dict:
    """Write every artifact aside, then swap the directory in whole; returns the manifest.
    ``spreadsheet``: CSV with a byte order mark and ``;`` (see ``published.csv_text``)."""
    out = out.absolute()
    outdir.check(out, artifact_names())
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
        tmp.chmod(0o755)
    except OSError as exc:
        raise unwritable(out.parent, exc, "give another --out") from None
    try:
        artifacts = {}
        records_of = {}
        for name in TABLES:
            # validated frames: their columns hold the published types (str, Int64, bool)
            rows = records_of[name] = frame_records(frames[name][columns(name)])
            (tmp / f"{name}.csv").write_text(
                csv_text(rows, columns(name), spreadsheet), "utf-8", newline=""
            )
            (tmp / f"{name}.json").write_text(records_json(rows), "utf-8")
            write_parquet(rows, name, tmp / f"{name}.parquet")
        (tmp / "sections.json").write_text(json_text(sections), "utf-8")
        (tmp / "report.md").write_text(
            report_markdown(records_of["ports"], records_of["rejects"], report, sections), "utf-8"
        )
        (tmp / "datapackage.json").write_text(json_text(datapackage(report, spreadsheet)), "utf-8")
        for path in sorted(tmp.iterdir()):
            artifacts[path.name] = {"sha256": sha256(path), "bytes": path.stat().st_size}
        manifest = {"generator": GENERATOR, **report, "artifacts": artifacts}
        (tmp / "manifest.json").write_text(json_text(manifest), "utf-8")
        if (out / ".gitkeep").exists():
            (tmp / ".gitkeep").touch()
        outdir.swap_in(tmp, out)
        return manifest
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise unwritable(out, exc, "give another --out") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
