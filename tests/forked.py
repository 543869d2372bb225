"""The command line in a process of its own, forked from the test's process.

Input: the CLI's arguments, and what the child sets up before it runs them (a working
directory, an address-space limit, a time limit, a hook).  Output: a
``subprocess.CompletedProcess`` with the exit status (negative: the signal that ended the
child), standard output and standard error.

A fresh interpreter spends about 2 s loading pandas, pandera and pyarrow, the commands of
the tests a tenth of that; a forked child inherits the libraries this process has loaded.
Use it where a test needs a process of its own (a limit, a kill, an exit status the
process gives); keep ``conftest.run_cli`` (a new interpreter) where the test is about
the interpreter's start (``python -m``, what a fresh process loads).
"""

from __future__ import annotations

import contextlib
import functools
import os
import resource
import signal
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def preload() -> None:
    """The modules every command loads, loaded here once for every child."""
    import pipeline.cli
    import pipeline.source.fetch
    import pipeline.stages.build  # noqa: F401


@functools.cache
def preload_everything() -> None:
    """Every module ``pipeline/`` imports anywhere, function-level imports included, and
    the HTML parser BeautifulSoup is told to use: a child that takes another user's id may
    no longer read the interpreter's own files (here it lives under /root, mode 0700), so
    what it imports later must already be loaded."""
    import ast
    import importlib

    names = {"html.parser"}
    for path in sorted((ROOT / "pipeline").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                names |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module)
    for name in sorted(names):
        with contextlib.suppress(ImportError):  # optional ones (re2, pyarrow…) may be absent
            importlib.import_module(name)


def mapped() -> int:
    """The bytes of address space this process has mapped."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _child(argv, cwd, address_space, seconds, user, setup, out: int, err: int) -> None:
    """In the child: run the CLI and leave with its exit status; never returns."""
    code = 70
    try:
        os.dup2(out, 1)
        os.dup2(err, 2)
        sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
        sys.stdin = open(os.devnull)  # noqa: SIM115
        os.chdir(cwd)
        if user is not None and os.geteuid() == 0:
            os.setgroups([])
            os.setgid(user)
            os.setuid(user)
        sys.dont_write_bytecode = True
        if address_space:  # on top of what the child inherited mapped
            limit = mapped() + address_space
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        if seconds:
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            signal.alarm(max(1, round(seconds)))
        from pipeline.cli import main

        finish = setup() if setup else None
        code = main(list(argv))
        if finish:
            finish()
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 2
    except BaseException as e:
        print(f"forked child failed: {e!r}", file=sys.stderr)
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code if isinstance(code, int) else 70)


class Child:
    """A command running in a forked child; ``wait`` gives its CompletedProcess."""

    def __init__(self, argv, cwd, address_space, seconds, user, setup):
        preload()
        if user is not None:
            preload_everything()
        self.argv = list(argv)
        self.out = tempfile.TemporaryFile()  # noqa: SIM115 - closed by wait
        self.err = tempfile.TemporaryFile()  # noqa: SIM115
        sys.stdout.flush()
        sys.stderr.flush()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads: 3.12+
            self.pid = os.fork()
        if self.pid == 0:
            _child(
                self.argv,
                cwd,
                address_space,
                seconds,
                user,
                setup,
                self.out.fileno(),
                self.err.fileno(),
            )

    def wait(self) -> subprocess.CompletedProcess:
        _, status = os.waitpid(self.pid, 0)
        texts = []
        for f in (self.out, self.err):
            f.seek(0)
            texts.append(f.read().decode("utf-8", "replace"))
            f.close()
        return subprocess.CompletedProcess(
            self.argv, os.waitstatus_to_exitcode(status), texts[0], texts[1]
        )


def start(
    argv: list[str],
    *,
    cwd: Path | str = ROOT,
    address_space: int | None = None,
    seconds: float | None = None,
    user: int | None = None,
    setup: Callable[[], Callable[[], None] | None] | None = None,
) -> Child:
    """``citrix-ports ARGV`` started in a forked child, with, in the child only: ``cwd``,
    an address-space limit (bytes more than the process has mapped), a time limit (SIGALRM ends it), the uid and gid of
    ``user`` (no groups; taken only when this process is root), and ``setup``, run just
    before the command (what it returns, if anything, is called after it)."""
    return Child(argv, cwd, address_space, seconds, user, setup)


def run(argv: list[str], **kw) -> subprocess.CompletedProcess:
    """``start(argv, **kw).wait()``."""
    return start(argv, **kw).wait()
