"""Benchmark: how long the command line and the desk take to start, beside a bare Textual app.

    python bench/bench_startup.py --database /tmp/me/demo.db           # a demo copy (read)
    python bench/bench_startup.py --database /tmp/me/demo.db --write-docs

Measures, interleaved run by run so machine load falls on all alike (median of --repeat runs):

- `recordsdesk --help` and every sub-command's `--help`: a fresh `python -m recordsdesk`
  process, wall time from start to exit;
- a bare Textual app that draws one Input, and the desk on --database up to its sign-in screen:
  a fresh process on a pseudo-terminal (the real terminal driver), from just before it is
  started to the end of the first frame that shows the screen (Textual's post_display_hook);
- which heavy packages each `--help` and `transcript` (a text copy) import.

The figures are the ratio to the bare app in the same run, and the medians with the load average.
"""

from __future__ import annotations

import argparse
import os
import platform
import pty
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
SRC = Path(__file__).resolve().parent.parent / "src"
START, END = "<!-- bench_startup:start -->", "<!-- bench_startup:end -->"
HEAVY = ("textual", "sqlalchemy", "sqlmodel", "alembic", "fpdf")

# Run in the child: draw, note the time the wanted screen's first frame was written, leave.
DRAWN_PROBE = """
import os, sys, time
import textual.app

def _hook(self):
    if type(self.screen).__name__ == os.environ["BENCH_SCREEN"]:
        with open(os.environ["BENCH_OUT"], "w") as out:
            out.write(repr(time.time() - float(os.environ["BENCH_T0"])))
        os._exit(0)

textual.app.App.post_display_hook = _hook
"""

BARE_APP = """
from textual.app import App
from textual.widgets import Input

class Bare(App):
    def compose(self):
        yield Input(placeholder="username")

Bare().run()
"""

DESK = """
from recordsdesk.cli import main
main(sys.argv[1:])
"""


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(SRC)
    env.setdefault("TERM", "xterm-256color")
    return env


def time_help(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "recordsdesk", *argv],
        env=child_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
        timeout=120,
    )
    return time.perf_counter() - start


def time_drawn(code: str, screen: str, argv: list[str] | None = None) -> float:
    """Seconds from starting a process running `code` on a pseudo-terminal (80x24) to the
    first frame that shows a screen of class `screen`."""
    master, slave = pty.openpty()
    os.set_blocking(master, True)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "drawn"
        env = child_env() | {
            "BENCH_SCREEN": screen,
            "BENCH_OUT": str(out),
            "COLUMNS": "80",
            "LINES": "24",
        }
        env["BENCH_T0"] = repr(time.time())
        child = subprocess.Popen(
            [sys.executable, "-c", DRAWN_PROBE + code, *(argv or [])],
            stdin=slave,
            stdout=slave,
            stderr=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
        os.close(slave)

        def drain() -> None:  # the terminal's output must be read or the child blocks
            try:
                while os.read(master, 65536):
                    pass
            except OSError:
                pass

        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        try:
            child.wait(timeout=120)
        finally:
            if child.poll() is None:
                child.kill()
            os.close(master)
        if not out.exists():
            raise RuntimeError(f"{screen} was never drawn (exit {child.returncode})")
        return float(out.read_text())


def loaded_by(argv: list[str]) -> list[str]:
    probe = (
        "import sys\nfrom recordsdesk.cli import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        f"print('\\nLOADED:' + ' '.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, *argv],
        env=child_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    return result.stdout.rsplit("LOADED:", 1)[-1].split()


def subcommands() -> list[list[str]]:
    """Every command line whose help is measured: the top level and each sub-command's."""
    sys.path.insert(0, str(SRC))
    from recordsdesk.cli import build_parser

    lines = [["--help"]]
    for action in build_parser()._subparsers._group_actions:  # type: ignore[union-attr]
        for name in getattr(action, "choices", {}) or {}:
            lines.append([name, "--help"])
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", required=True, help="a demo SQLite file (a copy)")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    url = f"sqlite:///{Path(args.database).resolve()}"
    commands = subcommands()
    load_before = os.getloadavg()
    help_times: dict[str, list[float]] = {" ".join(c): [] for c in commands}
    bare: list[float] = []
    desk: list[float] = []
    time_drawn(DESK, "SignInScreen", ["--database", url])  # opens (upgrades) it once first
    for _ in range(args.repeat):
        bare.append(time_drawn(BARE_APP, "Screen"))
        desk.append(time_drawn(DESK, "SignInScreen", ["--database", url]))
        for command in commands:
            help_times[" ".join(command)].append(time_help(command))
    load_after = os.getloadavg()
    bare_median = statistics.median(bare)
    rows = []
    for name, samples in help_times.items():
        median = statistics.median(samples)
        rows.append(
            f"| `recordsdesk {name}` | {median * 1000:.0f} ms | {max(samples) * 1000:.0f} ms "
            f"| {median / bare_median:.2f}x | {' '.join(loaded_by(name.split())) or '–'} |"
        )
    transcript_loads = loaded_by(
        ["transcript", "NO-SUCH-STUDENT", "--database", url, "-o", os.devnull]
    )
    desk_median = statistics.median(desk)
    command = " ".join(["python bench/bench_startup.py", *sys.argv[1:]])
    section = "\n".join(
        [
            START,
            "### Figures",
            "",
            f"Command: `{command}`",
            "",
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, Python "
            f"{platform.python_version()}, {args.repeat} runs each, interleaved; load average "
            f"at the start {' / '.join(f'{v:.2f}' for v in load_before)}, at the end "
            f"{' / '.join(f'{v:.2f}' for v in load_after)}.",
            "",
            "| what | median | max | ratio to the bare app | heavy packages imported |",
            "|---|---:|---:|---:|---|",
            f"| bare Textual app, one Input drawn | {bare_median * 1000:.0f} ms "
            f"| {max(bare) * 1000:.0f} ms | 1.00x | textual |",
            f"| desk, sign-in screen drawn | {desk_median * 1000:.0f} ms "
            f"| {max(desk) * 1000:.0f} ms | {desk_median / bare_median:.2f}x | |",
            *rows,
            "",
            f"`recordsdesk transcript` (a text copy, schema current) imports: "
            f"{' '.join(transcript_loads) or 'none of them'} (of {', '.join(HEAVY)}).",
            END,
        ]
    )
    print(section)
    if args.write_docs:
        text = DOCS.read_text(encoding="utf-8")
        if START in text:
            text = re.sub(
                re.escape(START) + ".*?" + re.escape(END), lambda _m: section, text, flags=re.S
            )
        else:
            text = text.rstrip("\n") + "\n\n" + section + "\n"
        DOCS.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
