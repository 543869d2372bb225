"""Recognise the form of a snapshot (text rendering, Markdown source, HTML) and its locale.

Input: the bytes of a snapshot and its name.  Output: the decoded text, its form
("text", "markdown", "html") and its locale ("fr-fr", "en-us"), or an ``InputError``
that says where the input stops being readable.
"""

from __future__ import annotations

import re

from pipeline.errors import InputError, Location
from pipeline.vocabulary import Vocabulary, load

MAX_INPUT_BYTES = 64 * 1024 * 1024  # the page is 35 KB; room for 1000x synthetic pages


def decode(data: bytes, name: str) -> str:
    """The text of a snapshot's bytes (UTF-8, a BOM dropped).

    Raises ``InputError``, located at the offending line, for an empty, oversized,
    binary or non-UTF-8 input or one holding control characters.
    """
    if not data.strip():
        raise InputError("the input is empty", Location(name),
                         hint="give a snapshot of the page (text, Markdown or HTML)")
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(f"the input is {len(data)} bytes, more than the {MAX_INPUT_BYTES} "
                         "a page can be", Location(name))
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise InputError("the input holds NUL bytes: it is binary, not a page",
                         Location(name, line), hint="check that the file is the snapshot")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(f"the input is not UTF-8 (byte 0x{data[exc.start]:02x} at offset "
                         f"{exc.start})", Location(name, line),
                         hint="re-save the snapshot as UTF-8") from None
    text = text.removeprefix("\ufeff")
    controls = re.search(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]", text)
    if controls:
        line = text[: controls.start()].count("\n") + 1
        raise InputError(f"the input holds the control character {controls.group()!r}: it "
                         "is not a page", Location(name, line))
    return text


def detect_form(text: str) -> str:
    r"""The form of a snapshot from its content: "html", "markdown" or "text".

    >>> detect_form("<!DOCTYPE html><html>…"), detect_form("# Title\n"), detect_form("Title\n")
    ('html', 'markdown', 'text')
    """
    head = text[:4096].lstrip().lower()
    if head.startswith(("<!doctype html", "<html")) or re.search(r"<(table|body|article)\b", head):
        return "html"
    if head.startswith("---") or re.search(r"^#{1,6} \S", text, re.MULTILINE) or re.search(
            r"^\|.*\|\s*$\n^\|\s*:?-{3,}", text, re.MULTILINE):
        return "markdown"
    return "text"


def locale_markers(text: str, vocab: Vocabulary | None = None) -> dict[str, list[str]]:
    """For each locale, the marker words of the vocabulary the page uses (with repeats).

    >>> locale_markers("Source | Détails | 80 (bidirectionnel)")["fr-fr"]
    ['Détails', 'bidirectionnel']
    """
    vocab = vocab or load()
    return {loc: [m for m in markers
                  for _ in re.findall(rf"(?<!\w){re.escape(m)}(?!\w)", text)]
            for loc, markers in vocab.locale_markers.items()}


def detect_locale(text: str, vocab: Vocabulary | None = None) -> str:
    """The locale whose marker words the page uses most (ties: the first listed)."""
    found = locale_markers(text, vocab)
    return max(found, key=lambda loc: len(found[loc]))


def locale_warning(text: str, locale: str, vocab: Vocabulary | None = None) -> str:
    """A warning when the page's words say another locale than ``locale`` ("" if not).

    >>> locale_warning("Détails | S/O | Remarque", "en-us")[:45]
    'warning: --locale en-us, but the page looks f'
    """
    found = locale_markers(text, vocab)
    best = max(found, key=lambda loc: len(found[loc]))
    if best == locale or len(found[best]) <= len(found.get(locale, [])):
        return ""
    words = ", ".join(sorted(set(found[best])))
    return (f"warning: --locale {locale}, but the page looks {best} (its words: {words}); "
            f"rows may be rejected: drop --locale to recognise it")
