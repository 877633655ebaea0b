"""Opening the transcript preview from a student's record: the first page first.

`open_transcript` reads the transcript and draws its first page in a worker while the record
stays on screen, then fills in the app's one preview screen (installed and composed ahead by
`preview_screen_ahead` while the clerk reads the record) and pushes it: the key's first frame of
the preview is the page, not a "Loading" line, and no screen is composed or styled on the way.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from functools import partial
from typing import Any

from textual.app import App
from textual.screen import Screen
from textual.worker import get_current_worker

from recordsdesk.ui.screens.base import DeskScreen
from recordsdesk.ui.screens.transcripts.page import FirstCopy, prepare_preview
from recordsdesk.ui.screens.transcripts.preview import TranscriptScreen

#: The name the app's one preview screen is installed under (see `preview_screen_ahead`).
PREVIEW_SCREEN = "transcript-preview"


def open_transcript(screen: DeskScreen, student_id: int, *, confidential: bool = False) -> None:
    """Open the preview of `student_id` over `screen` once its first page is drawn.

    The transcript is read in a worker of `screen` (its failure is reported there like any
    other worker's); the preview is pushed only if `screen` is still the one in front, so a
    clerk who has moved on is not taken back. The app's installed preview screen is reused
    when it is free; a new one is made when it is open elsewhere (in another area's stack)."""

    collect_again = _collections_deferred(screen.app)

    def prepare() -> None:
        try:
            first = prepare_preview(screen.desk, student_id)
            if get_current_worker().is_cancelled:
                collect_again()
            else:
                screen.app.call_from_thread(show, first)
        except BaseException:
            collect_again()  # not left to the timer: the app may be closing
            raise

    def show(first: FirstCopy) -> None:
        if not screen.is_current:
            collect_again()
            return
        preview = _free_preview_screen(screen.app) or TranscriptScreen()
        preview.show_copy(student_id, first, confidential=confidential, drawn=collect_again)
        screen.app.push_screen(preview)

    screen.run_worker(
        prepare, thread=True, group="transcript-open", exclusive=True, exit_on_error=False
    )


def _collections_deferred(app: App[Any]) -> Callable[[], None]:
    """Hold the garbage collector's automatic runs until the returned call (made once the
    preview's first frame is drawn; at the latest after a second, whatever happens on the way).

    Opening the preview allocates thousands of objects, and a full collection tipped into the
    wait for the page would walk the session's heap; deferred, it runs while the clerk reads the
    page. If collections are already held (by whoever), they are left as they are."""
    if not gc.isenabled():
        return lambda: None
    gc.disable()
    pending = True

    def collect_again() -> None:
        nonlocal pending
        if pending:
            pending = False
            gc.enable()

    app.set_timer(1.0, collect_again)
    return collect_again


def preview_screen_ahead(app: App[Any]) -> None:
    """Install the app's preview screen and compose it now, while the clerk reads a record, so
    that `t` only fills it in and shows it: a new screen's stylesheet (the first time, the whole
    app's styles again), widgets and mount cost more than a key may take."""
    try:
        app.get_screen(PREVIEW_SCREEN)
    except KeyError:
        screen = TranscriptScreen()
        app.install_screen(screen, PREVIEW_SCREEN)
        _mount_off_screen(app, screen)


def _free_preview_screen(app: App[Any]) -> TranscriptScreen | None:
    try:
        screen = app.get_screen(PREVIEW_SCREEN)
    except KeyError:
        return None
    return screen if isinstance(screen, TranscriptScreen) and not screen.in_use else None


def _mount_off_screen(app: App[Any], screen: Screen[Any]) -> None:
    """Load `screen`'s CSS, compose and mount it, and lay it out at the app's size, without
    showing it, as Textual does for an installed screen on its first push.

    The first layout is the cold part of a first push: every widget arranged, sized and sent
    Resize and Show, the screen's own Resize applying the width breakpoints (a restyle of every
    node) and relaying out the screens under it. Done here, the push finds the screen at the
    app's size and only repaints it, as on every later open.

    Leans on Textual internals (8.2: `App._load_screen_css`, `App._get_screen`,
    `Screen._refresh_layout`), because Textual has no public call that mounts or lays out a
    screen off the stack. Without them (another Textual), the screen is mounted and laid out
    on its first push instead: slower, the same result."""
    load_css = getattr(app, "_load_screen_css", None)
    get_screen = getattr(app, "_get_screen", None)
    if not (callable(load_css) and callable(get_screen)):
        return
    load_css(screen)
    _, mounted = get_screen(screen)

    async def lay_out(passes: int = 4) -> None:
        await mounted
        refresh_layout = getattr(screen, "_refresh_layout", None)
        # Not once it is on a stack: Textual lays out a shown screen itself.
        if not callable(refresh_layout) or screen in app.screen_stack:
            return
        if passes == 4 or getattr(screen, "_layout_required", False):
            screen._layout_required = False
            refresh_layout(app.size)
        # The widgets' answers to being sized (the page's scrollbars) ask for another pass,
        # which Textual runs at a shown screen's next update: run it now, or the push would.
        if passes > 1:
            app.set_timer(0.05, partial(lay_out, passes - 1))

    app.call_later(lay_out)
