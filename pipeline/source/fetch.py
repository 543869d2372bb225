"""Fetch stage: the live page (or its Markdown source) into a snapshot in ``raw/``.

Input: a URL (default: the page of a locale on docs.citrix.com) and the raw directory.
Output: the snapshot file and its entry in ``raw/manifest.json`` (url, final url,
status, fetched_at, sha256, bytes, content type, ETag / Last-Modified, form, locale),
both written atomically, or a ``FetchError`` saying what happened and what to try,
with the previous snapshot left byte-identical.

Safety: only https URLs on known hosts (``KNOWN_HOSTS``) are fetched; ``allow_hosts``
adds hosts explicitly (over http or https).  Redirects are followed by hand, each target
checked the same way before it is requested.  The body is streamed under a size cap,
its content type checked, and it must parse as a page with port tables before it
replaces a snapshot; a page that lost more than half of the current snapshot's rows is
refused unless ``force``.  Requests carry a clear User-Agent, connect and read timeouts,
and retries with exponential backoff on connection errors, 429 and 5xx, honouring
Retry-After (capped).  A conditional request (If-None-Match / If-Modified-Since) uses
the validators of the manifest; 304 keeps the snapshot as it is.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from pipeline import __version__
from pipeline.core.atomic import atomic_write, clean_temporaries, held
from pipeline.core.bounded import cap, excerpt, read_input
from pipeline.errors import FetchError, InputError, Location
from pipeline.page.detect import decode, detect_form, detect_locale, url_locale
from pipeline.page.readers import read_page
from pipeline.source import raw_manifest

KNOWN_HOSTS = ("docs.citrix.com", "raw.githubusercontent.com")
DEFAULT_URL = (
    "https://docs.citrix.com/{locale}/tech-zone/build/tech-papers/citrix-communication-ports.html"
)
USER_AGENT = (
    f"citrix-ports/{__version__} (open data pipeline of the Citrix communication "
    "ports page; python-requests)"
)
CONTENT_TYPES = (
    "text/html",
    "application/xhtml+xml",
    "text/plain",
    "text/markdown",
    "text/x-markdown",
)
MAX_BYTES = cap("fetched")  # pipeline/data/input_limits.toml
MAX_REDIRECTS = 5
MAX_RETRY_AFTER = 60.0
DEADLINE = 120.0  # seconds for the whole transfer (fetch --deadline)


class CappedRetry(Retry):
    """urllib3 Retry whose Retry-After wait is capped (a server cannot stall us)."""

    def get_retry_after(self, response):
        """The server's Retry-After, capped at ``MAX_RETRY_AFTER`` seconds."""
        value = super().get_retry_after(response)
        return None if value is None else min(value, MAX_RETRY_AFTER)


@dataclass
class FetchResult:
    """What a fetch did: the snapshot path, the HTTP status, whether it changed,
    and its manifest entry.
    """

    path: Path
    status: int  # 200, or 304 when the snapshot was already current
    changed: bool
    entry: dict


def check_url(url: str, allow_hosts: tuple[str, ...]) -> str:
    """The URL as it will be requested, once it is known to go where it says: the host is
    read by the parser that connects (urllib3's, on the URL requests prepares), and must be
    a known host over https or an allowed host (``allow_hosts``) over http or https.

    Refused before any request, with ``FetchError`` saying why: backslashes, whitespace and
    control characters (parsers disagree on them: ``https://127.0.0.1\\@docs.citrix.com/``
    connects to 127.0.0.1), credentials, schemes other than http(s), a host the standard
    library reads differently, and any host the lists do not approve.
    """
    from urllib3.util import parse_url

    shown = excerpt(url, 120)
    bad = next((c for c in url if c == "\\" or c.isspace() or not c.isprintable()), None)
    if bad is not None:
        raise FetchError(
            f"refusing to fetch {shown}: it holds {bad!r}, which URL parsers read differently",
            hint="write the address without it (percent-encode it in the path if it belongs there)",
        )
    prepared = requests.PreparedRequest()
    try:
        prepared.prepare_url(url, None)
        parts = parse_url(str(prepared.url))
    except (
        requests.exceptions.RequestException,
        urllib3.exceptions.LocationParseError,
        ValueError,
    ) as exc:
        raise FetchError(
            f"refusing to fetch {shown}: not a URL ({exc})",
            hint="give an address such as https://docs.citrix.com/…",
        ) from None
    host = (parts.host or "").lower()
    if parts.auth or "@" in (urlsplit(url).netloc or ""):
        raise FetchError(
            f"refusing to fetch {shown}: it holds credentials",
            hint="give the address without user:password@",
        )
    if (urlsplit(prepared.url).hostname or "").lower() != host:
        raise FetchError(
            f"refusing to fetch {shown}: its host is ambiguous", hint="write the address plainly"
        )
    allowed = {h.lower() for h in allow_hosts}
    if parts.scheme not in ("http", "https"):
        raise FetchError(
            f"refusing to fetch {shown}: only http(s) addresses are fetched",
            hint="use the https:// address",
        )
    if host in allowed:
        return str(prepared.url)
    if host not in KNOWN_HOSTS:
        raise FetchError(
            f"refusing to fetch {shown}: host {host or '(none)'!r} is not a known "
            f"host ({', '.join(KNOWN_HOSTS)})",
            hint="add it explicitly with --allow-host HOST if you trust it",
        )
    if parts.scheme != "https":
        raise FetchError(
            f"refusing to fetch {shown}: only https is allowed for {host}",
            hint="use the https:// address",
        )
    return str(prepared.url)


def session(retries: int, backoff: float) -> requests.Session:
    """A requests session with the User-Agent and urllib3 retries (backoff, 429 and
    5xx, Retry-After capped), redirects left to ``get``.
    """
    s = requests.Session()
    retry = CappedRetry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        backoff_factor=backoff,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=frozenset({"GET"}),
        respect_retry_after_header=True,
        raise_on_status=False,
        redirect=0,
    )
    adapter = HTTPAdapter(max_retries=retry)
    s.mount("http://", adapter)
    s.mount("https://", adapter)
    s.headers.update({"User-Agent": USER_AGENT, "Accept": "text/html, text/plain;q=0.9, */*;q=0.1"})
    return s


EXTENSIONS = {"text": "txt", "markdown": "md", "html": "html"}  # a snapshot's name says its form


def snapshot_name(locale: str, form: str) -> str:
    """The snapshot's file name in raw/ for a locale and the form its content has.

    >>> snapshot_name("en-us", "markdown"), snapshot_name("fr-fr", "text")
    ('citrix-communication-ports.en-us.md', 'citrix-communication-ports.fr-fr.txt')
    """
    return f"citrix-communication-ports.{locale}.{EXTENSIONS[form]}"


def previous(
    manifest: dict, raw_dir: Path, url: str, locale: str | None, form: str | None = None
) -> tuple[Path | None, dict]:
    """The snapshot an earlier fetch of ``url`` (and ``locale``, when known, and in the
    ``form`` to be saved, when known) saved, with its entry, when it is still the file
    the entry describes; else (None, {})."""
    for name, entry in sorted(manifest["snapshots"].items()):
        if entry.get("url") != url or (locale and entry.get("locale") not in (None, locale)):
            continue
        if form and entry.get("form") != form:
            continue
        path = raw_dir / name
        try:
            data = read_input(path, "page", "snapshot")
        except InputError:
            continue
        if not raw_manifest.disagreement(entry, data):
            return path, entry
    return None, {}


def conditional(entry: dict) -> dict:
    """The validators of a verified snapshot's entry as request headers."""
    headers = {}
    if entry.get("etag"):
        headers["If-None-Match"] = entry["etag"]
    if entry.get("last_modified"):
        headers["If-Modified-Since"] = entry["last_modified"]
    return headers


def count_rows(text: str, name: str, locale: str) -> tuple[int, int]:
    """(tables, rows) of a page; raises InputError when it cannot be read."""
    page = read_page(text, detect_form(text), name, locale)
    return len(page.tables), sum(len(t.rows) for t in page.tables)


def get(
    s: requests.Session,
    url: str,
    *,
    headers: dict,
    allow_hosts: tuple[str, ...],
    timeout: tuple[float, float],
    max_bytes: int,
    deadline: float = DEADLINE,
) -> tuple[requests.Response, bytes, str]:
    """GET with redirects followed by hand (each target checked) and a capped body, all of
    it, retries and redirects included, within ``deadline`` seconds.

    The transfer runs in a worker thread that the caller waits for at most ``deadline``;
    the worker reads the body a network read at a time and stops at the first read after
    the deadline, so a server that drips one byte at a time (each read within
    ``timeout``) cannot hold the command.  Raises ``FetchError`` naming what happened.
    """
    import threading
    import time

    end = time.monotonic() + deadline
    done: dict = {}

    def work() -> None:
        try:
            done["value"] = transfer(
                s,
                url,
                headers=headers,
                allow_hosts=allow_hosts,
                timeout=timeout,
                max_bytes=max_bytes,
                end=end,
            )
        except BaseException as exc:  # handed to the caller's thread
            done["error"] = exc

    worker = threading.Thread(target=work, name="citrix-ports-fetch", daemon=True)
    worker.start()
    worker.join(max(0.0, end - time.monotonic()))
    if worker.is_alive() or isinstance(done.get("error"), DeadlinePassed):
        raise FetchError(
            f"{url}: not fetched within the deadline of {deadline:g} s (the "
            "whole transfer, retries and redirects included)",
            hint="the server is too slow: try again later, or raise --deadline",
        )
    if "error" in done:
        raise done["error"]
    return done["value"]


class DeadlinePassed(Exception):
    """The deadline of ``get`` passed while the worker was reading."""


def transfer(
    s: requests.Session,
    url: str,
    *,
    headers: dict,
    allow_hosts: tuple[str, ...],
    timeout: tuple[float, float],
    max_bytes: int,
    end: float,
) -> tuple[requests.Response, bytes, str]:
    """The redirects and the body of ``get``, in its worker; stops past ``end``
    (``time.monotonic``)."""
    import time

    for _ in range(MAX_REDIRECTS + 1):
        url = check_url(url, allow_hosts)
        try:
            response = s.get(
                url, headers=headers, timeout=timeout, stream=True, allow_redirects=False
            )
        except requests.exceptions.RetryError as exc:
            raise FetchError(
                f"{url}: the server kept failing after retries ({exc})", hint="try again later"
            ) from None
        except requests.exceptions.ConnectionError as exc:
            raise connection_error(url, exc, timeout) from None
        except requests.exceptions.Timeout:
            raise FetchError(
                f"{url}: timed out (connect {timeout[0]}s, read {timeout[1]}s)",
                hint="try again later, or raise --timeout",
            ) from None
        if response.is_redirect:
            target = urljoin(url, response.headers.get("Location", ""))
            response.close()
            url = target
            continue
        if response.status_code == 304:
            return response, b"", url
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > max_bytes:
            response.close()
            raise FetchError(
                f"{url}: the page is {declared} bytes, over the cap of {max_bytes}",
                hint="raise --max-bytes if the page really grew",
            )
        body = bytearray()
        try:
            # read1: one network read at a time, so the deadline is looked at between reads
            while chunk := response.raw.read1(64 * 1024, decode_content=True):
                body.extend(chunk)
                if len(body) > max_bytes:
                    response.close()
                    raise FetchError(
                        f"{url}: the body is over the cap of {max_bytes} bytes",
                        hint="raise --max-bytes if the page really grew",
                    )
                if time.monotonic() > end:
                    response.close()
                    raise DeadlinePassed()
        except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise FetchError(
                f"{url}: the body was cut short ({exc.__class__.__name__})", hint="try again later"
            ) from None
        return response, bytes(body), url
    raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects")


def connection_error(url: str, exc: Exception, timeout: tuple[float, float]) -> FetchError:
    """What a failed connection was, in words: refused, not resolved, timed out, TLS."""
    reason = getattr(exc.args[0], "reason", exc.args[0]) if exc.args else exc
    cause = reason
    while cause is not None and not isinstance(cause, OSError):
        cause = cause.__context__ or cause.__cause__
    if isinstance(cause, ConnectionRefusedError):
        return FetchError(
            f"{url}: connection refused (nothing listens at that address)",
            hint="check the address and port, and that the server is up",
        )
    if isinstance(reason, urllib3.exceptions.ProtocolError):  # a malformed answer
        detail = reason.args[1] if len(reason.args) > 1 else reason
        return FetchError(
            f"{url}: the server's answer broke HTTP ({excerpt(detail, 80)})",
            hint="the server is not a web server, or a broken one: check the URL",
        )
    if isinstance(reason, urllib3.exceptions.NameResolutionError):
        return FetchError(
            f"{url}: the host name does not resolve", hint="check the address and the network (DNS)"
        )
    # before the timeouts: urllib3's NewConnectionError (unreachable…) is a subclass of them
    if isinstance(reason, urllib3.exceptions.NewConnectionError):
        said = cause.strerror if isinstance(cause, OSError) and cause.strerror else "no route"
        return FetchError(
            f"{url}: cannot connect ({said})", hint="check the address and the network"
        )
    if isinstance(reason, urllib3.exceptions.SSLError):
        return FetchError(
            f"{url}: the TLS connection failed ({reason})",
            hint="check the address; the server's certificate is not trusted",
        )
    if isinstance(reason, urllib3.exceptions.TimeoutError):
        return FetchError(
            f"{url}: timed out after retries (connect {timeout[0]}s, read {timeout[1]}s)",
            hint="try again later, or raise --timeout",
        )
    return FetchError(
        f"{url}: cannot connect ({reason.__class__.__name__})",
        hint="check the address and the network",
    )


def fetch(
    url: str | None = None,
    *,
    locale: str | None = None,
    raw_dir: Path = Path("raw"),
    allow_hosts: tuple[str, ...] = (),
    force: bool = False,
    timeout: tuple[float, float] = (10.0, 30.0),
    max_bytes: int = MAX_BYTES,
    retries: int = 3,
    backoff: float = 1.0,
    set_default: bool = False,
    deadline: float = DEADLINE,
    form: str = "served",
) -> FetchResult:
    """Fetch the page into ``raw_dir`` and record it in ``raw/manifest.json``; returns
    what was done.

    ``form`` is what is saved: ``served``, the page as the server sent it; ``text``, an
    HTML page rendered to text as the committed snapshot was (``render.html_to_text``);
    ``default``, the form of the default snapshot ``raw/manifest.json`` names (the page as
    served when there is none), so that a refresh keeps the snapshot's form.

    ``locale`` (default: recognised from the URL, ``/ja-jp/`` or ``/jp/ja/``, else the
    page's ``lang`` or words) names the snapshot; the default URL is the page of
    ``locale``, else of the vocabulary's first locale.

    Raises ``FetchError`` (what happened and what to try), the previous snapshot and
    manifest left byte-identical.  One fetch at a time writes ``raw_dir`` (a second waits,
    then fails saying so: ``InputError``).
    """
    from pipeline.page.vocabulary import load

    url = check_url(url or DEFAULT_URL.format(locale=locale or load().locales[0]), allow_hosts)
    with held(raw_dir.absolute(), "another fetch is writing this raw directory"):
        return fetch_locked(
            url,
            locale=locale,
            raw_dir=raw_dir,
            allow_hosts=allow_hosts,
            force=force,
            timeout=timeout,
            max_bytes=max_bytes,
            retries=retries,
            backoff=backoff,
            set_default=set_default,
            deadline=deadline,
            form=form,
        )


def fetch_locked(
    url: str,
    *,
    locale: str | None,
    raw_dir: Path,
    allow_hosts: tuple[str, ...],
    force: bool,
    timeout: tuple[float, float],
    max_bytes: int,
    retries: int,
    backoff: float,
    set_default: bool,
    deadline: float,
    form: str = "served",
) -> FetchResult:
    """``fetch``, holding the lock of the raw directory (``.raw.lock`` beside it): what a
    killed fetch left (temporary files) is removed first."""
    clean_temporaries(raw_dir / raw_manifest.FILE_NAME)
    try:
        manifest = raw_manifest.read(raw_dir)
    except raw_manifest.ManifestError as exc:
        raise FetchError(str(exc), hint="restore it from git") from None
    old_path, old_entry = previous(
        manifest, raw_dir, url, locale or url_locale(url), wanted_form(form, manifest)
    )
    with session(retries, backoff) as s:
        response, body, final_url = get(
            s,
            url,
            headers=conditional(old_entry),
            allow_hosts=allow_hosts,
            timeout=timeout,
            max_bytes=max_bytes,
            deadline=deadline,
        )
    status = response.status_code
    if status == 304:
        if old_path is None:
            raise FetchError(
                f"{url}: 304 Not Modified, but no snapshot was asked about",
                hint="the server answers 304 to unconditional requests: try again later",
            )
        if set_default and manifest.get("default") != old_path.name:
            manifest["default"] = old_path.name
            raw_manifest.write(raw_dir, manifest)
        return FetchResult(old_path, 304, False, old_entry)
    text, page_locale, tables, rows = readable(url, response, body, final_url, locale)
    served = detect_form(text)
    saved, body, served_entry = in_form(url, text, body, served, form, manifest)
    if served_entry:
        tables, rows = count_rows(body.decode("utf-8"), final_url, page_locale)
        if not tables:
            raise FetchError(
                f"{url}: the page's text rendering has no port table",
                hint="fetch with --form served and report the page",
            )
    path = raw_dir / snapshot_name(page_locale, saved)  # named after what the page is
    clean_temporaries(path)
    if not force:
        shrink_check(url, rows, old_path or path, old_entry, manifest, page_locale)
    entry = snapshot_entry(
        url,
        final_url,
        response=response,
        body=body,
        form=saved,
        locale=page_locale,
        tables=tables,
        rows=rows,
    )
    if served_entry:  # what was saved is a rendering: its bytes, and what the server sent
        entry["content_type"] = "text/plain; charset=utf-8"
        entry["served"] = {**served_entry, "content_type": response.headers.get("Content-Type", "")}
    changed = old_path != path or old_entry.get("sha256") != entry["sha256"]
    manifest["snapshots"][path.name] = entry
    if set_default:
        manifest["default"] = path.name
    try:
        # the snapshot first, the manifest last: a kill between them leaves a snapshot its
        # entry does not describe, which build refuses and the next fetch replaces
        atomic_write(path, body)
        raw_manifest.write(raw_dir, manifest)
    except OSError as exc:
        raise FetchError(
            f"cannot write the snapshot: {exc.strerror}",
            Location(str(raw_dir)),
            hint="check the permissions of the raw directory (--raw-dir)",
        ) from None
    return FetchResult(path, status, changed, entry)


def snapshot_entry(
    url: str,
    final_url: str,
    *,
    response: requests.Response,
    body: bytes,
    form: str,
    locale: str,
    tables: int,
    rows: int,
) -> dict:
    """The ``raw/manifest.json`` entry of a snapshot saved from ``response``: where it came
    from and when, its checksum and size, the server's validators, its form, locale and
    counts."""
    return {
        "url": url,
        "final_url": final_url,
        "status": response.status_code,
        "fetched_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "sha256": hashlib.sha256(body).hexdigest(),
        "bytes": len(body),
        "content_type": response.headers.get("Content-Type", ""),
        "etag": response.headers.get("ETag", ""),
        "last_modified": response.headers.get("Last-Modified", ""),
        "form": form,
        "locale": locale,
        "tables": tables,
        "rows": rows,
    }


def wanted_form(form: str, manifest: dict) -> str | None:
    """The form ``fetch --form`` saves, when known before the page is: ``text``, or the
    default snapshot's form for ``default``; None for the form the page is served in."""
    if form == "text":
        return "text"
    if form == "default":
        default = manifest.get("default")
        return manifest["snapshots"].get(default, {}).get("form") if default else None
    return None


def in_form(
    url: str, text: str, body: bytes, served: str, form: str, manifest: dict
) -> tuple[str, bytes, dict]:
    """(the form saved, its bytes, what the server sent when that is a rendering of it,
    else {}) for ``fetch --form``; ``FetchError`` for a form the page cannot be saved in
    (only HTML is rendered, to text)."""
    wanted = wanted_form(form, manifest) or served
    if wanted == served:
        return served, body, {}
    if (served, wanted) != ("html", "text"):
        raise FetchError(
            f"{url}: the page is served as {served}, and --form {form} asks for {wanted}: "
            "only HTML is rendered (to text)",
            hint="fetch with --form served",
        )
    from pipeline.source.render import RENDERER, html_to_text

    rendered = html_to_text(text).encode("utf-8")
    return (
        "text",
        rendered,
        {
            "form": served,
            "sha256": hashlib.sha256(body).hexdigest(),
            "bytes": len(body),
            "rendered_by": RENDERER,
        },
    )


def readable(
    url: str, response: requests.Response, body: bytes, final_url: str, locale: str | None
) -> tuple[str, str, int, int]:
    """The page a 200 answer carries: (text, locale, tables, rows), or ``FetchError`` for
    another status, a content type that is no page, a body that cannot be read, or a page
    without a port table."""
    status = response.status_code
    if status != 200:
        raise FetchError(
            f"{url}: HTTP {status} {response.reason or ''}".rstrip(),
            hint="check the URL" if status in (401, 403, 404, 410) else "try again later",
        )
    ctype = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if ctype not in CONTENT_TYPES:
        raise FetchError(
            f"{url}: content type {ctype or '(none)'!r} is not a page ({', '.join(CONTENT_TYPES)})",
            hint="check the URL",
        )
    try:
        text = decode(
            body, final_url, raw_manifest.charset_of(response.headers.get("Content-Type", ""))
        )
        page_locale = locale or detect_locale(text, url=final_url)
        tables, rows = count_rows(text, final_url, page_locale)
    except InputError as exc:
        raise FetchError(
            f"{url}: the page cannot be read: {exc.message}",
            hint="the server may have sent an error page",
        ) from None
    if tables == 0:
        raise FetchError(
            f"{url}: the page has no port table (an error page served with 200?)",
            hint="check the URL in a browser; the snapshot was kept",
        )
    return text, page_locale, tables, rows


def shrink_check(url: str, rows: int, path: Path, entry: dict, manifest: dict, locale: str) -> None:
    """Refuse a page that lost more than half of the rows of the snapshot it replaces."""
    if not path.exists():
        return
    try:
        old = decode(
            read_input(path, "page", "snapshot"),
            str(path),
            raw_manifest.declared_charset(entry or manifest["snapshots"].get(path.name, {})),
        )
        _, old_rows = count_rows(old, str(path), locale)
    except InputError:
        old_rows = 0
    if rows * 2 < old_rows:
        raise FetchError(
            f"{url}: the page has {rows} rows where the snapshot has "
            f"{old_rows}: it lost more than half",
            Location(str(path)),
            hint="check the page; --force replaces the snapshot anyway",
        )
