"""Grammar of the Type and Port cells, driven by the vocabulary.

Input: the raw text of one Type or Port cell.  Output: a ``TypeCell`` (the transports,
each with the application protocol that named it) or a ``PortCell`` (port ranges, the
bidirectional mark, or "no port"), or an ``error`` saying why the cell cannot be read
without guessing.  Nothing here is specific to one row of the page.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from pipeline.core.normalize import norm
from pipeline.dataset.schema import MAX_PORT
from pipeline.page.visible import BIDI_CONTROLS, SHOWN_REORDERED, STRIKE
from pipeline.page.vocabulary import Vocabulary, load


@dataclass(frozen=True)
class TypeCell:
    """Transports of a Type cell: ``(("tcp", ""), ("udp", ""))`` or ``(("udp", "snmp"),)``."""

    protocols: tuple[tuple[str, str], ...] = ()
    error: str = ""


@dataclass(frozen=True)
class PortCell:
    """What a Port cell says: its port ranges, the bidirectional mark, "no port",
    or why it cannot be read.
    """

    ranges: tuple[tuple[int, int], ...] = ()
    bidirectional: bool = False
    no_port: bool = False  # the cell says there is no port (S/O, a sentence, empty)
    error: str = ""


# Invisible characters a page may put inside a number or word to allow a line break
# (zero-width space and joiners, word joiner, soft hyphen, byte order mark): a reader sees
# "443" in "44\u00ad3".  Bidirectional controls are not among them: they change what a
# reader sees ("\u202e344" shows as 443), so a cell with one stays unreadable.
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\u00ad\ufeff"))


def ascii_forms(text: str) -> str:
    """Full-width digits, commas, colons, brackets and spaces read as their ASCII forms
    (NFKC), as Type and Port cells of pages in East Asian languages write them; the
    invisible break characters dropped (``INVISIBLE``).

    >>> ascii_forms("８０，４４３（ＴＣＰ）\u3000"), ascii_forms("49\u200b152-65\u00ad535")
    ('80,443(TCP) ', '49152-65535')
    """
    return unicodedata.normalize("NFKC", text.translate(INVISIBLE))


def struck_out(text: str, what: str) -> str:
    """The error for a Type or Port cell that holds struck-out text ("" when none): the
    page no longer means it, and what it means instead is not read by guess.

    >>> struck_out("4\u03364\u03363\u0336 8443", "Port")[:44]
    "Port '443 8443' strikes out '443': its value"
    """
    if STRIKE not in text:
        return ""
    gone = ", ".join(
        run.replace(STRIKE, "").strip() for run in re.findall(f"(?:[^{STRIKE}]{STRIKE})+", text)
    )
    return (
        f"{what} {text.replace(STRIKE, '')!r} strikes out {gone!r}: its value is not read "
        "(the page no longer means what it struck)"
    )


def number_mark(text: str) -> str:
    """The first character that NFKC would turn into a digit but that is no decimal digit
    (a superscript ``¹``, a subscript, a circled ``①``, a fraction), else "": a footnote
    mark after a port must not become one of its digits.  Full-width and other scripts'
    decimal digits (``４``, ``٤``) are digits.

    >>> number_mark("443¹"), number_mark("４４３"), number_mark("٤٤٣"), number_mark("80")
    ('¹', '', '', '')
    """
    for c in text:
        if (
            not c.isascii()
            and unicodedata.category(c) != "Nd"
            and any(d.isdigit() for d in unicodedata.normalize("NFKC", c))
        ):
            return c
    return ""


def reordered(text: str, what: str) -> str:
    """The error for a Type or Port cell a reader sees in another order than it is written
    (a bidi control, or the text rendering's mark of bidi markup), else "".

    >>> reordered("\u202e4941", "Port")[:48]
    "Port '4941' is shown in another order than it is"
    """
    if not any(c in text for c in BIDI_CONTROLS + SHOWN_REORDERED):
        return ""
    shown = "".join(c for c in text if c not in BIDI_CONTROLS + SHOWN_REORDERED)
    return (
        f"{what} {shown!r} is shown in another order than it is written (bidi markup or "
        "control characters): its value is not read"
    )


def mixed_digits(text: str) -> str:
    """The first number (a run of decimal digits) that mixes the digits of two scripts,
    else "": "৪৪3" (Bengali fours look like eights) shows 883 to some readers and 443 to
    Python, "߀4߀" (NKo zeros) shows 040 to none.  Digits of one script read, whichever it
    is (``٤٤٣``, ``４４３``).

    >>> mixed_digits("৪৪3, 80"), mixed_digits("߀4߀"), mixed_digits("٤٤٣ ৪৪"), mixed_digits("443")
    ('৪৪3', '߀4߀', '', '')
    """
    for run in re.findall(r"\d+", ascii_forms(text)):
        if len({ord(c) - unicodedata.digit(c) for c in run}) > 1:  # each script's zero
            return run
    return ""


def type_words(text: str, vocab: Vocabulary | None = None) -> list[str] | None:
    """The protocol words of a Type cell, or None when a word is not a protocol."""
    vocab = vocab or load()
    text = ascii_forms(text)
    words = [w for w in vocab.type_split_re.split(text) if w and w.strip()]
    if not words:
        return None
    known = vocab.protocol_words
    return words if all(norm(w) in known for w in words) else None


def parse_type(text: str, vocab: Vocabulary | None = None) -> TypeCell:
    """The transports of a Type cell, each with the application protocol that
    named it, or the reason it cannot be read.

    >>> parse_type("TCP, UDP").protocols
    (('tcp', ''), ('udp', ''))
    >>> parse_type("SNMP").protocols
    (('udp', 'snmp'),)
    >>> parse_type("Citrix ADM").error
    "Type 'Citrix ADM' is not a protocol"
    """
    vocab = vocab or load()
    if not text.strip():
        return TypeCell(error="Type cell is empty")
    if struck_out(text, "Type"):
        return TypeCell(error=struck_out(text, "Type"))
    if reordered(text, "Type"):
        return TypeCell(error=reordered(text, "Type"))
    words = type_words(text, vocab)
    if words is None:
        return TypeCell(error=f"Type {text!r} is not a protocol")
    protocols: list[tuple[str, str]] = []
    for word in words:
        key = norm(word)
        if key in vocab.transports:
            protocols.append((vocab.transports[key], ""))
        else:
            app = key.rstrip("+") if key.rstrip("+") in vocab.applications else key
            protocols.append((vocab.applications[key], app))
    transports = [p for p, _ in protocols]
    if len(set(transports)) != len(transports):
        return TypeCell(
            error=f"Type {text!r} names a protocol twice: it pairs protocols with "
            "ports in a way the cell does not spell out"
        )
    return TypeCell(protocols=tuple(protocols))


@functools.cache
def _port_patterns(vocab: Vocabulary) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    rng = "|".join(
        re.escape(s.strip()) if s.strip() else re.escape(s)
        for s in sorted(vocab.range_separators, key=len, reverse=True)
    )
    element = re.compile(rf"(\d+)(?:\s*(?:{rng})\s*(\d+))?")
    seps = "|".join(re.escape(s) for s in sorted(vocab.list_separators, key=len, reverse=True))
    separator = re.compile(rf"^(?:\s|{seps})*$", re.IGNORECASE)
    bidir = "|".join(re.escape(w) for w in vocab.bidirectional_words)
    bidirectional = re.compile(rf"\(\s*(?:{bidir})\s*\)|\b(?:{bidir})\b", re.IGNORECASE)
    return element, separator, bidirectional


def _ranges(text: str, vocab: Vocabulary) -> list[tuple[int, int]] | None:
    """Ranges of a cell that is nothing but a port list, else None."""
    element, separator, _ = _port_patterns(vocab)
    ranges: list[tuple[int, int]] = []
    pos = 0
    for m in element.finditer(text):
        if not separator.match(text[pos : m.start()]) or (ranges and pos == m.start()):
            return None
        start = int(m.group(1))
        end = int(m.group(2)) if m.group(2) else start
        ranges.append((start, end))
        pos = m.end()
    if not ranges or not separator.match(text[pos:]):
        return None
    return ranges


def is_port_list(text: str, vocab: Vocabulary | None = None) -> bool:
    """True for a cell the Port column would hold: a port list, range or port word."""
    vocab = vocab or load()
    text = ascii_forms(text)
    _, _, bidir = _port_patterns(vocab)
    bare = bidir.sub(" ", text).strip()
    return norm(text) in vocab.no_port_words or (bool(bare) and _ranges(bare, vocab) is not None)


def _check(ranges: list[tuple[int, int]], text: str) -> str:
    for start, end in ranges:
        for port in (start, end):
            if port > MAX_PORT:
                return f"port {port} in {text!r} is above {MAX_PORT}"
            if port < 1:
                return f"port {port} in {text!r} is not a port (ports run from 1 to {MAX_PORT})"
        if start > end:
            return f"range {start}-{end} in {text!r} is reversed"
    return ""


def parse_port(text: str, vocab: Vocabulary | None = None) -> PortCell:
    """The port ranges of a Port cell, or "no port", or the reason it cannot be read.

    >>> parse_port("49152–65535").ranges
    ((49152, 65535),)
    >>> parse_port("80 (bidirectionnel)").bidirectional
    True
    >>> parse_port("S/O").no_port
    True
    >>> parse_port("70000").error
    "port 70000 in '70000' is above 65535"
    >>> parse_port("0-65535").error
    "port 0 in '0-65535' is not a port (ports run from 1 to 65535)"
    >>> parse_port("８０，４４３").ranges
    ((80, 80), (443, 443))
    >>> parse_port("80 (Bidirectioneel)").error[:60]
    "Port '80 (Bidirectioneel)': the ports '80' come with '(Bidir"
    >>> parse_port("443¹").error[:40]
    "Port '443¹' writes '¹', a superscript or"
    """
    vocab = vocab or load()
    if struck_out(text, "Port"):
        return PortCell(error=struck_out(text, "Port"))
    if reordered(text, "Port"):
        return PortCell(error=reordered(text, "Port"))
    mark = number_mark(text)
    if mark:  # "443¹" would read as 4431
        return PortCell(
            error=(
                f"Port {text!r} writes {mark!r}, a superscript or other number sign (a "
                "footnote mark?), not a digit: its ports are not read"
            )
        )
    mixed = mixed_digits(text)
    if mixed:
        return PortCell(
            error=(
                f"Port {text!r} writes {mixed!r}, a number whose digits come from two "
                "scripts: readers see different numbers in it, so it is not read"
            )
        )
    stripped = ascii_forms(text).strip()
    if not stripped or norm(stripped) in vocab.no_port_words:
        return PortCell(no_port=True)
    _, _, bidir = _port_patterns(vocab)
    bidirectional = bool(bidir.search(stripped))
    bare = bidir.sub(" ", stripped).strip()
    ranges = _ranges(bare, vocab)
    if ranges is None:
        # A sentence.  Port expressions it puts in parentheses are its ports
        # ("Dynamically allocated high-port (49152-65535)"); a sentence without
        # digits names no port; digits elsewhere cannot be read without guessing.
        ranges = []
        for inner in re.findall(r"\(([^()]*)\)", bare):
            found = _ranges(inner, vocab)
            if found:
                ranges.extend(found)
        if not ranges:
            annotated = re.fullmatch(r"(.*?)\s*\(([^()\d]+)\)", bare)
            if annotated and _ranges(annotated.group(1), vocab):
                # "80 (Bidirectioneel)": ports, and words whose meaning is not known
                return PortCell(
                    error=(
                        f"Port {text!r}: the ports {annotated.group(1)!r} come with "
                        f"'({annotated.group(2).strip()})', words the vocabulary does not know; "
                        "if they mean both ways, add them to [ports] bidirectional in "
                        "pipeline/data/vocabulary.toml"
                    )
                )
            if re.search(r"\d", bare):
                return PortCell(
                    error=f"Port {text!r} is a sentence whose numbers are not a port list"
                )
            return PortCell(no_port=True, bidirectional=bidirectional)
    error = _check(ranges, text)
    if error:
        return PortCell(error=error)
    return PortCell(ranges=tuple(ranges), bidirectional=bidirectional)
