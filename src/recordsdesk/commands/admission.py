"""`recordsdesk admission checklist show|add|remove`: the documents admission screening asks for.

Rows without `--program` apply to every application; a program's own rows add to them (or
override an all-program row of the same name). Changes need the admin role and are audited;
applications already opened keep the checklist they were opened with.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from recordsdesk.commands import DatabaseOption
from recordsdesk.commands.signin import cli_actor
from recordsdesk.config import resolve_database_url
from recordsdesk.db import open_database, session_scope
from recordsdesk.services.shared.clean_text import printable

if TYPE_CHECKING:
    from recordsdesk.services.admissions.checklist import (
        RequirementView,
    )


def register(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], database_option: DatabaseOption
) -> None:
    parser = commands.add_parser("admission", help="the admission screening checklist")
    areas = parser.add_subparsers(dest="admission_area", metavar="AREA", required=True)
    checklist = areas.add_parser("checklist", help="show or change the document checklist")
    actions = checklist.add_subparsers(dest="checklist_command", metavar="ACTION", required=True)
    show = actions.add_parser("show", help="list the checklist (for one program with --program)")
    show.add_argument("--program", metavar="CODE", help="what an application to CODE copies")
    database_option(show)
    show.set_defaults(handler=_show)
    add = actions.add_parser("add", help="add a document (admin)")
    add.add_argument("item", metavar="DOCUMENT")
    add.add_argument("--program", metavar="CODE", help="only for this program")
    add.add_argument(
        "--optional", action="store_true", help="listed, but admission does not wait for it"
    )
    database_option(add)
    add.set_defaults(handler=_add)
    remove = actions.add_parser("remove", help="remove a document (admin)")
    remove.add_argument("item", metavar="DOCUMENT")
    remove.add_argument("--program", metavar="CODE", help="the program's own row")
    database_option(remove)
    remove.set_defaults(handler=_remove)


def _print(rows: list[RequirementView]) -> None:
    if not rows:
        print("The checklist is empty: applications are opened without documents to collect.")
        return
    width = max(len(printable(r.item)) for r in rows)
    for row in rows:
        need = "required" if row.required else "optional"
        scope = f"program {printable(row.program_code)}" if row.program_code else "every program"
        print(f"{printable(row.item):<{width}}  {need:<8}  {scope}")


def _show(args: argparse.Namespace) -> int:
    from recordsdesk.services.admissions.checklist import list_requirements

    engine = open_database(resolve_database_url(getattr(args, "database", None)))
    try:
        with session_scope(engine) as session:
            rows = list_requirements(
                session, actor=cli_actor(session, args), program_code=args.program
            )
    finally:
        engine.dispose()
    _print(rows)
    return 0


def _add(args: argparse.Namespace) -> int:
    from recordsdesk.services.admissions.checklist import add_requirement

    engine = open_database(resolve_database_url(getattr(args, "database", None)))
    try:
        with session_scope(engine) as session:
            row = add_requirement(
                session,
                actor=cli_actor(session, args),
                item=args.item,
                program_code=args.program,
                required=not args.optional,
            )
    finally:
        engine.dispose()
    print(f"Added {row.item!r} ({'required' if row.required else 'optional'}).")
    return 0


def _remove(args: argparse.Namespace) -> int:
    from recordsdesk.services.admissions.checklist import remove_requirement

    engine = open_database(resolve_database_url(getattr(args, "database", None)))
    try:
        with session_scope(engine) as session:
            remove_requirement(
                session, actor=cli_actor(session, args), item=args.item, program_code=args.program
            )
    finally:
        engine.dispose()
    print(f"Removed {args.item.strip()!r}.")
    return 0
