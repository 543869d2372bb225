"""Text from the page or a published file, made safe to show: it reaches files and
screens only as text.

Input: any text.  Output: ``printable`` (for rule files: every control, format,
separator, private-use or unassigned character removed: bidi overrides and isolates,
zero-width characters, line separators, escape sequences can never make a comment
display as something else) or ``escaped`` (for a terminal: the same characters shown as
``\\u202e``-style escapes, so that a tampered file is seen for what it is).
"""

from __future__ import annotations

import unicodedata


def hidden(ch: str) -> bool:
    """Whether a character is not shown as itself: controls (Cc), format characters (Cf:
    bidi, zero-width), surrogates, private use, unassigned, line and paragraph
    separators."""
    return unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")


def printable(text: str) -> str:
    """Text as text only: hidden characters removed, white space collapsed.

    >>> printable("a\\u202eb\\u2066c\\u200fd\\u200be\\u2028f\\x1b[31mg")
    'abcde f[31mg'
    """
    text = " ".join(text.split())  # every line break and space first, as one space
    if text.isprintable():  # no character of those categories (the common case, fast)
        return text
    return " ".join("".join(ch for ch in text if not hidden(ch)).split())


def escaped(text: str) -> str:
    """Text for a terminal: hidden characters (escape sequences, bidi overrides) shown
    as escapes, never acted on.

    >>> escaped("a\\x1b[2Jb\\u202ec")
    'a\\\\x1b[2Jb\\\\u202ec'
    """
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch in "\t\n" or not hidden(ch):
            out.append(ch)
        elif ord(ch) < 0x100:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(f"\\u{ord(ch):04x}" if ord(ch) < 0x10000 else f"\\U{ord(ch):08x}")
    return "".join(out)
