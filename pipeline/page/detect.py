"""Recognise the form of a snapshot (text rendering, Markdown source, HTML) and its locale.

Input: the bytes of a snapshot, its name and the charset its server declared.  Output:
the decoded text and the encoding used (decoded as a browser does), its form ("text",
"markdown", "html") and its locale, or an ``InputError`` that says where the input stops
being readable.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from pipeline.catalogue import Notice, warning
from pipeline.core.bounded import cap
from pipeline.core.normalize import TAG
from pipeline.errors import InputError, Location
from pipeline.page.vocabulary import Vocabulary, load

MAX_INPUT_BYTES = cap("page")  # pipeline/data/input_limits.toml


HTML_SNIFF = re.compile(rb"<(?:!doctype\s+html|html|table|body|article|meta)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Decoded:
    """A snapshot's text and the encoding it was read in."""

    text: str
    encoding: str


def decode_page(data: bytes, name: str, declared: str | None = None) -> Decoded:
    """The text of a snapshot's bytes, decoded as a browser would.

    A byte order mark decides first (UTF-8, UTF-16, UTF-32, for every form).  Then the
    charset the server declared (``declared``: what the fetch recorded from
    ``Content-Type``), then, for an HTML page, the one its ``<meta charset>`` /
    ``http-equiv`` declares (found by beautifulsoup4's ``EncodingDetector``), then
    UTF-8; the first that decodes every byte wins.  The Latin-1 labels read as
    windows-1252, as browsers read them.

    Raises ``InputError``, located at the offending line, for an empty, oversized,
    binary or undecodable input, or one holding control characters.

    >>> decode_page("<meta charset=windows-1252><p>caf\u00e9".encode("cp1252"), "p.html")
    Decoded(text='<meta charset=windows-1252><p>café', encoding='windows-1252')
    """
    if not data.strip():
        raise InputError(
            "the input is empty",
            Location(name),
            hint="give a snapshot of the page (text, Markdown or HTML)",
        )
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(
            f"the input is {len(data)} bytes, more than the {MAX_INPUT_BYTES} a page can be",
            Location(name),
        )
    body, bom = strip_bom(data)
    candidates: list[str] = []
    if bom:
        candidates = [bom]
    else:
        if b"\x00" in data:
            line = data[: data.index(b"\x00")].count(b"\n") + 1
            raise InputError(
                "the input holds NUL bytes: it is binary, not a page",
                Location(name, line),
                hint="check that the file is the snapshot",
            )
        candidates = [declared] if declared else []
        if HTML_SNIFF.search(data[:4096]):
            from bs4.dammit import EncodingDetector  # imported for HTML pages only

            meta = EncodingDetector.find_declared_encoding(data, is_html=True)
            candidates += [meta] if meta else []
        candidates.append("utf-8")
    for encoding in dict.fromkeys(normal_encoding(e) for e in candidates):
        try:
            text = body.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        break
    else:
        tried = list(dict.fromkeys(normal_encoding(c) for c in candidates))
        try:
            body.decode("utf-8")
            start = None
        except UnicodeDecodeError as exc:
            start = exc.start
        others = [e for e in tried if e != "utf-8"]
        if start is None:  # a byte order mark named an encoding the bytes do not fit
            raise InputError(
                f"the input starts with the byte order mark of {tried[0]} but "
                "does not decode in it",
                Location(name, 1),
                hint="re-save the snapshot in one encoding (UTF-8)",
            )
        also = f", nor {' nor '.join(others)} as declared" if others else ""
        raise InputError(
            f"the input is not UTF-8 (byte 0x{body[start]:02x} at offset {start}){also}",
            Location(name, body[:start].count(b"\n") + 1),
            hint="re-save the snapshot as UTF-8, or declare its charset (<meta charset>)",
        )
    controls = re.search(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]", text)
    if controls:
        line = text[: controls.start()].count("\n") + 1
        raise InputError(
            f"the input holds the control character {controls.group()!r}: it is not a page",
            Location(name, line),
        )
    return Decoded(text, encoding)


# What browsers do with the Latin-1 labels (WHATWG Encoding Standard): they decode as
# windows-1252, of which ISO-8859-1 is a subset for every printable character.
WINDOWS_1252_LABELS = {
    "ascii",
    "us-ascii",
    "iso-8859-1",
    "iso8859-1",
    "iso_8859-1",
    "latin1",
    "latin-1",
    "l1",
    "cp819",
    "ibm819",
    "x-cp1252",
    "cp1252",
    "windows-1252",
}
WEB_NAMES = {"cp1252": "windows-1252", "utf_16_le": "utf-16-le", "utf_16_be": "utf-16-be"}


BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def strip_bom(data: bytes) -> tuple[bytes, str | None]:
    r"""The bytes without their byte order mark, and the encoding the mark names.

    >>> strip_bom(b"\xff\xfeA\x00"), strip_bom(b"abc")
    ((b'A\x00', 'utf-16-le'), (b'abc', None))
    """
    for mark, encoding in BOMS:  # UTF-32 LE starts like UTF-16 LE: tried first
        if data.startswith(mark):
            return data[len(mark) :], encoding
    return data, None


def normal_encoding(name: str) -> str:
    """The encoding a browser uses for a charset label, by its web name.

    >>> normal_encoding("ISO-8859-1"), normal_encoding("utf8"), normal_encoding("UTF-16LE")
    ('windows-1252', 'utf-8', 'utf-16-le')
    """
    label = name.strip().lower()
    if label in WINDOWS_1252_LABELS:
        return "windows-1252"
    try:
        python = codecs.lookup(label).name
    except LookupError:
        return label
    return WEB_NAMES.get(python.replace("-", "_"), python)


def decode(data: bytes, name: str, declared: str | None = None) -> str:
    """The text of a snapshot's bytes (see ``decode_page``)."""
    return decode_page(data, name, declared).text


def detect_form(text: str) -> str:
    r"""The form of a snapshot from its content: "html", "markdown" or "text".

    >>> detect_form("<!DOCTYPE html><html>…"), detect_form("# Title\n"), detect_form("Title\n")
    ('html', 'markdown', 'text')
    """
    head = text[:4096].lstrip().lower()
    if head.startswith(("<!doctype html", "<html")) or re.search(r"<(table|body|article)\b", head):
        return "html"
    if (
        head.startswith("---")
        or re.search(r"^#{1,6} \S", text, re.MULTILINE)
        or re.search(r"^\|.*\|\s*$\n^\|\s*:?-{3,}", text, re.MULTILINE)
    ):
        return "markdown"
    return "text"


def locale_markers(text: str, vocab: Vocabulary | None = None) -> dict[str, list[str]]:
    """For each locale, the marker words of the vocabulary the page uses (with repeats).

    >>> locale_markers("Source | Détails | 80 (bidirectionnel)")["fr-fr"]
    ['Détails', 'bidirectionnel']
    """
    vocab = vocab or load()
    # a marker not in the text at all is not searched as a word
    return {
        loc: [
            m
            for m in markers
            if m in text
            for _ in re.findall(rf"(?<!\w){re.escape(m)}(?!\w)", text)
        ]
        for loc, markers in vocab.locale_markers.items()
    }


UNDETERMINED = "und"  # BCP 47: the language is not known
# The locale a URL of docs.citrix.com names: "/ja-jp/" anywhere in its path (the site's
# first scheme), or country then language as the path's first two segments ("/jp/ja/",
# "/us/en/", "/br/pt/": the scheme of its pages published in 2026, such as
# docs.citrix.com/jp/ja/citrix-daas/sdk-api.html).
URL_LOCALE = re.compile(r"/([a-z]{2}-[a-z]{2})/", re.IGNORECASE)
URL_COUNTRY_LANGUAGE = re.compile(
    r"^[a-z][a-z0-9+.-]*://[^/?#]+/([a-z]{2})/([a-z]{2})/", re.IGNORECASE
)


def html_lang(head: str) -> str:
    """The language tag of the ``<html lang>`` of a page's beginning, read by the standard
    library's HTML tokenizer (never a pattern over markup), "" when none.

    >>> html_lang('<!doctype html><HTML data-x="a>b" LANG="ja-JP"><body>'), html_lang("Quelle")
    ('ja-JP', '')
    """
    from html.parser import HTMLParser

    found: list[str] = []

    class First(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag == "html" and not found:
                found.append(next((v or "" for k, v in attrs if k == "lang"), ""))

    First().feed(head)
    tag = found[0].strip() if found else ""
    return tag if re.fullmatch(TAG, tag, re.IGNORECASE) else ""


def known_locale(tag: str, vocab: Vocabulary | None = None) -> str:
    """A language tag as a locale: lower case, ``_`` as ``-``; a bare language that one
    locale of the vocabulary has stands for it (``en`` -> ``en-us``).

    >>> known_locale("ja"), known_locale("fr_FR"), known_locale("nl")
    ('ja-jp', 'fr-fr', 'nl')
    """
    tag = tag.strip().lower().replace("_", "-")
    if "-" not in tag:
        same = [loc for loc in (vocab or load()).locales if loc.split("-")[0] == tag]
        if len(same) == 1:
            return same[0]
    return tag


def language_tag(text: str, vocab: Vocabulary | None = None) -> str:
    """A locale a person gives (``--locale``): a BCP 47 language tag such as ``ja-jp``,
    ``ko-KR`` or ``und``, as the locale it names; ``ValueError`` for anything else.

    >>> language_tag("ko-KR"), language_tag("und"), language_tag("fr")
    ('ko-kr', 'und', 'fr-fr')
    """
    if not re.fullmatch(TAG, text.strip(), re.IGNORECASE):
        raise ValueError(
            f"{text!r} is not a language tag such as fr-fr, ja-jp, ko-kr or und (undetermined)"
        )
    return known_locale(text, vocab)


def url_locale(url: str | None, vocab: Vocabulary | None = None) -> str | None:
    """The locale a URL names (see ``URL_LOCALE``), None when it names none.

    >>> url_locale("https://docs.citrix.com/ja-jp/tech-zone/p.html")
    'ja-jp'
    >>> url_locale("https://docs.citrix.com/br/pt/citrix-daas/sdk-api.html")
    'pt-br'
    >>> url_locale("https://docs.citrix.com/tech-zone/build/p.html") is None
    True
    """
    if not url:
        return None
    found = URL_LOCALE.search(url)
    if found:
        return known_locale(found.group(1), vocab)
    found = URL_COUNTRY_LANGUAGE.search(url)
    if found:
        return known_locale(f"{found.group(2)}-{found.group(1)}", vocab)
    return None


def detect_locale(text: str, vocab: Vocabulary | None = None, url: str | None = None) -> str:
    """The page's locale: its HTML ``lang`` attribute, else the locale the URL it was
    fetched from names (``/ja-jp/`` or ``/jp/ja/``), else the locale whose marker words
    the page uses most, else ``und``.

    >>> detect_locale('<html lang="ja"><body></body></html>'), detect_locale("Quelle | Ziel")
    ('ja-jp', 'de-de')
    >>> detect_locale("no words of any page"), detect_locale("x", url="https://d/ko-kr/p.html")
    ('und', 'ko-kr')
    """
    lang = html_lang(text[:4096])
    if lang:
        return known_locale(lang, vocab)
    in_url = url_locale(url, vocab)
    if in_url:
        return in_url
    found = locale_markers(text, vocab)
    best = max(found, key=lambda loc: len(found[loc]))
    return best if found[best] else UNDETERMINED


def locale_warning(
    text: str, locale: str, vocab: Vocabulary | None = None, recorded: bool = False
) -> Notice | None:
    """A warning when the page's words say another locale than ``locale`` (None if not):
    ``locale`` given with ``--locale``, or the one ``recorded`` for the snapshot by fetch.

    >>> locale_warning("Détails | S/O | Remarque", "en-us")[:45]
    'warning: --locale en-us, but the page looks f'
    """
    found = locale_markers(text, vocab)
    best = max(found, key=lambda loc: len(found[loc]))
    if best == locale or len(found[best]) <= len(found.get(locale, [])):
        return None
    words = ", ".join(sorted(set(found[best])))
    code = "recorded-locale-contradicted" if recorded else "locale-contradicted"
    return warning(code, locale=locale, best=best, words=words)
