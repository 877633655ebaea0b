"""Command palette (Ctrl+P): the desk's screens by name. Student and course search join here
when the lookup issue lands."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from recordsdesk.ui.app import RecordsDeskApp

# (command text, what it does, action on the app)
SCREEN_COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("Lookup students", "Find a student by name, number, email or birth date", "lookup"),
    ("Catalog", "Courses and their sections, term by term", "catalog"),
    ("Terms", "Terms with their dates, deadlines and status", "terms"),
)


class DeskScreensProvider(Provider):
    """Open any screen of the desk by typing part of its name."""

    @property
    def desk_app(self) -> RecordsDeskApp:
        return cast("RecordsDeskApp", self.app)

    def _commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        commands: list[tuple[str, str, Callable[[], Any]]] = [
            (text, help_text, partial(self.desk_app.switch_mode, mode))
            for text, help_text, mode in SCREEN_COMMANDS
        ]
        commands.append(
            (
                "Help for this screen",
                "What the screen is for and its keys",
                self.desk_app.action_help,
            )
        )
        return commands

    async def discover(self) -> Hits:
        for text, help_text, command in self._commands():
            yield DiscoveryHit(text, command, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, help_text, command in self._commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), command, text=text, help=help_text)
