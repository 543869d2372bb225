"""The steps every reader takes the same way, written once (mixed into each reader).

Input: a table's header cells, the roles the vocabulary gives them, the rows' cells as
written, and a line; or a line of text that may be a table collapsed onto one line.
Output: the table's column roles (completed or inferred from what the rows hold, with a
warning that names the columns), or a located ``InputError`` when the columns cannot be
told apart; a flattened table added to the page.
"""

from __future__ import annotations

from pipeline.catalogue import warning
from pipeline.errors import InputError, Location
from pipeline.page.model import PageBuilder
from pipeline.page.readers.cells import complete_roles, infer_roles, inferred_said
from pipeline.page.readers.flattened import flattened_table
from pipeline.page.vocabulary import Vocabulary


class TableSteps(PageBuilder):
    """Column roles and flattened tables, for a reader (a ``PageBuilder``) with a
    ``vocab``."""

    vocab: Vocabulary
    # what a table's inferred columns warning says -> where it stands, the tables' lines
    _inferred: dict[str, tuple[int, list[int]]] | None = None

    def table_roles(
        self, header: list[str], roles: list[str] | None, body: list[list[str]], line: int
    ) -> list[str] | None:
        """The roles of a table: its header's, where the vocabulary knows every word; the
        columns the known words leave given by what the rows hold; or, when no header
        word is known, every column by what the rows hold.  A warning names the columns
        given by content.  None when the table is no port table (its text stays prose).

        Raises ``InputError`` (located at ``line``) when the columns cannot be told apart.
        """
        where = Location(self.source_name, line, section=self.section().heading)
        vocab = self.vocab
        if roles is None:  # header words not known: the columns by what they hold
            roles, why = infer_roles(header, body, vocab)
            if roles is None and why.startswith("ambiguous"):
                raise InputError(
                    f"a table whose columns cannot be told apart: {why}",
                    where,
                    hint="add its header words to pipeline/data/vocabulary.toml",
                )
            if roles is None:
                return None
        else:  # header words partly known: the columns they leave, by what they hold
            done = complete_roles(header, roles, body, vocab)
            if not done:
                return roles
            roles = done
        self.warn_inferred(where, line, inferred_said(header, roles, vocab))
        return roles

    def warn_inferred(self, where: Location, line: int, said: str) -> None:
        """The warning of a table whose columns were recognised by their content; the
        tables after it that say the same (a page in a language the vocabulary lacks: every
        table) are folded into it, naming each table's line."""
        if self._inferred is None:
            self._inferred = {}
        seen = self._inferred
        if said not in seen:
            seen[said] = (len(self.warnings), [line])
            self.warnings.append(warning("columns-by-content", where=where, said=said))
            return
        index, lines = seen[said]
        lines.append(line)
        shown = list(dict.fromkeys(lines))  # a page on one line: its tables share it
        at = f"line{'s' if len(shown) > 1 else ''} {', '.join(map(str, shown))}"
        self.warnings[index] = warning(
            "columns-by-content", where=f"{self.source_name}, {len(lines)} tables ({at})", said=said
        )

    def read_flattened(self, text: str, line: int) -> bool:
        """Add the table ``text`` holds when it is a Markdown table collapsed onto one
        line (it starts with ``|``); False when it is none."""
        found = flattened_table(text, line, self.vocab) if text.startswith("|") else None
        if found is None:
            return False
        header, roles, rows = found
        self.add_table(header, roles, line, rows, shape="flattened")
        return True
