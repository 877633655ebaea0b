"""Sub-commands of `recordsdesk`, one module per area.

Each module has `register(commands, database_option)`: it adds its parsers to the sub-parser
collection and sets `handler=` (a function taking the parsed arguments and returning an exit
code) on each. Adding an area is one line in COMMAND_MODULES. Every leaf parser passes through
`database_option`, which also gives it the sign-in options (commands.signin): the handler runs
only after `cli.main` has signed the command in, and finds the Actor as `args.actor`.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from typing import Protocol

DatabaseOption = Callable[..., None]

COMMAND_MODULES = [
    "recordsdesk.commands.demo",
    "recordsdesk.commands.practice",
    "recordsdesk.commands.db",
    "recordsdesk.commands.transcript",
    "recordsdesk.commands.settings",
    "recordsdesk.commands.catalog",
    "recordsdesk.commands.user",
    "recordsdesk.commands.audit",
    "recordsdesk.commands.backup",
    "recordsdesk.commands.grades",
    "recordsdesk.commands.standing",
    "recordsdesk.commands.honours",
    "recordsdesk.commands.transfer",
    "recordsdesk.commands.report",
    "recordsdesk.commands.admission",
    "recordsdesk.commands.imports",
    "recordsdesk.commands.exports",
    "recordsdesk.commands.disclosure",
    "recordsdesk.commands.consent",
]


class CommandModule(Protocol):
    def register(
        self,
        commands: argparse._SubParsersAction[argparse.ArgumentParser],
        database_option: DatabaseOption,
    ) -> None: ...


def register_all(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], database_option: DatabaseOption
) -> None:
    for name in COMMAND_MODULES:
        module: CommandModule = importlib.import_module(name)
        module.register(commands, database_option)
