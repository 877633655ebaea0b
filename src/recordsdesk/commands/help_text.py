"""Help text that names what the services define (reports, settings), built only when asked for.

Building the parser must not import the services (`recordsdesk --help` would load the database
layer to list reports nobody asked about), so such a description is filled in when the
sub-command's help is printed.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable


def describe_when_shown(parser: argparse.ArgumentParser, describe: Callable[[], str]) -> None:
    """Set `parser`'s description from `describe()` the first time its help is formatted."""
    format_help = parser.format_help

    def format_with_description() -> str:
        if parser.description is None:
            parser.description = describe()
        return format_help()

    parser.format_help = format_with_description  # type: ignore[method-assign]
