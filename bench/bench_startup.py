"""How long the command line and the desk take to start, for the `startup` group of
`python -m bench`: `recordsdesk --help` in a fresh process, and a bare Textual app drawing one
Input beside the desk up to its sign-in screen, each a fresh process on a pseudo-terminal (the
real terminal driver), timed from just before it starts to the end of the first frame that shows
the screen (Textual's post_display_hook)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
START, END = "<!-- bench_startup:start -->", "<!-- bench_startup:end -->"

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
