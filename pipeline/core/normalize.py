"""Text normalisation: the three ways the pipeline compares or publishes text.

Input: any text.  Output: the text in one of these forms, each with one job:

* ``clean``: cell text as published (NFC, white space, no-break spaces included,
  collapsed to single spaces);
* ``norm``: a vocabulary key (``clean`` and case-folded), so that header and port words
  match whatever their case;
* ``fold``: a search key (``norm`` and accents removed), so that a person typing
  ``controleur`` finds ``Contrôleur``;
* ``bare``: accents removed, case kept (for targets that take ASCII only);
* ``name_key``: the identity key of a component or section name (``fold``, and
  typographic apostrophes and dashes as ASCII);
* ``slug``: a name as ASCII words joined by ``-`` (proposed ids, Terraform names);
* ``lines``: a text's lines as editors, ``grep -n`` and ``source_line`` count them.
"""

from __future__ import annotations

import functools
import re
import unicodedata

LINE_BREAK = re.compile(r"\r\n|\r|\n")
# A language tag, the one pattern: ja, ja-JP, zh-Hant-TW, und (``_`` as some pages write it)
TAG = r"[a-z]{2,3}(?:[-_][a-z0-9]{2,8})*"
LOCALE = re.compile(rf"^{TAG}\Z")  # a whole tag, lower case as the vocabulary and registry write it


def lines(text: str) -> list[str]:
    r"""The lines of a text, split at ``\n``, ``\r\n`` and ``\r`` only: unlike
    ``str.splitlines``, a U+2028, U+0085 or form feed inside a cell is no line break, so
    line numbers stay those of the file.

    >>> lines("a | b\u2028c |\r\nd\n"), "a | b\u2028c |\r\nd\n".splitlines()
    (['a | b\u2028c |', 'd'], ['a | b', 'c |', 'd'])
    """
    found = LINE_BREAK.split(text)
    if found and found[-1] == "":
        found.pop()
    return found


@functools.lru_cache(maxsize=65536)  # the readers clean each cell of a page many times
def clean(text: str) -> str:
    """Cell text as published: NFC, white space (incl. no-break spaces) collapsed; a text
    of invisible format characters only (a zero-width space) is empty, as a reader sees it.

    >>> clean("  Serveur\\u00a0 StoreFront\\n"), clean(" \\u200b\\ufeff "), clean("a\\u200db")
    ('Serveur StoreFront', '', 'a\\u200db')
    """
    collapsed = " ".join(unicodedata.normalize("NFC", text).split())
    if (
        collapsed
        and unicodedata.category(collapsed[0]) == "Cf"
        and all(unicodedata.category(c) == "Cf" or c == " " for c in collapsed)
    ):
        return ""
    return collapsed


def norm(text: str) -> str:
    """Vocabulary key: ``clean`` text, case-folded.

    >>> norm("  Aucun   PORT réservé ")
    'aucun port réservé'
    """
    return clean(text).casefold()


def bare(text: str) -> str:
    """Text without accents (compatibility forms decomposed), case kept, white space
    collapsed: for targets that take ASCII only, such as AWS descriptions.

    >>> bare("Contrôleur de  domaine")
    'Controleur de domaine'
    """
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


@functools.lru_cache(maxsize=16384)  # an address map matches every key against every name
def fold(text: str) -> str:
    """Search key: no accents, case-folded, white space collapsed.

    >>> fold("Contrôleur de  domaine")
    'controleur de domaine'
    """
    return bare(text).casefold()


# Typographic variants a page writes for the same name: apostrophes and dashes.
_NAME_MARKS = str.maketrans(
    {"’": "'", "‘": "'", "´": "'", "`": "'", "–": "-", "—": "-", "‐": "-", "‑": "-"}
)


@functools.lru_cache(maxsize=8192)  # a page repeats its names; the registry its aliases
def name_key(text: str) -> str:
    """Identity key of a component or section name: ``fold`` (full-width forms read as
    ASCII), typographic apostrophes and dashes as ASCII, no space around ``/``.

    >>> name_key("Serveur d’impression  universelle") == name_key("serveur d'impression universelle")
    True
    >>> name_key("Broadcast/ PXEService")
    'broadcast/pxeservice'
    """
    text = fold(unicodedata.normalize("NFKC", text)).translate(_NAME_MARKS)
    return "/".join(part.strip() for part in text.split("/"))


def slug(text: str) -> str:
    """A name as lower-case ASCII words joined by ``-`` (accents dropped; "" when no
    letter or digit is left): registry ids proposed by ``align``, Terraform names.

    >>> slug("Contrôleur SAN"), slug("Citrix ADC NSIP"), slug("—")
    ('controleur-san', 'citrix-adc-nsip', '')
    """
    return "-".join(re.findall(r"[a-z0-9]+", name_key(text)))
