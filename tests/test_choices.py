"""Every choice of every option of every command works: each is run once, on the real
build, and must end as documented (0, or 1 where a command says "differ" or "no row"),
never in an internal error.  The choices are read from the parser, so a choice added
later is run too."""

from __future__ import annotations

import contextlib
import http.server
import threading

import pytest
from cli_args import export_args

from conftest import ENGLISH, ROOT
from pipeline.cli import main, parser

MAP = str(ROOT / "examples" / "address-map.yaml")


def base(command: str, data: str, out: str) -> list[str]:
    """A working invocation of ``command`` that an option with choices is added to."""
    return {
        "diff": ["diff", data, data],
        "query": ["query", "--data", data],
        "export": export_args("nftables", MAP, data, "-o", out),
        "components": ["components", "--data", data],
        "align": ["align", data, data],
        "compare": ["compare", data, data],
        "completion": ["completion", "bash"],
    }[command]


def companions(command: str, option: str | None, choice: str) -> list[str]:
    """What an option needs beside it to be meaningful (the export's own rules)."""
    if command != "export":
        return []
    if option is None and choice == "terraform":
        return ["--provider", "aws"]
    if option == "--direction":
        return ["--host", "delivery-controller"]
    if option == "--policy":
        return ["--hook", "input"]
    if option == "--platform" and choice in ("k8s", "gce"):
        return ["--host", "vda"]  # their rules name no destination: one host's flows
    return []


def every_choice():
    p = parser()
    sub = next(a for a in p._actions if isinstance(a.choices, dict))
    for command, sp in sub.choices.items():
        for action in sp._actions:
            if action.choices is None or action.dest == "help":
                continue
            for choice in action.choices:
                name = action.option_strings[-1] if action.option_strings else None
                yield pytest.param(
                    command, name, choice, id=f"{command}-{name or action.dest}-{choice}"
                )


@contextlib.contextmanager
def serving_a_page():
    """The English page as HTML, from a server on 127.0.0.1: its URL (what ``fetch``
    needs; tests never reach the internet)."""
    from make_forms import markdown_to_html

    md = ENGLISH.read_text("utf-8")
    body = markdown_to_html(md.replace("\r\n", "\n")).encode("utf-8")

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/en-us/ports.html"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("command, option, choice", list(every_choice()))
def test_every_choice_of_every_option_runs(command, option, choice, built, tmp_path, capsys):
    if command == "fetch":
        with serving_a_page() as url:
            argv = ["fetch", "--url", url, "--allow-host", "127.0.0.1", "--retries", "0"]
            argv += ["--raw-dir", str(tmp_path / "raw"), "--locale", "en-us", option, choice]
            code = main(argv)
        err = capsys.readouterr().err
        assert code == 0 and "internal error" not in err, (argv, err)
        return
    data = str(built[0])
    argv = base(command, data, str(tmp_path / "out.txt"))
    if option is None:  # a positional: the first argument after the command
        argv[1] = choice
    else:
        argv += [option, choice]
    if command == "export" and (option == "--provider" or choice == "terraform"):
        argv[1] = "terraform"
    if command == "export" and option in ("--names", "--profile"):
        argv[1] = "windows"
    if command == "export" and option == "--platform":
        argv[1] = "aerleon"
    argv += companions(command, option, choice)
    code = main(argv)
    err = capsys.readouterr().err
    assert "internal error" not in err, (argv, err)
    assert code in (0, 1), (argv, code, err)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["aws-sg", "--provider", "aws"], "--provider goes with the terraform format"),
        (["terraform"], "the terraform format needs it"),
        (["iptables", "--hook", "input"], "--hook and --policy go with the nftables format"),
        (["nftables", "--profile", "Domain"], "--profile goes with the windows format"),
        (["nftables", "--names", "en", "--gpo", "a\\b"], "--names and --gpo go with the windows"),
        (["nftables", "--platform", "cisco"], "--platform goes with the aerleon format"),
        (["aerleon"], "the aerleon format writes a directory"),
        (["windows", "--per-host", "d", "--host", "vda"], "--per-host writes a file per host"),
    ],
)
def test_options_that_do_not_go_together_are_refused_before_any_read(capsys, argv, message):
    """Each combination ``export`` refuses is an error (2) that names the options, before
    the data or the map is read (neither exists here)."""
    code = main(["export", *argv, "--addresses", "no-such-map.yaml", "--data", "no-such-dir"])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "no-such" not in err, err
