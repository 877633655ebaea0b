"""`recordsdesk transfer list|evaluate|accept|undo|rules`: coursework received from other
institutions (PESC imports) and its evaluation into transfer credit.

`list NUMBER` shows each received course with the id the other actions take; `evaluate NUMBER
ID --as CODE` (or `--elective LEVEL`, with `--minimum MARK`) makes or changes the institution's
rule and applies it; `evaluate NUMBER ID` alone applies the rule kept; `accept NUMBER` applies
every kept rule that covers the student's courses; `undo NUMBER ID` removes the transfer credit
an evaluation made; `rules` lists the kept rules.
"""

from __future__ import annotations

import argparse

from recordsdesk.commands import DatabaseOption
from recordsdesk.commands.signin import cli_actor
from recordsdesk.config import resolve_database_url
from recordsdesk.db import open_database, session_scope
from recordsdesk.services.shared.clean_text import printable


def register(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], database_option: DatabaseOption
) -> None:
    parser = commands.add_parser(
        "transfer", help="received coursework: list, evaluate into transfer credit, undo"
    )
    actions = parser.add_subparsers(dest="transfer_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="a student's received coursework, with ids")
    listing.add_argument("number", metavar="NUMBER", help="the student number")
    database_option(listing)
    listing.set_defaults(handler=_list)

    evaluate = actions.add_parser(
        "evaluate", help="turn a received course into transfer credit (registrar)"
    )
    evaluate.add_argument("number", metavar="NUMBER", help="the student number")
    evaluate.add_argument("course_id", metavar="ID", type=int, help="the id `transfer list` shows")
    target = evaluate.add_mutually_exclusive_group()
    target.add_argument("--as", dest="as_course", metavar="CODE", help="our equivalent course")
    target.add_argument("--elective", metavar="LEVEL", default="", help="elective credit (200)")
    evaluate.add_argument("--minimum", metavar="MARK", help="the lowest mark the rule accepts")
    database_option(evaluate)
    evaluate.set_defaults(handler=_evaluate)

    accept = actions.add_parser("accept", help="apply every kept rule to a student's courses")
    accept.add_argument("number", metavar="NUMBER", help="the student number")
    database_option(accept)
    accept.set_defaults(handler=_accept)

    undo = actions.add_parser("undo", help="remove the transfer credit an evaluation made")
    undo.add_argument("number", metavar="NUMBER", help="the student number")
    undo.add_argument("course_id", metavar="ID", type=int)
    database_option(undo)
    undo.set_defaults(handler=_undo)

    rules = actions.add_parser("rules", help="the articulation rules kept, by institution")
    rules.add_argument("--institution", default="", help="only this institution's")
    database_option(rules)
    rules.set_defaults(handler=_rules)


def _number(value: object) -> str:
    return "" if value is None else f"{value:f}".rstrip("0").rstrip(".") or "0"


def _list(args: argparse.Namespace) -> int:
    from recordsdesk.services.transcripts.received import received_records, student_id_of

    engine = open_database(resolve_database_url(getattr(args, "database", None)))
    try:
        with session_scope(engine) as session:
            actor = cli_actor(session, args)
            sid = student_id_of(session, actor=actor, student_number=args.number)
            records = received_records(session, actor=actor, student_id=sid)
    finally:
        engine.dispose()
    if not records:
        print(f"{args.number}: no coursework received.")
        return 0
    for record in records:
        ids = f" ({record.institution_ids})" if record.institution_ids else ""
        print(printable(f"{record.institution}{ids}"))
        for c in record.courses:
            state = f"= {c.evaluated_as}" if c.evaluated_as else ""
            state = state or (f"proposed: {c.proposed}" if c.proposed else "")
            print(
                printable(
                    f"  {c.id:>6}  {c.session_name or '-':<22.22} {c.course_code:<12.12} "
                    f"{c.title:<30.30} {_number(c.credits_earned):>5} {c.mark:<5} {state}"
                ).rstrip()
            )
        for s in record.summaries:
            where = s.session_name or "record"
            print(
                printable(
                    f"  GPA {s.summary_type or '-':<12} {where:<22.22} {s.gpa or '-':>6}  "
                    f"earned {_number(s.credits_earned) or '-'}"
                )
            )
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from recordsdesk.services.transcripts.received import student_id_of
    from recordsdesk.services.transcripts.transfer import evaluate

    engine = open_database(resolve_database_url(getattr(args, "database", None)))
    try:
        with session_scope(engine) as session:
            actor = cli_actor(session, args)
            done = evaluate(
                session,
                actor=actor,
                external_course_id=args.course_id,
                student_id=student_id_of(session, actor=actor, student_number=args.number),
                course_code=args.as_course,
                elective_level=args.elective,
                minimum_mark=args.minimum,
            )
    finally:
        engine.dispose()
    print(
        printable(
            f"{args.number}: {done.course_code} -> {done.target}, "
            f"{_number(done.credits)} credits of transfer credit."
        )
    )
    return 0


def _accept(args: argparse.Namespace) -> int:
    from recordsdesk.services.transcripts.received import student_id_of
    from recordsdesk.services.transcripts.transfer import accept_proposals

    engine = open_database(resolve_database_url(getattr(args, "database", None)))
    try:
        with session_scope(engine) as session:
            actor = cli_actor(session, args)
            sid = student_id_of(session, actor=actor, student_number=args.number)
            done = accept_proposals(session, actor=actor, student_id=sid)
    finally:
        engine.dispose()
    for evaluation in done:
        print(printable(f"  {evaluation.course_code} -> {evaluation.target}"))
    print(f"{args.number}: {len(done)} courses evaluated by the rules kept.")
    return 0


def _undo(args: argparse.Namespace) -> int:
    from recordsdesk.services.transcripts.received import student_id_of
    from recordsdesk.services.transcripts.transfer import undo

    engine = open_database(resolve_database_url(getattr(args, "database", None)))
    try:
        with session_scope(engine) as session:
            actor = cli_actor(session, args)
            undo(
                session,
                actor=actor,
                external_course_id=args.course_id,
                student_id=student_id_of(session, actor=actor, student_number=args.number),
            )
    finally:
        engine.dispose()
    print(f"{args.number}: evaluation of {args.course_id} undone; its transfer credit removed.")
    return 0


def _rules(args: argparse.Namespace) -> int:
    from recordsdesk.services.transcripts.transfer import articulations

    engine = open_database(resolve_database_url(getattr(args, "database", None)))
    try:
        with session_scope(engine) as session:
            rules = articulations(
                session, actor=cli_actor(session, args), institution=args.institution
            )
    finally:
        engine.dispose()
    for rule in rules:
        minimum = f" (minimum {rule.minimum_mark})" if rule.minimum_mark else ""
        print(printable(f"{rule.institution}: {rule.course_code} -> {rule.target}{minimum}"))
    print(f"{len(rules)} rules.")
    return 0
