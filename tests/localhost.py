"""A server on 127.0.0.1 for the tests that fetch: a TCP listener that counts its
connections and answers as told (at once, dripping, or by a function), the argument list
of a fetch from it, and the English page it serves.

Input: what the test wants the server to say.  Output: the listener and its arguments.
"""

from __future__ import annotations

from cli_args import fetch_args

from conftest import ENGLISH


class Listener:
    """A TCP listener on 127.0.0.1 that counts the connections it receives and answers
    each with ``head`` at once, then ``reply`` with ``drip`` seconds between its bytes."""

    def __init__(self, reply: bytes = b"", drip: float = 0.0, head: bytes = b""):
        import socket
        import threading

        self.reply, self.drip, self.head = reply, drip, head
        self.connections, self.requests = 0, []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.02)  # how soon close() ends the accept loop
        self.port = self.sock.getsockname()[1]
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):

        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            with conn:
                conn.settimeout(2)
                try:
                    self.requests.append(conn.recv(65536).split(b"\r\n", 1)[0].decode())
                    if callable(self.reply):  # writes what it likes, until it returns
                        self.reply(conn, self.stopped)
                        continue
                    conn.sendall(self.head)
                    if not self.drip:
                        conn.sendall(self.reply)
                        continue
                    for byte in self.reply:
                        if self.stopped.wait(self.drip):
                            break
                        conn.sendall(bytes([byte]))
                except OSError:
                    pass

    def close(self):
        self.stopped.set()
        self.thread.join(5)
        self.sock.close()


def local_fetch(
    port: int, raw, *extra: str, locale: str | None = "en-us", path: str = "/page.html"
) -> list[str]:
    """The arguments of a fetch from a listener of the test on 127.0.0.1: no retry."""
    return fetch_args(
        f"http://127.0.0.1:{port}{path}",
        str(raw),
        *(["--locale", locale] if locale else []),
        *extra,
    )


PAGE_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n"


PAGE_BODY = None


def page_body() -> bytes:
    """The English page as HTML, as the fetch tests serve it."""
    global PAGE_BODY
    if PAGE_BODY is None:
        from make_forms import markdown_to_html

        md = ENGLISH
        PAGE_BODY = markdown_to_html(md.read_text("utf-8")).encode("utf-8")
    return PAGE_BODY


def served(body: bytes, ctype: str = "text/html") -> bytes:
    return (
        f"HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
        'ETag: "v1"\r\nConnection: close\r\n\r\n'
    ).encode() + body
