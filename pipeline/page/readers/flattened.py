"""A Markdown table collapsed onto one line (its line breaks lost on the way to the site).

Input: one line of text (in any form: the collapsed table is text in HTML and Markdown
too).  Output: the table's header, column roles and rows, split by dynamic programming
where the page damaged the row boundaries, each damaged row marked; or None when the
line is not such a table.
"""

from __future__ import annotations

from pipeline.core.normalize import clean
from pipeline.page.model import Row
from pipeline.page.readers.cells import (
    SEPARATOR_CELL,
    Placement,
    build_row,
    classify,
    header_roles,
    place,
)
from pipeline.page.vocabulary import Vocabulary


def flattened_table(
    text: str, line: int, vocab: Vocabulary
) -> tuple[list[str], list[str], list[Row]] | None:
    """Header, roles and rows of a Markdown table collapsed onto one line of text (as it
    reaches the page when its line breaks were lost), or None if the text is not one.
    Every form's reader uses it: the collapsed table is text in HTML and Markdown too."""
    body_text = text.strip()
    if not body_text.startswith("|"):
        return None
    tokens = body_text.split("|")[1:]
    if tokens and not tokens[-1].strip():
        tokens = tokens[:-1]
    # The header: the leading cells that are header names.
    roles: list[str] = []
    header: list[str] = []
    for tok in tokens:
        role = vocab.role_of_header(tok)
        if not role:
            break
        roles.append(role)
        header.append(clean(tok))
    if not header or header_roles(header, vocab) is None:
        return None
    n = len(roles)
    rest = tokens[n:]
    if rest and not rest[0].strip():
        rest = rest[1:]  # the boundary between the header row and the next
    if len(rest) < n or not all(SEPARATOR_CELL.match(clean(t)) for t in rest[:n] if clean(t)):
        return None
    body = rest[n:]
    if body and not body[0].strip():
        body = body[1:]  # the boundary between the separator row and the first row
    rows = []
    for cells, placement, damage in segment(body, roles, vocab):
        raw = "|" + "|".join(cells) + "|"
        texts = [clean(c) for c in cells]
        row = build_row(dict(zip(placement.roles, texts)), roles, line, raw)
        row.problems.extend(placement.misfits)
        if len(texts) != n:
            damage = damage + [
                f"row has {len(texts)} cells where the table has {n}; placed by content"
            ]
        row.problems.extend(f"damaged: {d}" for d in damage)
        rows.append(row)
    return header, roles, rows


def segment(
    tokens: list[str], roles: list[str], vocab: Vocabulary
) -> list[tuple[list[str], Placement, list[str]]]:
    """Split the cells of a flattened table into rows, and place each row's cells.

    Each row should be ``n`` cells followed by an empty token (the row's closing pipe
    meeting the next row's opening pipe, ``| |``); empty cells are explicit.  Where the
    page damaged a boundary (a lost pipe, a lost cell), the cheapest split is taken by
    dynamic programming: a row of other than ``n`` cells, a boundary without its empty
    token, and cells that fit their columns badly all cost more.
    """
    n, m = len(roles), len(tokens)
    texts = [clean(t) for t in tokens]
    kinds = [classify(t, vocab) if t else "" for t in texts]
    inf = float("inf")
    best = [inf] * (m + 1)
    choice: list[tuple[int, int, Placement, list[str]] | None] = [None] * (m + 1)
    best[0] = 0.0
    for i in range(m):
        if best[i] == inf:
            continue
        for size in range(1, n + 1):
            j = i + size
            if j > m:
                break
            damage = []
            placement = place(texts[i:j], roles, i > 0, vocab, kinds[i:j])[0]
            cost = placement.cost + 3 * (n - size)
            if j == m:
                nxt = m
            elif not tokens[j].strip():
                nxt = j + 1
            else:
                cost += 2
                nxt = j
                damage.append("the pipes between this row and the next were lost")
            if best[i] + cost < best[nxt]:
                best[nxt] = best[i] + cost
                choice[nxt] = (i, j, placement, damage)
    rows = []
    k = m
    while k > 0 and (step := choice[k]) is not None:
        i, j, placement, damage = step
        rows.append((tokens[i:j], placement, damage))
        k = i
    rows.reverse()
    return rows
