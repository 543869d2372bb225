"""Publishing stage: deterministic CSV, JSON and Parquet, datapackage and manifest.

Input: the validated ``rules``, ``ports`` and ``rejects`` frames, the sections document
and the build report.  Output: the files of ``build/`` (including ``report.md``, made by
``pipeline.report``), written into a fresh directory
beside it and swapped in whole, so a failed build leaves the previous ``build/``
untouched.

CSV is UTF-8, RFC 4180 (CRLF line ends, minimal quoting), header row first.  The page is
untrusted input: a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return would run as a formula in a spreadsheet, so in the CSV files (only there)
such a cell gets a leading apostrophe ``'`` (the OWASP "CSV injection" advice); JSON and
Parquet keep the text as it is.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline import __version__
from pipeline.errors import InputError, Location
from pipeline.report import report_markdown
from pipeline.validate import table_schema

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
TABLES = ("rules", "ports", "rejects")
GENERATOR = f"citrix-ports {__version__}"
ARROW_TYPES = {"string": pa.string(), "integer": pa.int64(), "boolean": pa.bool_()}


def neutralise(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


def _records(df: pd.DataFrame, name: str) -> list[dict]:
    types = {f["name"]: f["type"] for f in table_schema(name)["fields"]}
    out = []
    for row in df.to_dict("records"):
        rec = {}
        for col, kind in types.items():
            v = row[col]
            if kind == "integer":
                rec[col] = None if pd.isna(v) else int(v)
            elif kind == "boolean":
                rec[col] = bool(v)
            else:
                rec[col] = str(v)
        out.append(rec)
    return out


def csv_text(records: list[dict], columns: list[str]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(columns)
    for rec in records:
        row = []
        for col in columns:
            v = rec[col]
            if v is None:
                row.append("")
            elif isinstance(v, bool):
                row.append("true" if v else "false")
            elif isinstance(v, int):
                row.append(str(v))
            else:
                row.append(neutralise(v))
        writer.writerow(row)
    return buf.getvalue()


def json_text(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def write_parquet(records: list[dict], name: str, path: Path) -> None:
    fields = table_schema(name)["fields"]
    schema = pa.schema([pa.field(f["name"], ARROW_TYPES[f["type"]]) for f in fields])
    table = pa.Table.from_pylist(records, schema=schema)
    pq.write_table(table, path, compression="zstd", write_statistics=True)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def datapackage(report: dict) -> dict:
    resources = []
    for name in TABLES:
        schema = {k: v for k, v in table_schema(name).items() if k != "$comment"}
        resources.append({
            "name": name,
            "path": f"{name}.csv",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "title": schema.get("title", name),
            "description": schema.get("description", ""),
            "dialect": {"csv": {"delimiter": ",", "lineTerminator": "\r\n", "quoteChar": '"',
                                "header": True}},
            "schema": schema,
            "x-alternates": [{"path": f"{name}.json", "format": "json"},
                             {"path": f"{name}.parquet", "format": "parquet"}],
        })
    resources.append({"name": "sections", "path": "sections.json", "type": "json",
                      "format": "json", "mediatype": "application/json",
                      "description": "Headings, prose notes and tables of the page, in order."})
    return {
        "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
        "name": "citrix-communication-ports",
        "title": "Communication ports used by Citrix technologies",
        "description": "Network flows (source, destination, protocol, port range) of Citrix's "
                       "page 'Communication Ports Used by Citrix Technologies', extracted, "
                       "validated and normalised by citrix-ports.",
        "version": __version__,
        "x-locale": report["source"]["locale"],
        "sources": [{"title": report["source"]["name"],
                     **({"path": report["source"]["url"]} if report["source"].get("url") else {})}],
        "resources": resources,
    }


def check_out_dir(out: Path) -> None:
    """Refuse to replace a directory that is not a build of ours."""
    if not out.exists():
        return
    if not out.is_dir():
        raise InputError("the output exists and is not a directory", Location(str(out)))
    entries = [p for p in out.iterdir() if p.name != ".gitkeep"]
    if not entries:
        return
    manifest = out / "manifest.json"
    try:
        generator = json.loads(manifest.read_text("utf-8")).get("generator", "")
    except (OSError, ValueError):
        generator = ""
    if not generator.startswith("citrix-ports"):
        raise InputError("the output directory holds files that are not a citrix-ports build; "
                         "refusing to replace it", Location(str(out)),
                         hint="give --out an empty or new directory")


def publish(out: Path, frames: dict[str, pd.DataFrame], sections: dict, report: dict) -> dict:
    """Write every artifact aside, then swap the directory in whole; returns the manifest."""
    out = out.resolve()
    check_out_dir(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    tmp.chmod(0o755)
    try:
        artifacts = {}
        records_of = {}
        for name in TABLES:
            records = records_of[name] = _records(frames[name], name)
            columns = [f["name"] for f in table_schema(name)["fields"]]
            (tmp / f"{name}.csv").write_text(csv_text(records, columns), "utf-8", newline="")
            (tmp / f"{name}.json").write_text(json_text(records), "utf-8")
            write_parquet(records, name, tmp / f"{name}.parquet")
        (tmp / "sections.json").write_text(json_text(sections), "utf-8")
        (tmp / "report.md").write_text(
            report_markdown(records_of["ports"], records_of["rejects"], report), "utf-8")
        (tmp / "datapackage.json").write_text(json_text(datapackage(report)), "utf-8")
        for path in sorted(tmp.iterdir()):
            artifacts[path.name] = {"sha256": sha256(path), "bytes": path.stat().st_size}
        manifest = {"generator": GENERATOR, **report, "artifacts": artifacts}
        (tmp / "manifest.json").write_text(json_text(manifest), "utf-8")
        if (out / ".gitkeep").exists():
            (tmp / ".gitkeep").touch()
        old = None
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            os.rmdir(old)
            os.replace(out, old)
        os.replace(tmp, out)
        if old:
            shutil.rmtree(old, ignore_errors=True)
        return manifest
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
