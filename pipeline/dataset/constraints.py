"""What the Table Schemas' constraints mean: the one interpretation, for the build's pandera
validation (``pipeline.stages.validate``) and the reader of published tables
(``pipeline.dataset.published``) alike.

Input: a Table Schema field, or a table schema.  Output: the field's ``Rules`` (required,
enum, minimum, maximum, minLength, pattern, unique) unpacked once, each able to say whether
a value keeps it and, in words, how it breaks it; and the table's unique column sets
(primary key, ``x-unique``, unique fields).

Interpretation, written once: a required string is a non-empty one (the published tables
write an empty string, never null); a pattern matches the whole text; ``minLength`` and
``pattern`` judge strings, an empty optional string included only by ``minLength``;
``minimum`` and ``maximum`` judge numbers that are there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.catalogue import message


@dataclass(frozen=True)
class Rules:
    """The constraints of one field, unpacked."""

    name: str
    string: bool
    required: bool = False
    enum: frozenset | None = None
    minimum: int | float | None = None
    maximum: int | float | None = None
    min_length: int | None = None
    pattern: re.Pattern | None = None
    unique: bool = False

    def broken(self, value: object, text: str) -> str:
        """How a cell breaks these rules, in words ("" when it keeps them); ``text`` is
        the cell as written, ``value`` as typed (None for an empty number).

        >>> r = field_rules({"name": "p", "type": "integer", "constraints": {"minimum": 1}})
        >>> r.broken(0, "0"), r.broken(None, ""), r.broken(5, "5")
        ('0 is below the minimum 1', '', '')
        """
        return self.verdict(value, text)[1]

    def verdict(self, value: object, text: str) -> tuple[str, str]:
        """(the constraint broken, as the Table Schema names it, how) or ("", "").

        >>> field_rules({"name": "p", "type": "string", "constraints": {"enum": ["a"]}}
        ...             ).verdict("b", "b")
        ('enum', "'b' is not one of ['a']")
        """
        if text == "":
            if self.required:
                return "required", message("required")
            if not self.string:  # an empty optional number: nothing to judge
                return "", ""
        if self.enum is not None and value not in self.enum:
            return "enum", message("enum", value=text, allowed=sorted(self.enum))
        if self.minimum is not None and value is not None and value < self.minimum:  # type: ignore[operator]
            return "minimum", message("minimum", value=value, limit=self.minimum)
        if self.maximum is not None and value is not None and value > self.maximum:  # type: ignore[operator]
            return "maximum", message("maximum", value=value, limit=self.maximum)
        if self.min_length is not None and self.string and len(text) < self.min_length:
            return "min-length", message("min-length", limit=self.min_length)
        if self.pattern is not None and text != "" and not self.pattern.match(text):
            return "pattern", message("pattern", value=text, pattern=self.pattern.pattern)
        return "", ""


def field_rules(field: dict) -> Rules:
    """The ``Rules`` of a Table Schema field.

    >>> field_rules({"name": "s", "type": "string", "constraints": {"required": True}}).min_length
    1
    """
    c = field.get("constraints", {})
    string = field["type"] == "string"
    min_length = c.get("minLength")
    if string and c.get("required"):
        min_length = max(1, min_length or 1)  # required string: not empty
    return Rules(
        name=field["name"],
        string=string,
        required=bool(c.get("required")),
        enum=frozenset(c["enum"]) if "enum" in c else None,
        minimum=c.get("minimum"),
        maximum=c.get("maximum"),
        min_length=min_length,
        pattern=re.compile(f"^(?:{c['pattern']})\\Z") if "pattern" in c else None,
        unique=bool(c.get("unique")),
    )


def unique_sets(spec: dict) -> list[tuple[str, ...]]:
    """The column sets of a table that no two rows may share: its primary key, its
    ``x-unique`` sets and each unique field.

    >>> unique_sets({"primaryKey": ["a"], "x-unique": [["b", "c"]],
    ...              "fields": [{"name": "d", "type": "string", "constraints": {"unique": True}}]})
    [('a',), ('b', 'c'), ('d',)]
    """
    found = [tuple(spec["primaryKey"])] if spec.get("primaryKey") else []
    found += [tuple(u) for u in spec.get("x-unique", [])]
    found += [(f["name"],) for f in spec["fields"] if f.get("constraints", {}).get("unique")]
    return list(dict.fromkeys(found))
