"""The desk's screen as the clerk sees it, in plain text: what a test searches for values that
must (or must not) be on screen, across every widget and dialog at once."""

from __future__ import annotations

import io

from rich.console import Console
from textual.app import App


def screen_text(app: App[object]) -> str:
    """Every character drawn on the current screen (dialogs over their background included)."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        record=True,
        legacy_windows=False,
    )
    update = app.screen._compositor.render_update(  # noqa: SLF001 - tests read the frame
        full=True,
        screen_stack=app._background_screens,  # noqa: SLF001
    )
    console.print(update)
    return console.export_text()
