"""The whole pipeline: raw snapshot -> tables -> rules -> ports -> ids -> validated -> published.

Input: a snapshot file (text rendering, Markdown source or HTML; recognised from its
content), the errata, the component registry and an output directory.  Output: the
published ``build/`` files and a report of counts, errata applied and stale, unknown
names, and rejects.  Raises a ``PipelineError`` (located, with an exit code) on bad
input, failed validation or, with ``strict``, stale errata or unknown names; nothing is
published then.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.catalogue import Notice, warning
from pipeline.core.bounded import read_input
from pipeline.core.normalize import lines
from pipeline.dataset.schema import (
    IDENTITY_COLUMNS,
    columns,
    field_types,
    frame_records,
    typed_frame,
)
from pipeline.errors import (
    GuardFailed,
    InputError,
    Location,
    PipelineError,
    StaleErrata,
    UnknownNames,
    ValidationFailed,
)
from pipeline.page.detect import decode_page, detect_form, detect_locale, locale_warning
from pipeline.page.model import Page
from pipeline.page.readers import read_page
from pipeline.page.vocabulary import load as load_vocabulary
from pipeline.registry.components import REGISTRY_FILE
from pipeline.registry.components import load as load_registry
from pipeline.source.raw_manifest import declared_charset, disagreement, entry_of, provenance
from pipeline.stages import outdir
from pipeline.stages.elsewhere import ports_elsewhere
from pipeline.stages.errata import ERRATA_FILE, load_errata
from pipeline.stages.identify import Unknown, components_table, identify
from pipeline.stages.peers import with_peers
from pipeline.stages.ports import PortsResult, ports_frame
from pipeline.stages.prose import prose_flows
from pipeline.stages.publish import artifact_names, publish
from pipeline.stages.rules import rules_frame, sections_document
from pipeline.stages.settle import settle_from_previous, without_history
from pipeline.stages.validate import validate


def reconcile(rules: pd.DataFrame, result: PortsResult) -> dict:
    """Every rule in exactly one of ports, rejects, notes; the counts add up."""
    in_ports = set(result.ports["rule_id"])
    in_rejects = set(result.rejects["rule_id"])
    in_notes = set(result.notes)
    all_rules = set(rules["rule_id"])
    problems = []
    for a, b, sa, sb in (
        (in_ports, in_rejects, "ports", "rejects"),
        (in_ports, in_notes, "ports", "notes"),
        (in_rejects, in_notes, "rejects", "notes"),
    ):
        for rid in sorted(a & b):
            problems.append(f"rule {rid} is in both {sa} and {sb}")
    for rid in sorted(all_rules - in_ports - in_rejects - in_notes):
        problems.append(f"rule {rid} is in none of ports, rejects, notes")
    for rid in sorted((in_ports | in_rejects | in_notes) - all_rules):
        problems.append(f"rule {rid} is not a rule of the page")
    counts = {
        "rules": len(rules),
        "rules_in_ports": len(in_ports),
        "rules_rejected": len(in_rejects),
        "rules_notes": len(in_notes),
        "rules_derived": len(result.derived),
        "rules_prose": int((rules["kind"] == "prose").sum()),
        "ports": len(result.ports),
    }
    if (
        counts["rules"]
        != counts["rules_in_ports"] + counts["rules_rejected"] + counts["rules_notes"]
    ):
        problems.append("rules != rules in ports + rejected + notes: " + json.dumps(counts))
    if problems:
        raise ValidationFailed("the counts of the stages do not reconcile", problems)
    return counts


SHRINK_THRESHOLD = 0.10  # a build losing more than this share of tables or rules fails


def shrink_guard(out: Path, rules: pd.DataFrame, tables: int, threshold: float) -> None:
    """Refuse to replace the build in ``out`` by one with fewer tables or rules by more
    than ``threshold``, naming the sections that shrank.  Raises ``GuardFailed``."""
    from pipeline.dataset.published import build_manifest, read

    try:
        old = build_manifest(out)["counts"]
        old_tables, old_rules = int(old["tables"]), int(old["rules"])
    except (KeyError, TypeError, ValueError):
        return  # no previous build to compare with
    new_rules = len(rules)
    if tables >= old_tables * (1 - threshold) and new_rules >= old_rules * (1 - threshold):
        return
    problems = [f"tables {old_tables} -> {tables}, rules {old_rules} -> {new_rules}"]
    try:
        before = Counter(r["section"] for r in read(out, "rules", False).rows)
        after = Counter(rules["section"])
        problems += [
            f"section {s!r}: {before[s]} -> {after.get(s, 0)} rules"
            for s in sorted(before)
            if after.get(s, 0) < before[s]
        ]
    except PipelineError:
        pass
    raise GuardFailed(
        f"the page lost more than {threshold:.0%} of the tables or rules of the build it "
        f"would replace ({out}); nothing was published:\n  " + "\n  ".join(problems),
        hint="check the snapshot (a lost table header or separator?); if the page really "
        "shrank, build with --allow-shrink",
    )


def with_ids(table: str, frame: pd.DataFrame, registry, unknown: Unknown) -> pd.DataFrame:
    """The frame with the registry ids of its names (``pipeline.stages.identify``)."""
    rows = identify(
        frame_records(frame[["section", "source", "destination", "source_line"]]), registry, unknown
    )
    frame = frame.copy()
    for col in IDENTITY_COLUMNS:
        frame[col] = pd.Series(
            [r[col] for r in rows], index=frame.index, dtype=field_types(table)[col].pandas
        )
    return frame


def line_counts(kinds: dict[str, int], text: str, source: str) -> dict[str, int]:
    """What the lines of the snapshot were read as, with their total; fails when they do
    not add up to the file (a line read as nothing, or twice)."""
    total = len(lines(text))
    if sum(kinds.values()) != total:
        raise ValidationFailed(
            f"{source}: the lines read ({sum(kinds.values())}) do not add "
            f"up to the lines of the file ({total})",
            [json.dumps(kinds)],
        )
    return {**kinds, "total": total}


@dataclass
class BuildResult:
    """What a build published: its manifest, and the ports stage's result."""

    manifest: dict
    result: PortsResult


@dataclass(frozen=True)
class BuildOptions:
    """How ``build`` runs: its options, whose defaults and meaning its signature and
    docstring give."""

    strict: bool
    locale: str | None
    errata_path: Path
    allow_shrink: bool
    shrink_threshold: float
    max_rejects: int | None
    spreadsheet: bool
    registry_path: Path
    allow_unrecorded: bool
    previous: Path | None


def build(
    input_path: Path,
    out: Path,
    *,
    strict: bool = False,
    locale: str | None = None,
    errata_path: Path = ERRATA_FILE,
    allow_shrink: bool = False,
    shrink_threshold: float = SHRINK_THRESHOLD,
    max_rejects: int | None = None,
    spreadsheet: bool = False,
    registry_path: Path = REGISTRY_FILE,
    allow_unrecorded: bool = False,
    previous: Path | None = None,
) -> BuildResult:
    """Run every stage from the snapshot ``input_path`` into ``out``; returns the
    manifest and the ports result.

    Raises ``InputError`` (the input cannot be read as a page), ``ValidationFailed`` (a
    stage broke its schema or the counts do not reconcile), ``GuardFailed`` (the page
    shrank against the build in ``out`` unless ``allow_shrink``, or more rules were
    rejected than ``max_rejects``) or, with ``strict``, ``StaleErrata`` or
    ``UnknownNames`` (a name the component registry of ``registry_path`` does not know);
    nothing is published then.  ``spreadsheet``: the CSV files get a byte order mark
    and ``;``.  A snapshot that is not the file its ``raw/manifest.json`` entry describes
    (another checksum) is refused, or with ``allow_unrecorded`` built without that entry's
    provenance, with a warning.  ``previous``: a published build whose ids the names no
    registry rule resolves may be inferred from (``pipeline.stages.infer``).  One build at a time writes ``out`` (``pipeline.stages.outdir``: checked first,
    locked, swapped in whole).
    """
    outdir.check(out.absolute(), artifact_names())  # fail before reading the page;
    with outdir.locked(out):  # publish checks again, under the lock
        return stages(
            input_path,
            out,
            BuildOptions(
                strict=strict,
                locale=locale,
                errata_path=errata_path,
                allow_shrink=allow_shrink,
                shrink_threshold=shrink_threshold,
                max_rejects=max_rejects,
                spreadsheet=spreadsheet,
                registry_path=registry_path,
                allow_unrecorded=allow_unrecorded,
                previous=previous,
            ),
        )


def stages(input_path: Path, out: Path, o: BuildOptions) -> BuildResult:
    """The stages of ``build``, under the lock of ``out``."""
    before = previous_ports(o.previous) if o.previous is not None else None
    snap = read_snapshot(input_path, o.locale, o.allow_unrecorded)
    name, page, locale, warnings = snap.name, snap.page, snap.locale, snap.warnings
    settled_rows: list[dict] = []
    if before is not None:  # rows a damaged row's readings leave open, the previous confirms
        said, settled_rows = settle_from_previous(page, previous_rules(o.previous) or before)
        warnings += said
    else:
        warnings += without_history(page)
    registry = load_registry(o.registry_path)
    unknown = Unknown()
    vocab = load_vocabulary()
    prose, said = prose_flows(page, vocab)
    warnings += said
    rules = validate("rules", with_ids("rules", rules_frame(page, prose), registry, unknown), name)
    errata = load_errata(o.errata_path)
    result = ports_frame(rules, errata, locale)
    warnings += result.warnings
    if o.strict and result.errata_stale:
        raise StaleErrata(
            "errata no longer match any row of the page: " + ", ".join(result.errata_stale),
            Location(str(o.errata_path)),
            hint="the page changed: review these errata, then update or remove them",
        )
    result.ports = with_ids("ports", result.ports, registry, unknown)
    inferred = []
    if before is not None:
        inferred = inferred_ids(result, before, unknown)
        rules = with_inferred_ids(rules, inferred)
    rows, result.peers, said = with_peers(
        frame_records(result.ports), page, vocab, registry, locale
    )
    result.ports = typed_frame("ports", rows)
    warnings += said
    warnings += with_derived(rules, result, vocab, registry)
    ports = validate("ports", result.ports, name)
    warnings += unknown.warnings() + unknown.review() + unknown.inferred_warnings(o.previous)
    if o.strict and unknown.first_line:
        raise UnknownNames(
            f"{len(unknown.first_line)} names of the page are not in the component registry:"
            "\n  " + "\n  ".join(w.message for w in unknown.warnings()),
            Location(str(input_path)),
            hint="add them to pipeline/data/components.toml (citrix-ports align LEFT RIGHT "
            "proposes entries), or build without --strict",
        )
    components = validate(
        "components",
        typed_frame(
            "components",
            components_table(frame_records(rules), frame_records(ports), registry, unknown),
        ),
        name,
    )
    rejects = validate("rejects", result.rejects, name)
    counts = reconcile(rules, result)
    counts = {
        "sections": len(page.sections),
        "tables": len(page.tables),
        **counts,
        "components": len(components),
        "unknown_names": unknown.counts(),
        "names_found_by": unknown.by_rule(),
    }
    if page.line_counts is not None:
        counts["lines"] = line_counts(page.line_counts, snap.text, str(input_path))
    if o.max_rejects is not None and len(rejects) > o.max_rejects:
        raise too_many_rejects(rejects, o.max_rejects, input_path)
    if not o.allow_shrink:
        shrink_guard(out, rules, len(page.tables), o.shrink_threshold)
    report = manifest_report(
        snap,
        locale=locale,
        counts=counts,
        result=result,
        inferred=inferred,
        settled_rows=settled_rows,
        warnings=warnings,
    )
    manifest = publish(
        out,
        {"rules": rules, "ports": ports, "rejects": rejects, "components": components},
        sections_document(page, ports_elsewhere(page, vocab, registry)),
        report,
        spreadsheet=o.spreadsheet,
    )
    return BuildResult(manifest, result)


def with_derived(rules: pd.DataFrame, result: PortsResult, vocab, registry) -> list[Notice]:
    """The flows the notes derive (``pipeline.stages.references``) added to ``result``:
    their rows among the ports at the note's place, the notes that derived them or were
    rejected no longer notes; the warnings."""
    from pipeline.stages.references import derive

    derived = derive(
        frame_records(rules), frame_records(result.ports), result.notes, vocab, registry
    )
    if derived.ports:
        both = pd.concat([result.ports, typed_frame("ports", derived.ports)], ignore_index=True)
        # the tables' rows in page order, then the flows read from prose (table 0)
        order = both.assign(_prose=both["table"] == 0)
        result.ports = both.loc[
            order.sort_values(["_prose", "table", "row"], kind="stable").index
        ].reset_index(drop=True)
    if derived.rejects:
        rejected = [
            {**{k: note[k] for k in columns("rejects") if k in note}, "reason": reason}
            for note, reason in derived.rejects
        ]
        result.rejects = typed_frame("rejects", frame_records(result.rejects) + rejected)
    gone = set(derived.rules) | {note["rule_id"] for note, _ in derived.rejects}
    result.notes = [n for n in result.notes if n not in gone]
    result.derived = derived.rules
    return derived.warnings


def manifest_report(
    snap: Snapshot,
    *,
    locale: str,
    counts: dict,
    result: PortsResult,
    inferred: list,
    settled_rows: list[dict],
    warnings: list[Notice],
) -> dict:
    """What ``manifest.json`` says of a build beside its artifacts: the source and its
    provenance, the counts, the errata applied and stale, the ids inferred, the rows
    settled and the warnings."""
    return {
        "source": {
            "name": snap.name,
            "sha256": hashlib.sha256(snap.data).hexdigest(),
            "bytes": len(snap.data),
            "form": snap.form,
            "encoding": snap.encoding,
            "locale": locale,
            **provenance(snap.entry),
        },
        "counts": counts,
        "errata": {
            "applied": {k: sorted(v) for k, v in sorted(result.errata_applied.items())},
            "stale": sorted(result.errata_stale),
        },
        "inferred": [
            {"name": i.name, "id": i.id, "previous_names": i.previous_names, "pairs": i.pairs}
            for i in inferred
        ],
        "settled": settled_rows,
        "peers": result.peers,
        "warnings": [w.as_dict() for w in warnings],
    }


def previous_ports(previous: Path) -> list[dict]:
    """The ports rows of the previous build (checked as ``diff`` checks them: a build of
    an earlier version may lack a column added since)."""
    from pipeline.dataset import published

    if not (previous / "ports.csv").is_file() and not previous.is_file():
        raise InputError(
            f"--previous {previous}: no published build there (no ports.csv)",
            Location(str(previous)),
            hint="give the directory of a build (the committed build/), or leave --previous out",
        )
    if previous.suffix == ".parquet":
        return published.read_parquet(previous, "ports").rows
    return published.read(previous, "ports", require_all_columns=False).rows


def previous_rules(previous: Path | None) -> list[dict]:
    """The rules of the previous build (the page's rows as read, before errata), when it
    is a build directory that has them ([] otherwise: its ports stand in)."""
    from pipeline.dataset import published

    if previous is None or not (previous / "rules.csv").is_file():
        return []
    return published.read(previous, "rules", require_all_columns=False).rows


def inferred_ids(result, before: list[dict], unknown: Unknown) -> list:
    """Ids inferred from the previous build for the unknown component names, given to the
    ports rows and noted in ``unknown`` (no longer unknown, found by ``inferred``)."""
    from pipeline.stages.infer import infer

    names = {n for w, n in unknown.first_line if w == "component"}
    inferred = infer(frame_records(result.ports), before, names)
    result.ports = with_inferred_ids(result.ports, inferred)
    for inference in inferred:
        unknown.inferred(inference)
    return inferred


def with_inferred_ids(frame: pd.DataFrame, inferred: list) -> pd.DataFrame:
    """The frame with the inferred ids at the ends that write those names."""
    if not inferred:
        return frame
    frame = frame.copy()
    for inference in inferred:
        for side in ("source", "destination"):
            at = (frame[side] == inference.name) & (frame[f"{side}_id"] == "")
            frame.loc[at, f"{side}_id"] = inference.id
    return frame


@dataclass
class Snapshot:
    """A snapshot read: its bytes and text, form, encoding, locale, its ``raw/manifest.json``
    entry (when it describes it), the page read, and the warnings so far."""

    name: str
    data: bytes
    text: str
    form: str
    encoding: str
    locale: str
    entry: dict
    page: Page
    warnings: list[Notice]


def read_snapshot(input_path: Path, locale: str | None, allow_unrecorded: bool) -> Snapshot:
    """The first stages of a build: the snapshot read (bounded), checked against its
    manifest entry, decoded, its locale settled and its page read, with a table at least.

    Raises ``InputError`` (located) when it cannot be read, is not the file its manifest
    entry describes (unless ``allow_unrecorded``) or holds no port table."""
    name = input_path.name
    data = read_input(input_path, "page", "input", missing="give --input the path of a snapshot")
    entry = entry_of(input_path)  # what raw/manifest.json says of the snapshot
    warnings: list[Notice] = []
    contradicted = disagreement(entry, data)
    if contradicted and not allow_unrecorded:
        raise InputError(
            f"the snapshot is not the file raw/manifest.json describes: {contradicted}",
            Location(str(input_path)),
            hint="fetch it again (citrix-ports fetch), restore raw/ from git, "
            "or --allow-unrecorded to build it without that provenance",
        )
    if contradicted:
        warnings.append(warning("snapshot-unrecorded", name=name, why=contradicted))
        entry = {}
    decoded = decode_page(data, str(input_path), declared_charset(entry))
    text = decoded.text
    form = detect_form(text)
    if locale:
        warnings += [w for w in [locale_warning(text, locale)] if w]
    elif entry.get("locale"):
        # the locale fetch recognised and recorded for this snapshot (the page's lang, the
        # URL's /ja-jp/ or /jp/ja/, its words)
        locale = entry["locale"]
        warnings += [w for w in [locale_warning(text, locale, recorded=True)] if w]
    locale = locale or detect_locale(text, url=entry.get("url"))
    page = read_page(text, form, str(input_path), locale)
    warnings += [w.retold(str(input_path), name) for w in page.warnings]
    if not page.tables:
        raise InputError(
            "no port table found (a table starts with a header row such as "
            "'Source | Destination | Type | Port | Details')",
            Location(str(input_path)),
            hint="check that the input is the Citrix communication ports page",
        )
    for table in page.tables:
        if not table.rows:
            raise InputError(
                "the table has a header but no rows (is the input truncated?)",
                Location(str(input_path), table.line, table.number, section=table.section.heading),
            )
    return Snapshot(name, data, text, form, decoded.encoding, locale, entry, page, warnings)


def too_many_rejects(rejects, max_rejects: int, input_path: Path) -> GuardFailed:
    """The guard's error for more rejected rules than ``--max-rejects``, listing them."""
    return GuardFailed(
        f"{len(rejects)} rules were rejected, more than --max-rejects {max_rejects}; "
        "nothing was published:\n  "
        + "\n  ".join(
            f"line {r['source_line']}, section {r['section']!r}: {r['reason']}"
            for r in frame_records(rejects)
        ),
        Location(str(input_path)),
        hint="fix the page or record an erratum; raise --max-rejects if these are accepted",
    )
