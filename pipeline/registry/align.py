"""Aligning two versions of the page (two locales, or two versions) to propose which
names mean the same component or section.

Input: the rules and ports of two versions (``pipeline.diff.load``: build directories,
snapshots built on the fly, or ``git:REF``).  Output: an ``Alignment``: sections paired
by the flows they hold, rows paired within them, and name correspondences, each with the
rows that support it and a confidence; rendered as registry entries ready to review
(TOML, every entry marked ``status = "proposed"``, which the registry refuses until a
person has reviewed it) or as JSON.  Nothing here writes to the registry.

How: a row's signature is its set of (protocol, port range), from the ports table (the
type and port cells, when the row has no ports).  Sections pair greedily by the overlap
of their signatures (and equal names); rows pair within a section pair in page order
(longest common subsequence of signatures), then by a signature that occurs once on each
side, then, among rows that share a signature, by the words of their details that both
pages keep (product and protocol names, numbers).  Each pair of rows votes for source = source and destination = destination (or
crossed, when the names show that one page wrote the flow the other way round).  A
correspondence is proposed where one name is the other's most voted partner; its
confidence grows with the share of the rows either name is in that support it, the
number of rows, and the words both names share (product names are rarely translated).
Sure correspondences joined by a shared name make one proposed entry; unsure ones are
listed apart, for a person to decide.
"""

from __future__ import annotations

import difflib
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from pipeline.core.normalize import name_key, slug
from pipeline.core.wording import counted

SURE = 0.6  # a correspondence at least this confident is proposed as sure
SURE_SECTION = 0.5  # sections: the share of their rows' signatures they have in common
MIN_SECTION_SCORE = 0.25  # sections pair only when they share at least this much
MIN_DETAILS_OVERLAP = 0.25  # rows out of order pair by details that share this much


@dataclass
class AlignedRule:
    """A rule of one side, as alignment sees it (not the reader's ``model.Row``)."""

    section: str
    source: str
    destination: str
    signature: tuple
    line: int
    details: str


@dataclass
class Version:
    """One side: its label, locale and rows in page order."""

    label: str
    locale: str
    rows: list[AlignedRule]

    def sections(self) -> dict[str, list[AlignedRule]]:
        """The rows of each section, sections in page order."""
        out: dict[str, list[AlignedRule]] = {}
        for row in self.rows:
            out.setdefault(row.section, []).append(row)
        return out


def version(label: str, rules: list[dict], ports: list[dict], locale: str = "") -> Version:
    """A side from published rules and ports rows: the rows of the tables (note rules, and
    the flows read from prose, whose sentences pair no names, are left out)."""
    sig: dict[str, set] = defaultdict(set)
    for p in ports:
        sig[p["rule_id"]].add((p["protocol"], p["port_start"], p["port_end"]))
    rows = []
    for r in rules:
        if r.get("kind") in ("note", "prose"):
            continue
        signature = tuple(sorted(sig[r["rule_id"]], key=str)) or (
            ("raw", name_key(r["type_raw"]), re.sub(r"\s", "", r["port_raw"])),
        )
        rows.append(
            AlignedRule(
                r["section"],
                r["source"],
                r["destination"],
                signature,
                r["source_line"],
                r["details"],
            )
        )
    return Version(label, locale, rows)


def words(name: str) -> set[str]:
    """The words of a name that can carry across languages (two characters or more)."""
    return {w for w in re.findall(r"\w+", name_key(name)) if len(w) >= 2}


def word_overlap(a: str, b: str) -> float:
    """Jaccard overlap of the words of two names (1 for the same name)."""
    if name_key(a) == name_key(b):
        return 1.0
    wa, wb = words(a), words(b)
    return len(wa & wb) / len(wa | wb) if wa | wb else 0.0


def section_score(left: list[AlignedRule], right: list[AlignedRule]) -> float:
    """How alike two sections are: shared signatures over the larger section."""
    shared = sum(
        (Counter(r.signature for r in left) & Counter(r.signature for r in right)).values()
    )
    return shared / max(len(left), len(right))


def pair_rows(
    left: list[AlignedRule], right: list[AlignedRule]
) -> list[tuple[AlignedRule, AlignedRule]]:
    """Rows of two paired sections that say the same flow: in order first, then by a
    signature that occurs once on each side."""
    matcher = difflib.SequenceMatcher(
        None, [r.signature for r in left], [r.signature for r in right], autojunk=False
    )
    pairs = []
    used_l, used_r = set(), set()
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            pairs.append((block.a + k, block.b + k))
            used_l.add(block.a + k)
            used_r.add(block.b + k)
    pairs = by_details(left, right, pairs)
    rest_l = Counter(left[i].signature for i in range(len(left)) if i not in used_l)
    rest_r = Counter(right[j].signature for j in range(len(right)) if j not in used_r)
    for i, row in enumerate(left):
        if i in used_l or rest_l[row.signature] != 1 or rest_r[row.signature] != 1:
            continue
        j = next(
            j for j in range(len(right)) if j not in used_r and right[j].signature == row.signature
        )
        pairs.append((i, j))
        used_l.add(i)
        used_r.add(j)
    # a signature several rows share, out of order: the details decide (the words and
    # numbers both pages keep, such as NITRO, LDAP or 3008), when they clearly agree
    candidates = sorted(
        (
            (word_overlap(left[i].details, right[j].details), i, j)
            for i in range(len(left))
            if i not in used_l
            for j in range(len(right))
            if j not in used_r and left[i].signature == right[j].signature
        ),
        reverse=True,
    )
    for score, i, j in candidates:
        if score >= MIN_DETAILS_OVERLAP and i not in used_l and j not in used_r:
            pairs.append((i, j))
            used_l.add(i)
            used_r.add(j)
    return [(left[i], right[j]) for i, j in sorted(pairs)]


def oriented(a: AlignedRule, b: AlignedRule) -> tuple[tuple[str, str], tuple[str, str]]:
    """The name pairs two paired rows vote for: source with source and destination with
    destination, unless the names say clearly that one page wrote the flow the other way
    round (then source with destination)."""
    straight = word_overlap(a.source, b.source) + word_overlap(a.destination, b.destination)
    crossed = word_overlap(a.source, b.destination) + word_overlap(a.destination, b.source)
    if crossed > straight + 0.5:
        return (a.source, b.destination), (a.destination, b.source)
    return (a.source, b.source), (a.destination, b.destination)


def by_details(
    left: list[AlignedRule], right: list[AlignedRule], pairs: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """Pairs in page order, except where rows share a signature and their details say
    clearly (by at least ``MIN_DETAILS_OVERLAP`` in all) that another pairing is right:
    a page that lists the same ports for two components in the other order."""
    by_sig: dict[tuple, list[tuple[int, int]]] = defaultdict(list)
    for i, j in pairs:
        by_sig[left[i].signature].append((i, j))
    out = []
    for group in by_sig.values():
        if len(group) < 2:
            out += group
            continue
        lefts, rights = [i for i, _ in group], [j for _, j in group]
        in_order = sum(word_overlap(left[i].details, right[j].details) for i, j in group)
        ranked = sorted(
            (
                (word_overlap(left[i].details, right[j].details), i, j)
                for i in lefts
                for j in rights
            ),
            reverse=True,
        )
        chosen, taken_l, taken_r = [], set(), set()
        for score, i, j in ranked:
            if i not in taken_l and j not in taken_r:
                chosen.append((score, i, j))
                taken_l.add(i)
                taken_r.add(j)
        better = sum(score for score, _, _ in chosen)
        out += [(i, j) for _, i, j in chosen] if better >= in_order + MIN_DETAILS_OVERLAP else group
    return sorted(out)


@dataclass
class Correspondence:
    """Two names proposed to mean the same thing, with the rows that say so."""

    what: str  # "component" or "section"
    left: str
    right: str
    votes: int
    confidence: float
    support: list[tuple[int, int]] = field(default_factory=list)  # (left line, right line)

    @property
    def sure(self) -> bool:
        """Whether the evidence is strong enough to propose without doubt."""
        return self.confidence >= (SURE if self.what == "component" else SURE_SECTION)


@dataclass
class Alignment:
    """What two versions share: paired sections, paired rows, name correspondences."""

    left: Version
    right: Version
    sections: list[Correspondence]
    components: list[Correspondence]
    rows: int  # rows paired
    unmatched_left: list[str]  # names with no proposal
    unmatched_right: list[str]


def align(left: Version, right: Version) -> Alignment:
    """Pair sections, then rows, then names (see the module docstring)."""
    ls, rs = left.sections(), right.sections()
    scored = sorted(
        (
            (section_score(a, b) + 0.5 * (name_key(la) == name_key(lb)), la, lb)
            for la, a in ls.items()
            for lb, b in rs.items()
        ),
        key=lambda t: -t[0],
    )
    paired_sections, used_l, used_r = [], set(), set()
    for score, la, lb in scored:
        if score < MIN_SECTION_SCORE or la in used_l or lb in used_r:
            continue
        used_l.add(la)
        used_r.add(lb)
        paired_sections.append(
            Correspondence(
                "section",
                la,
                lb,
                len(ls[la]),
                round(min(score, 1.0), 2),
                [(ls[la][0].line, rs[lb][0].line)],
            )
        )
    votes: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    row_count = 0
    for sec in paired_sections:
        for a, b in pair_rows(ls[sec.left], rs[sec.right]):
            row_count += 1
            for name_a, name_b in oriented(a, b):
                if name_a and name_b:  # a column the table lacks names nothing
                    votes[(name_a, name_b)].append((a.line, b.line))
    total_l: Counter[str] = Counter()
    total_r: Counter[str] = Counter()
    for (name_l, name_r), support in votes.items():
        total_l[name_l] += len(support)
        total_r[name_r] += len(support)
    best_l = {a: max(((len(s), b) for (x, b), s in votes.items() if x == a))[1] for a in total_l}
    best_r = {b: max(((len(s), a) for (a, y), s in votes.items() if y == b))[1] for b in total_r}
    proposed = {(a, b) for a, b in best_l.items()} | {(a, b) for b, a in best_r.items()}
    components = []
    for name_l, name_r in sorted(proposed):
        n = len(votes[(name_l, name_r)])
        share = n / (total_l[name_l] + total_r[name_r] - n)  # of all the rows either name is in
        evidence = 1 - 0.5**n
        confidence = share * (evidence + (1 - evidence) * word_overlap(name_l, name_r))
        components.append(
            Correspondence(
                "component",
                name_l,
                name_r,
                n,
                round(confidence, 2),
                sorted(votes[(name_l, name_r)]),
            )
        )
    names_l = {n for r in left.rows for n in (r.source, r.destination)}
    names_r = {n for r in right.rows for n in (r.source, r.destination)}
    return Alignment(
        left,
        right,
        paired_sections,
        components,
        row_count,
        sorted(names_l - {c.left for c in components}),
        sorted(names_r - {c.right for c in components}),
    )


def groups(alignment: Alignment) -> list[list[Correspondence]]:
    """Sure correspondences joined into proposed entries: names linked by a sure proposal
    share an entry (``Serveur FAS`` and ``Serveur Citrix FAS`` both with ``FAS Server``)."""
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    sure = [c for c in alignment.components if c.sure]
    for c in sure:
        parent[find(("L", c.left))] = find(("R", c.right))
    out: dict[tuple, list[Correspondence]] = defaultdict(list)
    for c in sure:
        out[find(("L", c.left))].append(c)
    return sorted(out.values(), key=lambda g: (-sum(c.votes for c in g), g[0].right))


def _registry_says(registry, what: str, c: Correspondence) -> str:
    if registry is None:
        return ""
    look = registry.component_id if what == "component" else registry.section_id
    a, b = look(c.left), look(c.right)
    if a and a == b:
        return f"registry: agrees ({a})"
    if a or b:
        return f"registry: DIFFERS ({a or 'unknown'} / {b or 'unknown'})"
    return "registry: new"


def _toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _aliases(names: dict[str, list[str]]) -> list[str]:
    """``aliases.<locale> = [...]`` lines, one per locale (a locale both sides write, as
    two versions of one page do, once: TOML refuses a key given twice)."""
    return [
        f"aliases.{locale} = [{', '.join(_toml_string(n) for n in dict.fromkeys(found))}]"
        for locale, found in names.items()
    ]


def _known_id(registry, group: list[Correspondence], left, right) -> tuple[str, list]:
    """(id, [(locale, name)]) when names the registry lacks have counterparts of one id."""
    if registry is None:
        return "", []
    ids = {i for c in group for n in (c.left, c.right) if (i := registry.component_id(n))}
    lacking = [
        (side.locale, n)
        for c in group
        for side, n in ((left, c.left), (right, c.right))
        if not registry.component_id(n)
    ]
    return (next(iter(ids)), lacking) if len(ids) == 1 and lacking else ("", [])


def _known_entry(registry, cid: str, lacking: list[tuple[str, str]]) -> list[str]:
    """The registry's entry ``cid``, whole, with the names it lacks added as aliases (to
    replace the entry by, once reviewed)."""
    entry = registry.components[cid]
    names: dict[str, list[str]] = {k: list(v) for k, v in entry.aliases.items()}
    for locale, n in lacking:
        names.setdefault(locale, []).append(n)
    return [
        f"# the registry lacks {', '.join(repr(n) for _, n in lacking)}, whose rows are "
        f"those of {entry.id!r}: its entry with them added (review, then replace the entry "
        "by it)",
        f"[component.{entry.id}]",
        'status = "proposed"',
        f"name = {_toml_string(entry.name)}",
        f"kind = {_toml_string(entry.kind)}",
        f"family = {_toml_string(entry.family)}",
        *(f"members = [{', '.join(map(_toml_string, entry.members))}]" for _ in entry.members[:1]),
        *_aliases(names),
        "",
    ]


def render_toml(alignment: Alignment, registry=None) -> str:
    """Proposals as registry entries ready to review (``status = "proposed"``)."""
    left, right = alignment.left, alignment.right
    out = [
        f"# Proposals of 'citrix-ports align' ({left.label} [{left.locale}] with "
        f"{right.label} [{right.locale}]): {counted(alignment.rows, 'row')} paired.",
        "# Review each entry (id, name, kind, family, aliases), drop 'status', then copy it",
        "# into pipeline/data/components.toml; the registry refuses unreviewed entries.",
        "",
    ]
    used: Counter = Counter()
    to_known: dict[str, list[tuple[str, str]]] = {}  # id -> names it lacks
    for c in alignment.sections:
        sid = slug(c.right) or "section"
        used[sid] += 1
        sid = sid if used[sid] == 1 else f"{sid}-{used[sid]}"
        note = _registry_says(registry, "section", c)
        out += [
            f"# {'sure' if c.sure else 'UNSURE'} {c.confidence:.2f}: {counted(c.votes, 'row')}; first rows at lines "
            f"{c.support[0][0]} / {c.support[0][1]}" + (f"; {note}" if note else ""),
            f"[section.{sid}]",
            'status = "proposed"',
            f"name = {_toml_string(c.right)}",
            *_aliases(
                {right.locale: [c.right]}
                | {left.locale: [c.right, c.left][right.locale == left.locale :]}
            ),
            "",
        ]
    for group in groups(alignment):
        lefts = sorted({c.left for c in group})
        rights = sorted(
            {c.right for c in group}, key=lambda n: -sum(c.votes for c in group if c.right == n)
        )
        cid = slug(rights[0]) or "component"
        used[cid] += 1
        cid = cid if used[cid] == 1 else f"{cid}-{used[cid]}"
        for c in group:
            note = _registry_says(registry, "component", c)
            lines = ", ".join(f"{a}/{b}" for a, b in c.support[:4])
            more = f" and {len(c.support) - 4} more" if len(c.support) > 4 else ""
            out.append(
                f"# sure {c.confidence:.2f}: {c.left!r} = {c.right!r}, {c.votes} "
                f"row(s) at lines {lines}{more}" + (f"; {note}" if note else "")
            )
        known_id, lacking = _known_id(registry, group, left, right)
        if known_id:
            to_known.setdefault(known_id, []).extend(lacking)
            continue
        aliases: dict[str, list[str]] = {right.locale: list(rights)}
        aliases.setdefault(left.locale, []).extend(lefts)
        out += [
            f"[component.{cid}]",
            'status = "proposed"',
            f"name = {_toml_string(rights[0])}",
            'kind = "component"',
            'family = ""',
            *_aliases(aliases),
            "",
        ]
    for known_id, lacking in sorted(to_known.items()):
        out += _known_entry(registry, known_id, list(dict.fromkeys(lacking)))
    unsure = [c for c in alignment.components if not c.sure]
    if unsure:
        out.append(
            "# UNSURE: the rows suggest these, without enough evidence; check them against the page"
        )
    for c in unsure:
        note = _registry_says(registry, "component", c)
        lines = ", ".join(f"{a}/{b}" for a, b in c.support[:4])
        out.append(
            f"#   {c.confidence:.2f}: {c.left!r} = {c.right!r}, {c.votes} row(s) at "
            f"lines {lines}" + (f"; {note}" if note else "")
        )
    for side, names in ((left, alignment.unmatched_left), (right, alignment.unmatched_right)):
        if names:
            out.append(
                f"# no correspondence found in {side.label} [{side.locale}] for: "
                + "; ".join(names)
            )
    return "\n".join(out).rstrip() + "\n"


def render_json(alignment: Alignment, registry=None) -> str:
    """Proposals as JSON: sections, components (with support and confidence), unmatched."""

    def item(c: Correspondence, what: str) -> dict:
        return {
            "left": c.left,
            "right": c.right,
            "rows": c.votes,
            "confidence": c.confidence,
            "sure": c.sure,
            "support": [{"left_line": a, "right_line": b} for a, b in c.support],
            "registry": _registry_says(registry, what, c),
        }

    data = {
        "left": {"label": alignment.left.label, "locale": alignment.left.locale},
        "right": {"label": alignment.right.label, "locale": alignment.right.locale},
        "rows_paired": alignment.rows,
        "sections": [item(c, "section") for c in alignment.sections],
        "components": [item(c, "component") for c in alignment.components],
        "unmatched_left": alignment.unmatched_left,
        "unmatched_right": alignment.unmatched_right,
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


FORMATS = {"toml": render_toml, "json": render_json}
