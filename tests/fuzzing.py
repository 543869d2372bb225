"""Fuzzing of ``citrix-ports build``: random mutations of the real snapshots.

Each mutation (bytes cut, lines swapped or duplicated, pipes added or removed, encodings
broken, numbers blown up...) is built into an output directory that holds a previous
good build.  Allowed outcomes: exit 0 with a complete new build, or a documented error
exit (2 bad input, 3 validation, 4 stale errata) with a located message and the previous
build untouched.  Anything else — exit 1 (internal error), a traceback, a half-written
directory — is a finding.

    python tests/fuzzing.py --runs 2000 --seed 1     # what `make fuzz` runs
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import random
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from pipeline.cli import main  # noqa: E402

SEEDS = [ROOT / "raw" / "citrix-communication-ports.txt",
         HERE / "data" / "citrix-communication-ports.fd98ff78.md"]
ALLOWED = {0, 2, 3, 4}


def mutate(data: bytes, rng: random.Random) -> bytes:
    lines = data.split(b"\n")
    kind = rng.choice(["cut", "delete", "swap", "duplicate", "add_pipes", "remove_pipes",
                       "bad_bytes", "nul", "big_number", "long_line", "shuffle_cells",
                       "drop_header", "crlf", "many"])
    if kind == "cut":
        return data[: rng.randrange(len(data) + 1)]
    if kind == "delete":
        a = rng.randrange(len(data))
        return data[:a] + data[a + rng.randrange(1, 2000):]
    if kind == "swap" and len(lines) > 2:
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == "duplicate":
        i = rng.randrange(len(lines))
        lines.insert(i, lines[i])
    elif kind == "add_pipes":
        for _ in range(rng.randrange(1, 20)):
            i = rng.randrange(len(lines))
            p = rng.randrange(len(lines[i]) + 1)
            lines[i] = lines[i][:p] + b" | " * rng.randrange(1, 4) + lines[i][p:]
    elif kind == "remove_pipes":
        for _ in range(rng.randrange(1, 20)):
            i = rng.randrange(len(lines))
            lines[i] = lines[i].replace(b"|", b"", rng.randrange(1, 4))
    elif kind == "bad_bytes":
        p = rng.randrange(len(data))
        return data[:p] + bytes(rng.randrange(128, 256) for _ in range(3)) + data[p:]
    elif kind == "nul":
        p = rng.randrange(len(data))
        return data[:p] + b"\x00" + data[p + 1:]
    elif kind == "big_number":
        i = rng.randrange(len(lines))
        lines[i] = lines[i].replace(b"443", b"704430", 1).replace(b"80", b"99999", 1)
    elif kind == "long_line":
        lines.insert(rng.randrange(len(lines)), b"x | " * rng.randrange(100, 5000))
    elif kind == "shuffle_cells":
        i = rng.randrange(len(lines))
        cells = lines[i].split(b"|")
        rng.shuffle(cells)
        lines[i] = b"|".join(cells)
    elif kind == "drop_header":
        lines = [ln for ln in lines if not ln.lstrip(b"|").lstrip().startswith(b"Source")]
    elif kind == "crlf":
        return data.replace(b"\n", b"\r\n")
    elif kind == "many":
        for _ in range(5):
            data = mutate(data, rng)
        return data
    return b"\n".join(lines)


def snapshot(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())} if out.exists() else {}


def complete(out: Path) -> bool:
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    return all(hashlib.sha256((out / name).read_bytes()).hexdigest() == meta["sha256"]
               for name, meta in manifest["artifacts"].items())


def run_one(data: bytes, work: Path) -> str | None:
    """Build one mutated input over a good build; the finding, or None."""
    src = work / "input.txt"
    src.write_bytes(data)
    out = work / "build"
    before = snapshot(out)
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["build", "--input", str(src), "--out", str(out)])
    message = err.getvalue()
    if code not in ALLOWED:
        return f"exit {code}: {message.strip()[-500:]}"
    if "Traceback" in message:
        return f"traceback: {message[-500:]}"
    if code == 0:
        if not complete(out):
            return "exit 0 but the build is incomplete"
    else:
        if snapshot(out) != before:
            return f"exit {code} but build/ changed"
        if "error:" not in message:
            return f"exit {code} without a message"
    leftovers = [p.name for p in work.iterdir() if p.name.startswith(".build.")]
    if leftovers:
        return f"temporary directories left: {leftovers}"
    return None


def fuzz(runs: int, seed: int, verbose: bool = False) -> list[tuple[int, str, str]]:
    rng = random.Random(seed)
    findings = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with contextlib.redirect_stderr(io.StringIO()):
            assert main(["build", "--input", str(SEEDS[0]), "--out", str(work / "build")]) == 0
        for n in range(runs):
            source = rng.choice(SEEDS)
            data = mutate(source.read_bytes(), rng)
            finding = run_one(data, work)
            if finding:
                keep = Path(tempfile.gettempdir()) / f"citrix-ports-fuzz-{seed}-{n}.bin"
                keep.write_bytes(data)
                findings.append((n, finding, str(keep)))
                if verbose:
                    print(f"run {n}: {finding} (input kept in {keep})", file=sys.stderr)
                shutil.rmtree(work / "build", ignore_errors=True)
                with contextlib.redirect_stderr(io.StringIO()):
                    main(["build", "--input", str(SEEDS[0]), "--out", str(work / "build")])
    return findings


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    found = fuzz(args.runs, args.seed, verbose=True)
    print(f"{args.runs} runs, seed {args.seed}: {len(found)} finding(s)")
    sys.exit(1 if found else 0)
