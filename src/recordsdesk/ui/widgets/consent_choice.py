"""The consent a release relies on, picked from the record's consents in force with the arrows
and Enter, rather than typed by number: the clerk sees to whom and for what each one is."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

#: The first choice: the release relies on no consent (the student's own request, or another
#: legal basis).
NO_CONSENT = "none"


class ConsentChoice(OptionList):
    """One option per consent in force (`(id, summary)` pairs, stored text shown literally),
    after 'no consent'; `consent_id` is the highlighted one's number, or None."""

    DEFAULT_CSS = """
    ConsentChoice { height: auto; max-height: 6; border: round $primary; }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(Option("No consent (the student's own request)", id=NO_CONSENT), id=id)
        self.border_title = "Consent relied on"

    def show(self, consents: Iterable[tuple[int, str]]) -> None:
        """List the consents in force; 'no consent' stays first and highlighted."""
        self.clear_options()
        self.add_option(Option("No consent (the student's own request)", id=NO_CONSENT))
        for number, summary in consents:
            self.add_option(Option(Text(f"{number}: {summary}"), id=str(number)))
        self.highlighted = 0

    def choose(self, consent_id: int | None) -> None:
        """Highlight a consent by number (None: no consent)."""
        wanted = NO_CONSENT if consent_id is None else str(consent_id)
        for index in range(self.option_count):
            if self.get_option_at_index(index).id == wanted:
                self.highlighted = index
                return

    @property
    def consent_id(self) -> int | None:
        index = self.highlighted
        if index is None:
            return None
        chosen = self.get_option_at_index(index).id
        return None if chosen in (None, NO_CONSENT) else int(chosen)
