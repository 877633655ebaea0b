"""The banner every screen shows above a confidential (directory opt-out) student."""

from __future__ import annotations

from typing import Any

from textual.widgets import Static

from recordsdesk.services.people.directory import CONFIDENTIAL_BANNER


class ConfidentialBanner(Static):
    """Hidden until `show_for(True)`; one line, reversed colours, impossible to overlook."""

    DEFAULT_CSS = """
    ConfidentialBanner {
        display: none;
        height: auto;
        padding: 0 1;
        background: $error;
        color: $text;
        text-style: bold;
    }
    ConfidentialBanner.-shown {
        display: block;
    }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(CONFIDENTIAL_BANNER, markup=False, **kwargs)

    def show_for(self, confidential: bool) -> None:
        self.set_class(confidential, "-shown")
