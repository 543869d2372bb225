"""Nothing lost, nothing invented: small damage to a copy of the French snapshot gives a
located error, a reject or a warning, never a silent change of the data.

Line numbers are those of raw/citrix-communication-ports.txt; each edit asserts the line
it changes first.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from cli_args import build_args

from conftest import SNAPSHOT
from pipeline.cli import main
from pipeline.errors import GuardFailed, InputError
from pipeline.stages.build import build

LINES = SNAPSHOT.read_text("utf-8").splitlines()


def edited(tmp_path, edit) -> Path:
    lines = list(LINES)
    edit(lines)
    path = tmp_path / "edited.txt"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def published(out, name):
    return pd.read_csv(out / f"{name}.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def good(built):
    """The snapshot's build (the session's, read only)."""
    return built[0]


def flows(out):
    cols = ["section", "source", "destination", "protocol", "port_start", "port_end"]
    return sorted(map(tuple, published(out, "ports")[cols].values.tolist()))


def test_a_table_without_its_separator_line_is_still_read(tmp_path, good, capsys):
    def drop_separator(lines):
        assert (
            lines[214 - 1].startswith("Source | Destination")
            and lines[215 - 1] == "---|---|---|---|---|"
        )
        del lines[215 - 1]

    out = tmp_path / "b"
    result = build(edited(tmp_path, drop_separator), out)
    counts = result.manifest["counts"]
    assert (counts["tables"], counts["rules"] - counts["rules_prose"]) == (20, 217)
    assert flows(out) == flows(good)
    assert any(
        ":214, section 'Citrix Virtual Apps and Desktops', table 13: the table header "
        "has no separator line" in w
        for w in [said["message"] for said in result.manifest["warnings"]]
    )


def test_a_row_that_lost_a_pipe_is_rejected_not_a_note(tmp_path, good):
    def lose_pipe(lines):
        assert lines[221 - 1] == "Director | TCP | 80, 443 | Communication avec Citrix Director | |"
        lines[221 - 1] = "Director | TCP  80, 443 | Communication avec Citrix Director | |"

    out = tmp_path / "b"
    result = build(edited(tmp_path, lose_pipe), out)
    rules = published(out, "rules")
    row = rules[rules["source_line"] == "221"].iloc[0]
    assert row["kind"] == "flow"
    rejects = published(out, "rejects")
    assert rejects["source_line"].tolist()[:2] == ["50", "221"]
    assert "TCP 80, 443" in rejects["reason"].iloc[1]
    # every other flow is still there
    # the rows below that took their source from it are rejected too, never mislabelled
    assert set(flows(out)) <= set(flows(good))
    lost = set(flows(good)) - set(flows(out))
    assert (
        "Citrix Virtual Apps and Desktops",
        "Delivery Controller",
        "Director",
        "tcp",
        "443",
        "443",
    ) in lost
    assert all(f[0] == "Citrix Virtual Apps and Desktops" for f in lost)
    assert all(int(line) in range(221, 225) for line in rejects["source_line"][1:])
    # the DaaS notes still derive their flows: the rows they name (lines 220, 222-224) stand
    assert result.manifest["counts"]["rules_derived"] == 2


def test_table_cells_outside_any_table_fail_with_their_line(tmp_path):
    def drop_header(lines):
        assert lines[214 - 1] == "Source | Destination | Type | Port | Détails |"
        del lines[214 - 1]

    with pytest.raises(InputError) as err:
        build(edited(tmp_path, drop_header), tmp_path / "b")
    assert "edited.txt:214" in str(err.value) and "outside any table" in str(err.value)


def test_a_header_with_unknown_words_is_read_by_content_with_a_warning(tmp_path, good):
    def misspell(lines):
        assert lines[214 - 1] == "Source | Destination | Type | Port | Détails |"
        lines[214 - 1] = "Source | Destinaton | Typ | Prt | Détails |"

    out = tmp_path / "b"
    result = build(edited(tmp_path, misspell), out)
    assert flows(out) == flows(good)
    assert any(
        ":214, section 'Citrix Virtual Apps and Desktops': the header words "
        "'Destinaton', 'Prt' are not in the vocabulary" in w
        for w in [said["message"] for said in result.manifest["warnings"]]
    ), [said["message"] for said in result.manifest["warnings"]]


def test_a_row_that_lost_every_pipe_is_named_in_a_warning(tmp_path):
    def lose_all_pipes(lines):
        # the last row of the Citrix Virtual Apps and Desktops table
        assert lines[235 - 1].startswith("HdxVideo.js | Virtual Delivery Agent | TCP | 9001 |")
        lines[235 - 1] = "HdxVideo.js Virtual Delivery Agent TCP 9001 Redirection vidéo HTML5"

    result = build(edited(tmp_path, lose_all_pipes), tmp_path / "b")
    assert any(
        ":235, section 'Citrix Virtual Apps and Desktops', table 13: the line after the "
        "table names a protocol and a port" in w
        for w in [said["message"] for said in result.manifest["warnings"]]
    )


def test_line_counts_add_up_to_the_file(good):
    lines = json.loads((good / "manifest.json").read_text())["counts"]["lines"]
    assert lines["total"] == len(LINES)
    assert sum(v for k, v in lines.items() if k != "total") == len(LINES)
    # 19 headers + 19 separators (the flattened Citrix ADM table is one line), every row line
    assert (lines["table_header"], lines["table_separator"], lines["table_flattened"]) == (
        19,
        19,
        1,
    )


@pytest.mark.slow  # a whole build or a real wait: make test runs it, test-fast does not
def test_a_page_that_shrank_fails_unless_allowed(tmp_path, good, capsys):
    out = tmp_path / "build"
    shutil.copytree(good, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def cut(lines):
        assert lines[213 - 1] == "Citrix Virtual Apps and Desktops"
        assert lines[245 - 1] == "Provisioning Services"
        del lines[213 - 1 : 245 - 1]  # two sections and their tables: 23 of 217 rules

    smaller = edited(tmp_path, cut)
    with pytest.raises(GuardFailed) as err:
        build(smaller, out)
    assert "section 'Citrix Virtual Apps and Desktops': 20 -> 0 rules" in str(err.value)
    assert "section 'Service d’authentification fédérée': 3 -> 0 rules" in str(err.value)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    code = main(build_args(str(smaller), str(out)))
    assert code == 6 and "--allow-shrink" in capsys.readouterr().err
    assert main(build_args(str(smaller), str(out), "--allow-shrink")) == 0


@pytest.mark.slow  # a whole build or a real wait: make test runs it, test-fast does not
def test_max_rejects(tmp_path, capsys):
    out = tmp_path / "b"
    assert main(build_args(str(SNAPSHOT), str(out), "--max-rejects", "1")) == 0
    code = main(build_args(str(SNAPSHOT), str(out), "--max-rejects", "0"))
    err = capsys.readouterr().err
    assert code == 6 and "1 rules were rejected, more than --max-rejects 0" in err
    assert "line 50, section 'Citrix ADM'" in err


def test_a_locale_the_page_contradicts_is_warned_about(tmp_path, capsys):
    code = main(build_args(str(SNAPSHOT), str(tmp_path / "b"), "--locale", "en-us"))
    err = capsys.readouterr().err
    assert code == 0
    assert "warning: --locale en-us, but the page looks fr-fr (its words: " in err
    assert "Détails" in err


def test_a_damaged_row_that_wrote_no_source_passes_on_the_source_above_intact():
    """Merged cells: the value the rows below inherit is as trusted as the row that wrote
    it; a damaged row between them that inherited it too taints nothing."""
    from pipeline.page.model import Row, Table, resolve_merged_cells

    roles = ["source", "destination", "type", "port", "details"]
    rows = [
        Row(cells=dict(zip(roles, c)), line=n, raw="")
        for n, c in enumerate(
            [
                ("A", "B", "TCP", "80", "a"),
                ("", "", "TCP", "81", "b"),
                ("", "", "TCP", "82", "c"),
            ],
            start=1,
        )
    ]
    rows[1].problems.append("damaged: something")  # the reader marked the middle row
    table = Table(number=1, section=None, header=roles, roles=roles, line=1, rows=rows)
    resolve_merged_cells(table)
    assert rows[2].cells["source"] == "A" and rows[2].problems == []
    rows = [
        Row(cells=dict(zip(roles, c)), line=n, raw="")
        for n, c in enumerate(
            [
                ("A", "B", "TCP", "80", "a"),
                ("X", "", "TCP", "81", "b"),
                ("", "", "TCP", "82", "c"),
            ],
            start=1,
        )
    ]
    rows[1].problems.append("damaged: something")  # this one wrote the Source
    table = Table(number=1, section=None, header=roles, roles=roles, line=1, rows=rows)
    resolve_merged_cells(table)
    assert rows[2].problems == [  # it may have misplaced any cell: nothing it passes on
        "its source comes from row 2 above, which is damaged",
        "its destination comes from row 2 above, which is damaged",
    ]


def published_flows(out) -> list[tuple]:
    """The published flows by content (their lines and rule ids left out)."""
    import csv as csv_module

    with (out / "ports.csv").open(encoding="utf-8") as f:
        return sorted(
            (
                r["section"],
                r["source"],
                r["destination"],
                r["protocol"],
                r["port_start"],
                r["port_end"],
                r["details"],
            )
            for r in csv_module.DictReader(f)
        )


def test_two_rows_joined_on_one_line_are_split_back(tmp_path, built, capsys):
    """A lost line break joins two rows under merged Source and Destination cells
    (``TCP | 3009 | … | || TCP | 3010 | … | ||``): they are read as two, with a warning,
    and every flow of the page is published as it was, none of the rows below rejected."""
    lines = SNAPSHOT.read_text("utf-8").split("\n")
    k = next(
        i
        for i in range(len(lines) - 1)
        if lines[i].startswith("TCP | ") and lines[i + 1].startswith("TCP | ")
    )
    joined = lines[:k] + [lines[k] + " " + lines[k + 1]] + lines[k + 2 :]
    page = tmp_path / SNAPSHOT.name
    page.write_text("\n".join(joined), "utf-8")
    assert main(build_args(str(page), str(tmp_path / "out"), "--locale", "fr-fr")) == 0
    err = capsys.readouterr().err
    assert f"{SNAPSHOT.name}:{k + 1}, section" in err and "two rows joined on one line" in err
    assert published_flows(tmp_path / "out") == published_flows(built[0])
    assert "rejected" in err and err.count("\nrejected:") == 1  # the page's own one


def test_a_line_of_too_many_cells_that_is_not_two_rows_is_still_marked():
    from pipeline.page.readers.text import read_text

    page = read_text(
        "P\n\nSource | Destination | Type | Port | Détails |\n---|---|---|---|---|\n"
        "A | B | TCP | 80 | web | extra words here | more |\n",
        "x.txt",
        "fr-fr",
    )
    row = page.tables[0].rows[0]
    assert len(page.tables[0].rows) == 1 and row.problems
    assert not any("joined" in w for w in page.warnings)


def split_row(line: str):
    from pipeline.page.readers.text import split_row as split

    return split(line)


def whole_row_with_rows_under(lines: list[str]) -> int:
    """The first line that writes every cell (no padding) with a row under its merged
    cells right after it."""
    return next(
        i
        for i in range(len(lines) - 1)
        if split_row(lines[i]) == (split_row(lines[i])[0], 0)
        and len(split_row(lines[i])[0]) == 5
        and lines[i + 1].startswith(("TCP | ", "UDP | "))
    )


def rewritten_snapshot(tmp_path, change) -> tuple[object, list[str], int]:
    """The snapshot with one line changed by ``change(lines) -> (lines, k)``, built."""
    lines = SNAPSHOT.read_text("utf-8").split("\n")
    new, k = change(lines)
    page = tmp_path / SNAPSHOT.name
    page.write_text("\n".join(new), "utf-8")
    out = tmp_path / "out"
    code = main(build_args(str(page), str(out), "--locale", "fr-fr"))
    assert code == 0
    return out, new, k


def test_a_row_split_over_two_lines_is_read_as_one(tmp_path, built, capsys):
    """A row broken after its Port (its Details on the next line), under which rows
    inherit its Source and Destination: read as one row, with a warning, and every flow
    of the page published as it was."""

    def split(lines):
        k = whole_row_with_rows_under(lines)
        head, _, details = lines[k].rstrip(" |").rpartition(" | ")
        return lines[:k] + [head + " |", details + " |"] + lines[k + 1 :], k

    out, _, k = rewritten_snapshot(tmp_path, split)
    err = capsys.readouterr().err
    assert f"a row split over lines {k + 1} and {k + 2}" in err
    assert published_flows(out) == published_flows(built[0])


def test_a_damaged_row_that_wrote_both_names_intact_passes_them_on(tmp_path, built, capsys):
    """A pipe added inside the Details of a row that writes Source and Destination, with
    rows below under its merged cells: the row is rejected, the rows below keep their
    flows (its names come before the damage)."""

    def extra_pipe(lines):
        k = whole_row_with_rows_under(lines)
        head, _, details = lines[k].rstrip(" |").rpartition(" | ")
        words = details.split(" ")
        return lines[:k] + [f"{head} | {' '.join(words[:-1])} | {words[-1]} |"] + lines[k + 1 :], k  # fmt: skip

    out, _, k = rewritten_snapshot(tmp_path, extra_pipe)
    before = {f for f in published_flows(built[0])}
    after = {f for f in published_flows(out)}
    lost = before - after
    # only the damaged row's own flows may be missing (rejected, with its line)
    import csv as csv_module

    with (out / "rejects.csv").open(encoding="utf-8") as f:
        rejected_lines = {int(r["source_line"]) for r in csv_module.DictReader(f)}
    assert k + 1 in rejected_lines, rejected_lines
    assert len(lost) <= 3, sorted(lost)[:5]


def test_a_row_that_wrote_fewer_names_than_the_table_passes_none_on():
    """Which name a row under merged cells wrote is unknown when it is damaged (a lost
    pipe between two names looks the same): the rows below are marked."""
    from pipeline.page.readers.text import read_text

    page = read_text(
        "P\n\nSource | Destination | Type | Port | Détails |\n---|---|---|---|---|\n"
        "A | B | TCP | 80 | web |\n"
        "C D | TCP | 81 | '22x' does | |\n"
        "TCP | 82 | under | ||\n",
        "x.txt",
        "fr-fr",
    )
    rows = page.tables[0].rows
    assert rows[1].intact == set()


def test_two_whole_rows_joined_on_one_line_are_split_back(tmp_path, built, capsys):
    """A lost line break between two rows that each write every name: read as two."""

    def join(lines):
        k = next(
            i
            for i in range(len(lines) - 1)
            if split_row(lines[i]) == (split_row(lines[i])[0], 0)
            and len(split_row(lines[i])[0]) == 5
            and split_row(lines[i + 1]) == (split_row(lines[i + 1])[0], 0)
            and len(split_row(lines[i + 1])[0]) == 5
            and all(re.search(r" \| (TCP|UDP) \| \d", x) for x in lines[i : i + 2])
        )
        return lines[:k] + [lines[k].rstrip("| ") + " | " + lines[k + 1]] + lines[k + 2 :], k

    out, _, k = rewritten_snapshot(tmp_path, join)
    assert "two rows joined on one line" in capsys.readouterr().err
    assert published_flows(out) == published_flows(built[0])


def test_what_every_reading_of_a_damaged_row_agrees_on_is_passed_on():
    """``Row.passes``: a damaged row whose line, read with one fault undone every way,
    always writes no Source passes on the one above it, whatever cell its placement put
    there; one that always writes the same Destination passes that on."""
    from pipeline.page.model import Row, Table, resolve_merged_cells

    roles = ["source", "destination", "type", "port", "details"]

    def resolved(cells, passes):
        rows = [
            Row(cells=dict(zip(roles, c)), line=n, raw="") for n, c in enumerate(cells, start=1)
        ]
        rows[1].problems.append("damaged: something")
        rows[1].passes = passes
        table = Table(number=1, section=None, header=roles, roles=roles, line=1, rows=rows)
        resolve_merged_cells(table)
        return rows

    rows = resolved(
        [("A", "B", "TCP", "80", "a"), ("X Y", "TCP", "", "81", "b"), ("", "", "TCP", "82", "c")],
        {"source": "", "destination": "X Y", "type": "TCP"},
    )
    assert (rows[2].cells["source"], rows[2].cells["destination"]) == ("A", "X Y")
    assert rows[2].problems == []
    rows = resolved(  # what the readings do not agree on stays suspect
        [("A", "B", "TCP", "80", "a"), ("X", "Y", "TCP", "81", "b"), ("", "", "TCP", "82", "c")],
        {"type": "TCP"},
    )
    assert rows[2].problems == [
        "its source comes from row 2 above, which is damaged",
        "its destination comes from row 2 above, which is damaged",
    ]


def reading(lines: list[str]) -> dict[int, tuple]:
    """Each row of the French snapshot's lines read, by its line: (cells, problems)."""
    from pipeline.page.readers.text import read_text

    page = read_text("\n".join(lines) + "\n", SNAPSHOT.name, "fr-fr")
    return {r.line: (r.cells, r.problems) for t in page.tables for r in t.rows}


def rows_of_shape(lines: list[str], names: int, padding: int) -> list[int]:
    """The lines (0-based) of rows that write ``names`` names, then a Type and a Port,
    with ``padding`` empty cells at the end, and a row of the same table after them."""
    flow = re.compile(r"^(?:TCP|UDP|TCP, UDP)$")
    return [
        i
        for i in range(len(lines) - 1)
        if (cells := split_row(lines[i]))[1] == padding
        and len(cells[0]) == names + 3
        and flow.match(cells[0][names])
        and split_row(lines[i + 1])[0]
    ]


def untouched_unchanged(before: dict, after: dict, moved) -> list[str]:
    """What changed of the rows the edit did not touch: ``moved(line)`` is where an
    untouched line went (None for a touched one)."""
    changed = []
    for line, (cells, problems) in before.items():
        new = moved(line)
        if new is not None and after.get(new) != (cells, problems):
            changed.append(f"line {line} -> {new}: {after.get(new)}")
    return changed


@pytest.mark.slow
@pytest.mark.parametrize(
    "names, padding, damage",
    [
        (1, 1, "pipe added in the details"),  # a row under a merged Source
        (0, 2, "pipe added in the details"),  # a row under merged Source and Destination
        (0, 2, "padding pipe lost"),
    ],
)
def test_a_row_that_lost_or_gained_one_pipe_leaves_the_rows_under_it_alone(names, padding, damage):
    """Every row of the snapshot of a shape, damaged: it is rejected (or read right) and
    every other row reads as before: what it passes on, every single-fault reading of its
    line agrees on."""
    before = reading(LINES)
    targets = rows_of_shape(LINES, names, padding)
    assert len(targets) >= 5, (names, padding)
    for k in targets:
        lines = list(LINES)
        head, _, details = lines[k].partition(" | ".join(split_row(lines[k])[0][: names + 2]))
        cells, pad = split_row(lines[k])
        if damage == "pipe added in the details":
            words = cells[-1].split(" ")
            if len(words) < 2:
                continue
            cells = [*cells[:-1], " ".join(words[:1]), " ".join(words[1:])]
        else:
            pad -= 1
        lines[k] = " | ".join(cells) + " |" + "|" * pad
        after = reading(lines)
        assert untouched_unchanged(before, after, lambda n, k=k: None if n == k + 1 else n) == [], (
            lines[k]
        )


def test_a_row_s_padding_on_a_line_of_its_own_is_read_with_it():
    """A line break before the last pipe of rows under merged cells: the lone ``|`` is the
    row's padding, and every row reads as before."""
    before = reading(LINES)
    for k in rows_of_shape(LINES, 1, 1)[:8]:
        lines = LINES[:k] + [LINES[k][:-1].rstrip(), "|"] + LINES[k + 1 :]
        after = reading(lines)
        assert untouched_unchanged(before, after, lambda n, k=k: n if n <= k + 1 else n + 1) == []


def test_two_rows_under_a_merged_source_joined_on_one_line_are_split_back():
    """A lost line break between two rows that each write a Destination (not a Source):
    read as two, since the second half's cells and the line's padding add up to the
    table's width; every row reads as before but for the joined line's second row."""
    before = reading(LINES)
    pairs = [k for k in rows_of_shape(LINES, 1, 1) if k + 1 in rows_of_shape(LINES, 1, 1)]
    assert len(pairs) >= 5
    for k in pairs[:8]:
        lines = LINES[:k] + [LINES[k].rstrip("| ") + " | " + LINES[k + 1]] + LINES[k + 2 :]
        after = reading(lines)
        assert (
            untouched_unchanged(
                before,
                after,
                lambda n, k=k: None if n in (k + 1, k + 2) else (n if n <= k else n - 1),
            )
            == []
        )
        assert reading_all(lines, k + 1) == [before[k + 1], before[k + 2]]  # both, whole


def reading_all(lines: list[str], line: int) -> list[tuple]:
    """Every row read from one line: (cells, problems)."""
    from pipeline.page.readers.text import read_text

    page = read_text("\n".join(lines) + "\n", SNAPSHOT.name, "fr-fr")
    return [(r.cells, r.problems) for t in page.tables for r in t.rows if r.line == line]


def test_a_row_under_a_merged_source_that_lost_its_last_pipe_taints_what_it_may_have_written():
    """``D | TCP | 443 | d |`` under a merged Source may be that row with its padding pipe
    lost, or a whole row ``S | D | …`` whose names lost the pipe between them: the line
    cannot tell, so the rows under it that inherit its cells are marked, never guessed.
    (Names the page writes elsewhere do not tell either: ``Service NTP | TCP, UDP | 123 |
    … |`` would read as ``Service`` to ``NTP``, two cells of other tables.)"""
    before = reading(LINES)
    targets = [
        k
        for k in rows_of_shape(LINES, 1, 1)
        if " " in split_row(LINES[k])[0][0] and LINES[k + 1].startswith(("TCP | ", "UDP | "))
    ]
    assert targets
    for k in targets:
        lines = LINES[:k] + [LINES[k][:-1].rstrip()] + LINES[k + 1 :]
        after = reading(lines)
        assert before[k + 2][1] == [] and any("damaged" in p for p in after[k + 2][1]), k


@pytest.mark.parametrize("names", [1, 2])
def test_names_alone_on_their_line_are_read_with_the_rest_of_their_row(names):
    """A line break after the names of a row (a whole row's Source and Destination, or a
    Destination under a merged Source): the names alone and the line under them are one
    row, since the line under them alone falls short of the table's width; every row
    reads as before."""
    before = reading(LINES)
    targets = rows_of_shape(LINES, names, 1 if names == 1 else 0)
    assert len(targets) >= 5
    for k in targets[:8]:
        cells = LINES[k].split(" | ")
        lines = [*LINES[:k], " | ".join(cells[:names]) + " |", " | ".join(cells[names:])]
        lines += LINES[k + 1 :]
        after = reading(lines)
        assert untouched_unchanged(before, after, lambda n, k=k: n if n <= k + 1 else n + 1) == []


@pytest.mark.slow  # a whole build or a real wait: make test runs it, test-fast does not
def test_the_previous_build_settles_rows_a_damaged_row_leaves_open(tmp_path, good, capsys):
    """``build --previous``: the rows under a damaged row whose readings differ in their
    names are published as before when the previous build has each of them under exactly
    one reading; one whose cells the previous build does not have stays rejected."""
    k = next(
        k
        for k in rows_of_shape(LINES, 1, 1)
        if " " in split_row(LINES[k])[0][0]
        and all(LINES[j].startswith(("TCP | ", "UDP | ")) for j in (k + 1, k + 2))
    )
    lines = LINES[:k] + [LINES[k][:-1].rstrip()] + LINES[k + 1 :]
    page = tmp_path / SNAPSHOT.name
    page.write_text("\n".join(lines) + "\n", "utf-8")
    args = ["build", "--input", str(page), "--locale", "fr-fr", "--allow-shrink"]
    assert main([*args, "--out", str(tmp_path / "alone")]) == 0
    err = capsys.readouterr().err  # without history: said, with what to do
    assert re.search(rf"row\(s\) \(line\(s\) [0-9, ]*\b{k + 2}\b.*--previous DIR", err), err
    assert main([*args, "--out", str(tmp_path / "with"), "--previous", str(good)]) == 0
    err = capsys.readouterr().err
    assert f":{k + 2}, section" in err and "under no other reading: taken so" in err
    assert "--previous DIR" not in err
    rejected = set(published(tmp_path / "with", "rejects")["source_line"])
    assert str(k + 1) in rejected and str(k + 2) not in rejected
    assert str(k + 2) in set(published(tmp_path / "alone", "rejects")["source_line"])
    manifest = json.loads((tmp_path / "with" / "manifest.json").read_text("utf-8"))
    assert k + 2 in [n for s in manifest["settled"] for n in s["lines"]]
    assert set(published_flows(tmp_path / "with")) <= set(published_flows(good))
    assert set(published_flows(good)) - set(published_flows(tmp_path / "with")) == {
        f for f in published_flows(good) if f[6] == split_row(LINES[k])[0][-1]
    }  # only the damaged row's own flows are missing
    # a previous build that lacks a row's cells confirms nothing for it
    changed = tmp_path / "changed.txt"
    other = list(LINES)
    other[k + 1] = other[k + 1].replace(split_row(LINES[k + 1])[0][-1], "other words", 1)
    changed.write_text("\n".join(other) + "\n", "utf-8")
    assert main(build_args(str(changed), str(tmp_path / "p"), "--locale", "fr-fr")) == 0  # fmt: skip
    assert main([*args, "--out", str(tmp_path / "with2"), "--previous", str(tmp_path / "p")]) == 0
    rejected = set(published(tmp_path / "with2", "rejects")["source_line"])
    assert str(k + 2) in rejected and str(k + 3) not in rejected


def test_two_readings_the_previous_build_both_has_settle_nothing():
    """History confirms one reading, it never chooses between two."""
    from pipeline.page.model import Page, Row, Section, Table
    from pipeline.stages.settle import settle_from_previous

    roles = ["source", "destination", "type", "port", "details"]
    row = Row(cells=dict(zip(roles, ("A", "B", "TCP", "80", "web"))), line=3, raw="")
    row.problems.append("its source comes from row 1 above, which is damaged")
    row.maybe = [{"source": "A"}, {"source": "X"}]
    section = Section(order=1, heading="S", line=1)
    table = Table(number=1, section=section, header=roles, roles=roles, line=1, rows=[row])
    page = Page("text", "fr-fr", "p.txt", [section], [table])
    previous = [
        {
            "section": "S",
            "source": s,
            "destination": "B",
            "type_raw": "TCP",
            "port_raw": "80",
            "details": "web",
        }  # fmt: skip
        for s in ("A", "X")
    ]
    assert settle_from_previous(page, previous) == ([], []) and row.problems
    said, records = settle_from_previous(page, previous[:1])
    assert said and not row.problems and row.cells["source"] == "A"
    assert records == [{"section": "S", "lines": [3], "values": {"source": "A"}, "readings": 2}]


@pytest.mark.slow  # a whole build or a real wait: make test runs it, test-fast does not
def test_a_pipe_added_inside_the_name_of_a_table_s_last_row_is_caught_by_the_previous_build(
    tmp_path, good, capsys
):
    """A table's last row is never padded: ``Service | CVAD | TCP | 443 | …`` for
    ``Service CVAD | TCP | 443 | …`` under a merged Source reads as a whole row.  Alone,
    the page cannot tell (it is published so: docs/reading-the-page.md); with the previous
    build, which has the row with the two names joined, it is rejected, never published
    with a Source of its own."""
    flow = re.compile(r"^(?:TCP|UDP|TCP, UDP)$")
    k = next(
        k
        for k in range(len(LINES) - 1)
        if "|" not in LINES[k + 1]
        and len(cells := split_row(LINES[k])[0]) == 4
        and flow.match(cells[1])
        and " " in cells[0]
    )
    name = split_row(LINES[k])[0][0]
    first, _, rest = name.partition(" ")
    lines = LINES[:k] + [LINES[k].replace(name, f"{first} | {rest}", 1)] + LINES[k + 1 :]
    page = tmp_path / SNAPSHOT.name
    page.write_text("\n".join(lines) + "\n", "utf-8")
    args = ["build", "--input", str(page), "--locale", "fr-fr", "--allow-shrink"]
    assert main([*args, "--out", str(tmp_path / "alone")]) == 0
    alone = published(tmp_path / "alone", "ports")
    assert first in set(alone[alone["source_line"] == str(k + 1)]["source"])  # read wrong
    assert main([*args, "--out", str(tmp_path / "with"), "--previous", str(good)]) == 0
    assert f":{k + 1}, section" in capsys.readouterr().err
    rejects = published(tmp_path / "with", "rejects")
    reason = rejects[rejects["source_line"] == str(k + 1)]["reason"].iloc[0]
    assert "last row (never padded)" in reason and name in reason
    ports = published(tmp_path / "with", "ports")
    assert str(k + 1) not in set(ports["source_line"])


def joined(lines: list[str], k: int) -> list[str]:
    """Lines ``k`` and ``k + 1`` (0-based) on one line, as a lost line break leaves them:
    the first line's end padding goes with it (the fuzzer's ``merge_rows``)."""
    return lines[:k] + [lines[k].rstrip("| ") + " | " + lines[k + 1]] + lines[k + 2 :]


def kinds(line: str) -> list[str]:
    from pipeline.page.readers.cells import classify
    from pipeline.page.vocabulary import load

    return [classify(c, load()) for c in split_row(line)[0]]


def joined_rows_read_back(k: int) -> None:
    """Rows ``k`` and ``k + 1`` joined on one line read as the two rows they were, and
    every other row as before."""
    before = reading(LINES)
    lines = joined(LINES, k)
    after = reading(lines)
    moved = lambda n: None if n in (k + 1, k + 2) else (n if n <= k else n - 1)  # noqa: E731
    assert untouched_unchanged(before, after, moved) == [], lines[k]
    assert reading_all(lines, k + 1) == [before[k + 1], before[k + 2]], lines[k]


def test_a_note_row_joined_to_the_row_above_it_is_split_back():
    """A note row (one cell of prose across the table, ``Le Cloud Connector agit … |
    ||||``) joined to the flow row above it: the note's cell and the line's padding add up
    to the table's width, so the line is read as the flow and the note."""
    notes = [
        k
        for k in range(1, len(LINES) - 1)
        if kinds(LINES[k + 1]) == ["prose"]
        and split_row(LINES[k + 1])[1] >= 2
        and "protocol" in kinds(LINES[k])
    ]
    assert notes
    for k in notes:
        joined_rows_read_back(k)


def test_a_row_whose_port_is_prose_joined_with_a_neighbour_is_split_back():
    """``Serveur StoreFront | TCP | Port non réservé sélectionné aléatoirement… | … | |``
    writes its Port in words: joined with the row above or below it, the line is still
    read as the two rows (a Type, the prose of a Port, then Details is a whole flow)."""
    prose_ports = [
        k
        for k in range(1, len(LINES) - 1)
        if (found := kinds(LINES[k]))
        and "protocol" in found
        and found[found.index("protocol") + 1 :][:2] == ["prose", "prose"]
        and split_row(LINES[k - 1])[0]
        and split_row(LINES[k + 1])[0]
    ]
    assert prose_ports
    for k in prose_ports:
        joined_rows_read_back(k - 1)  # the row above it, and it
        joined_rows_read_back(k)  # it, and the row below it


def url_broken() -> list[int]:
    """The rows (0-based first line) that a URL cell broke: a line ending with the URL,
    the row's Type, Port… on the next, and a row of the table after them (a table's
    last row is never padded: its width cannot tell)."""
    return [
        k
        for k in range(len(LINES) - 3)
        if split_row(LINES[k])[1] == 0
        and kinds(LINES[k])[-1:] == ["url"]
        and kinds(LINES[k + 1])[:2] == ["protocol", "port"]
        and "|" in LINES[k + 2]
    ]


@pytest.mark.parametrize(
    "damage",
    [
        "pipe lost after the Type",
        "pipe added in the details",
        "split after the Type",
        "padding on its own line",
    ],
)
def test_a_row_a_url_cell_broke_damaged_leaves_the_rows_under_it_alone(damage):
    """A row over two lines (``https://… |`` then ``HTTPS | 443 | ||``) whose second line
    lost a pipe is judged over its two lines: what every reading agrees on (no Source,
    its Destination, its Type) passes on; broken once more, it is read as one row."""
    before = reading(LINES)
    targets = url_broken()
    assert len(targets) >= 3
    checked = 0
    for k in targets:
        cells, pad = split_row(LINES[k + 1])
        rest = " | ".join(cells[1:]) + " |" + "|" * pad
        words = cells[-1].split(" ")
        added = [*cells[:-1], words[0], " ".join(words[1:])]
        edit = {
            "pipe lost after the Type": [f"{cells[0]} {rest}"],
            "pipe added in the details": [" | ".join(added) + " |" + "|" * pad],
            "split after the Type": [f"{cells[0]} |", rest],
            "padding on its own line": [" | ".join(cells) + " |", "|" * pad],
        }[damage]
        if not edit[-1] or (damage == "pipe added in the details" and len(words) < 2):
            continue  # no padding to move, no details to cut
        lines = LINES[: k + 1] + edit + LINES[k + 2 :]
        after = reading(lines)
        shift = len(edit) - 1
        if damage.startswith("pipe"):
            moved = lambda n, k=k: None if n == k + 1 else n  # noqa: E731
        else:  # read as one row: every row as before
            moved = lambda n, k=k, s=shift: n if n <= k + 1 else n + s  # noqa: E731
        assert untouched_unchanged(before, after, moved) == [], (damage, edit)
        checked += 1
    assert checked, damage  # at least one row of the page has the shape damaged


def test_names_alone_before_a_row_a_url_cell_broke_are_read_with_it():
    """``Cloud Connector |`` on a line of its own before ``http://… |`` and ``HTTP | 80 |
    … |``: the three lines are one row (the names and the rest add up to the width)."""
    before = reading(LINES)
    targets = [k for k in url_broken() if len(split_row(LINES[k])[0]) == 2]
    assert targets
    for k in targets:
        source, url = split_row(LINES[k])[0]
        lines = LINES[:k] + [f"{source} |", f"{url} |"] + LINES[k + 1 :]
        after = reading(lines)
        moved = lambda n, k=k: n if n <= k + 1 else n + 1  # noqa: E731
        assert untouched_unchanged(before, after, moved) == []


@pytest.mark.slow  # a whole build or a real wait: make test runs it, test-fast does not
def test_a_url_that_lost_the_pipe_before_it_leaves_readings_a_previous_build_settles(
    tmp_path, good, capsys
):
    """``Cloud Connector http://*.digicert.com |``: the row still ends with a URL, so its
    next line is its rest; its readings differ on the Source (``Cloud``, ``Cloud
    Connector``…), so the rows under it are rejected alone and published with the
    previous build, which has exactly one of those readings."""
    k = next(k for k in url_broken() if len(split_row(LINES[k])[0]) == 2)
    source, url = split_row(LINES[k])[0]
    lines = LINES[:k] + [f"{source} {url} |"] + LINES[k + 1 :]
    page = tmp_path / SNAPSHOT.name
    page.write_text("\n".join(lines) + "\n", "utf-8")
    args = ["build", "--input", str(page), "--locale", "fr-fr", "--allow-shrink"]
    assert main([*args, "--out", str(tmp_path / "alone")]) == 0
    rejected = set(published(tmp_path / "alone", "rejects")["source_line"])
    assert str(k + 1) in rejected and str(k + 3) in rejected
    assert main([*args, "--out", str(tmp_path / "with"), "--previous", str(good)]) == 0
    rejected = set(published(tmp_path / "with", "rejects")["source_line"])
    assert str(k + 1) in rejected and str(k + 3) not in rejected
    ports = published(tmp_path / "with", "ports")
    assert set(ports[ports["source_line"] == str(k + 3)]["source"]) == {source}


@pytest.mark.slow  # a whole build or a real wait: make test runs it, test-fast does not
def test_a_row_an_erratum_rewrites_is_settled_by_the_previous_build_s_rules(tmp_path, good, capsys):
    """The previous build publishes an erratum's rewrite of a row (``TCP, UDP TCP`` and
    ``53, 389`` as two flows), not the row as the page writes it: the row is confirmed by
    that build's rules (its page as read), so it settles like any other."""
    rules = published(good, "rules")
    ports = published(good, "ports")
    rewritten = set(ports[ports["erratum"] != ""]["source_line"])
    targets = [
        int(r.source_line) - 1
        for r in rules.itertuples()
        if r.source_line in rewritten
        and r.source_inherited == "true"
        and (cells := split_row(LINES[int(r.source_line) - 2]))[1] == 1
        and len(cells[0]) == 4
    ]
    assert targets
    left_open = 0
    for k in targets:
        lines = list(LINES)
        lines[k - 1] = lines[k - 1].rstrip("| ") + " |"  # the row above lost its padding
        page = tmp_path / SNAPSHOT.name
        page.write_text("\n".join(lines) + "\n", "utf-8")
        args = ["build", "--input", str(page), "--locale", "fr-fr", "--allow-shrink"]
        assert main([*args, "--out", str(tmp_path / f"alone{k}")]) == 0
        if str(k + 1) not in set(published(tmp_path / f"alone{k}", "rejects")["source_line"]):
            continue  # the damaged row above is rejected itself, and leaves this one read
        left_open += 1
        out = tmp_path / f"with{k}"
        assert main([*args, "--out", str(out), "--previous", str(good)]) == 0
        assert str(k + 1) not in set(published(out, "rejects")["source_line"])
        now = published(out, "ports")
        assert len(now[now["source_line"] == str(k + 1)]) == len(
            ports[ports["source_line"] == str(k + 1)]
        )
    assert left_open  # the damage left at least one rewritten row open


def test_a_row_a_url_cell_broke_joined_to_the_row_before_it_is_split_back():
    """A lost line break before a row a URL cell broke (``HTTPS | 443 | https://… |``
    after ``https://… |``, then ``HTTPS | 443 | ||``): the three lines are the two rows
    they were, since the second's URL, its rest and the padding add up to the width."""
    before = reading(LINES)
    starts = url_broken()
    targets = [k for k in starts if k - 2 in starts]
    assert targets
    for k in targets:
        lines = joined(LINES, k - 1)  # the row above's second line, and this row's URL
        after = reading(lines)
        moved = lambda n, k=k: None if n in (k - 1, k + 1) else (n if n < k else n - 1)  # noqa: E731
        assert untouched_unchanged(before, after, moved) == [], lines[k - 1]
        assert reading_all(lines, k - 1) == [before[k - 1], before[k + 1]], lines[k - 1]


def test_a_pipe_added_after_the_url_that_broke_a_row_leaves_the_rows_under_it_alone():
    """``https://… | |`` for ``https://… |``: the line no longer ends where a URL cell
    broke it, but falls as short of the table's width as it did and the next line
    brings the rest within one: the two lines are read as the row, rejected, and what
    every reading of it agrees on passes on."""
    before = reading(LINES)
    targets = url_broken()
    assert len(targets) >= 3
    for k in targets:
        lines = LINES[:k] + [LINES[k] + " |"] + LINES[k + 1 :]
        after = reading(lines)
        assert any(after[k + 1][1]), lines[k]  # the damaged row itself: rejected
        moved = lambda n, k=k: None if n == k + 1 else n  # noqa: E731
        assert untouched_unchanged(before, after, moved) == [], lines[k]


def test_a_row_split_before_a_details_that_names_a_protocol_is_read_as_one():
    """``… | TCP | 22 |`` then ``SSH |``: a Details cell that names a protocol is no row
    of its own; where the two lines add up to the table's width they are one row."""
    before = reading(LINES)
    targets = [
        k
        for k in range(len(LINES) - 1)
        if (found := kinds(LINES[k]))[-1:] == ["protocol"]
        and found[:-1].count("protocol") == 1
        and found[found.index("protocol") + 1] == "port"
        and "|" in LINES[k + 1]
    ]
    assert targets
    for k in targets:
        cells, pad = split_row(LINES[k])
        lines = [
            *LINES[:k],
            " | ".join(cells[:-1]) + " |",
            cells[-1] + " |" + "|" * pad,
            *LINES[k + 1 :],
        ]
        after = reading(lines)
        moved = lambda n, k=k: n if n <= k + 1 else n + 1  # noqa: E731
        assert untouched_unchanged(before, after, moved) == [], lines[k : k + 2]


def test_a_note_row_that_writes_names_joined_to_the_whole_row_under_it_is_split_back():
    """``Cloud Connector | Cloud Connector | Le Cloud Connector agit… | ||`` (names, then
    prose across Type, Port and Details) joined to the whole row under it: the whole
    row's cells add up to the width, so the line is read as the note row and the row."""
    targets = [
        k
        for k in range(len(LINES) - 2)
        if (found := kinds(LINES[k]))[-1:] == ["prose"]
        and not {"protocol", "port"} & set(found)
        and len(found) > 1
        and split_row(LINES[k])[1] >= 1
        and split_row(LINES[k + 1])[1] == 0
        and "protocol" in kinds(LINES[k + 1])
        and "|" in LINES[k + 2]
    ]
    assert targets
    for k in targets:
        joined_rows_read_back(k)


def test_a_pipe_added_in_the_details_of_a_table_s_last_row_invents_no_flow(tmp_path):
    """``ICMP | ICMP | プロトコル…`` for ``ICMP | ICMP プロトコル… |`` (the Japanese
    excerpt's text form: Details that start with a protocol word) as a table's last row,
    never padded, reads the first ``ICMP`` as a Destination.  The previous build has the
    row under another reading of its line, compared whole (its Details too): the row is
    rejected, never published with a flow that is not on the page."""
    from fuzzing import text_form

    source = text_form(tmp_path, "ja")
    lines = source.read_text("utf-8").splitlines()
    good = tmp_path / "good"
    build(source, good)
    before = published(good, "ports")
    targets = [
        k
        for k in range(1, len(lines) - 1)
        if "|" not in lines[k + 1]
        and (found := kinds(lines[k]))[:1] == ["protocol"]
        and len(found) in (2, 3)
        and kinds(split_row(lines[k])[0][-1].split(" ")[0] + " |") == ["protocol"]
        and str(k + 1) in set(before["source_line"])
    ]
    assert targets
    cols = ["source", "destination", "protocol", "port_start", "port_end"]
    for k in targets:
        cells = split_row(lines[k])[0]
        first, _, rest = cells[-1].partition(" ")
        page = tmp_path / source.name
        edit = [" | ".join([*cells[:-1], first, rest]) + " |"]
        page.write_text("\n".join(lines[:k] + edit + lines[k + 1 :]) + "\n", "utf-8")
        out = tmp_path / f"with{k}"
        build(page, out, allow_shrink=True, previous=good)
        now = published(out, "ports")
        assert now[now["source_line"] == str(k + 1)][cols].values.tolist() == [], edit
        reason = published(out, "rejects").set_index("source_line").loc[str(k + 1), "reason"]
        assert "last row (never padded)" in reason


def test_a_row_of_a_type_without_ports_joined_to_the_row_above_is_split_back(tmp_path):
    """``ICMP | ICMP プロトコル… | |||`` writes a Type that has no ports (the vocabulary's
    ``portless``) and its Details: joined to the row above it (the Japanese excerpt's
    text form), the line is still read as the two rows."""
    from fuzzing import text_form

    lines = text_form(tmp_path, "ja").read_text("utf-8").splitlines()
    before = reading(lines)
    targets = [
        k
        for k in range(1, len(lines) - 1)
        if kinds(lines[k]) == ["protocol", "prose"]
        and split_row(lines[k])[1] > 0
        and "protocol" in kinds(lines[k - 1])
    ]
    assert targets
    for k in targets:
        edited = joined(lines, k - 1)
        after = reading(edited)
        moved = lambda n, k=k: None if n in (k, k + 1) else (n if n < k else n - 1)  # noqa: E731
        assert untouched_unchanged(before, after, moved) == [], edited[k - 1]
        assert reading_all(edited, k) == [before[k], before[k + 1]], edited[k - 1]
