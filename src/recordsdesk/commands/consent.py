"""`recordsdesk consent NUMBER list|add|revoke`: a student's release consents from the command
line, with the desk's checks (recipient and purpose without control characters, real dates, a
consent not signed in the future nor ending before it was signed) and its audit events.

Clerk's work, as at the desk: the command acts as the staff member it signed in as. A refusal
names the option to correct (`--signed`, `--until`, `--records`, ...).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from recordsdesk.commands import DatabaseOption
from recordsdesk.commands.signin import cli_actor
from recordsdesk.config import resolve_database_url
from recordsdesk.db import open_database, session_scope
from recordsdesk.services.shared.errors import ValidationFailed

if TYPE_CHECKING:
    from recordsdesk.services.disclosure.consents import ConsentView

#: The service's field names as the options that set them.
OPTION_OF = {
    "recipient": "--to",
    "records": "--records",
    "purpose": "--purpose",
    "signed_on": "--signed",
    "valid_until": "--until",
    "reason": "--reason",
}


def register(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], database_option: DatabaseOption
) -> None:
    consent = commands.add_parser(
        "consent", help="a student's release consents: list, add from the signed form, revoke"
    )
    consent.add_argument("student_number", metavar="NUMBER")
    actions = consent.add_subparsers(dest="consent_action", metavar="ACTION", required=True)

    listing = actions.add_parser("list", help="every consent on file, with its number and state")
    database_option(listing)
    listing.set_defaults(handler=_list)

    add = actions.add_parser("add", help="put a signed consent on the record (audited)")
    add.add_argument("--to", required=True, metavar="WHO", help="to whom: a person or body")
    add.add_argument(
        "--records",
        required=True,
        metavar="LIST",
        help="which records: grades, transcript, enrollment, financial or all (comma-separated)",
    )
    add.add_argument("--purpose", default="", help="why they may have them")
    add.add_argument(
        "--signed", metavar="YYYY-MM-DD", default=None, help="the day signed (default: today)"
    )
    add.add_argument(
        "--until", metavar="YYYY-MM-DD", default=None, help="valid until (default: no end)"
    )
    database_option(add)
    add.set_defaults(handler=_add)

    revoke = actions.add_parser("revoke", help="revoke a consent in force, with the reason")
    revoke.add_argument("consent_id", metavar="ID", help="the consent's number (see list)")
    revoke.add_argument("--reason", required=True, help="why it is revoked (audited)")
    database_option(revoke)
    revoke.set_defaults(handler=_revoke)


def parse_day(text: str | None, option: str) -> date | None:
    """A YYYY-MM-DD option (None when not given); ValidationFailed names the option."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationFailed(option, f"{text.strip()!r} is not a date (YYYY-MM-DD).") from None


def _named(refused: ValidationFailed) -> ValidationFailed:
    """The service's refusal, naming the option rather than the column."""
    return ValidationFailed(OPTION_OF.get(refused.field, refused.field), refused.message)


def consent_lines(consents: Sequence[ConsentView], today: date) -> list[str]:
    """One line per consent for a terminal (stored text made printable)."""
    from recordsdesk.services.shared.clean_text import printable

    lines = []
    for item in consents:
        until = item.valid_until.isoformat() if item.valid_until else "no end"
        state = item.state(today)
        if item.revoked_at is not None:
            state = f"revoked {item.revoked_at.date().isoformat()} by {item.revoked_by}"
            if item.revoke_reason:
                state += f": {item.revoke_reason}"
        purpose = f"; purpose: {item.purpose}" if item.purpose else ""
        lines.append(
            printable(
                f"{item.id:>5}  {item.recipient} - {', '.join(item.records)}; signed "
                f"{item.signed_on.isoformat()}, until {until}{purpose}  [{state}]"
            )
        )
    return lines or ["No release consents on file."]


def _list(args: argparse.Namespace) -> int:
    from recordsdesk.services.disclosure.consents import list_consents, student_id_for

    engine = open_database(resolve_database_url(getattr(args, "database", None)))
    try:
        with session_scope(engine) as session:
            actor = cli_actor(session, args)
            student_id = student_id_for(session, actor=actor, student_number=args.student_number)
            consents = list_consents(session, actor=actor, student_id=student_id)
    finally:
        engine.dispose()
    for line in consent_lines(consents, date.today()):
        print(line)
    return 0


def _add(args: argparse.Namespace) -> int:
    from recordsdesk.services.disclosure.consents import add_consent, student_id_for
    from recordsdesk.services.shared.clean_text import printable

    signed = parse_day(args.signed, "--signed") or date.today()
    until = parse_day(args.until, "--until")
    engine = open_database(resolve_database_url(getattr(args, "database", None)))
    try:
        with session_scope(engine) as session:
            actor = cli_actor(session, args)
            student_id = student_id_for(session, actor=actor, student_number=args.student_number)
            try:
                consent = add_consent(
                    session,
                    actor=actor,
                    student_id=student_id,
                    recipient=args.to,
                    records=args.records,
                    purpose=args.purpose,
                    signed_on=signed,
                    valid_until=until,
                )
            except ValidationFailed as refused:
                raise _named(refused) from None
    finally:
        engine.dispose()
    print(printable(f"Consent {consent.id} added: {consent.summary}"))
    return 0


def _revoke(args: argparse.Namespace) -> int:
    from recordsdesk.services.disclosure.consents import revoke_consent, student_id_for
    from recordsdesk.services.shared.clean_text import printable

    if not args.consent_id.strip().isdigit():
        raise ValidationFailed("ID", f"{args.consent_id!r} is not a consent number.")
    engine = open_database(resolve_database_url(getattr(args, "database", None)))
    try:
        with session_scope(engine) as session:
            actor = cli_actor(session, args)
            student_id = student_id_for(session, actor=actor, student_number=args.student_number)
            try:
                consent = revoke_consent(
                    session,
                    actor=actor,
                    consent_id=int(args.consent_id),
                    reason=args.reason,
                    student_id=student_id,
                )
            except ValidationFailed as refused:
                raise _named(refused) from None
    finally:
        engine.dispose()
    print(printable(f"Consent {consent.id} ({consent.recipient}) revoked."))
    return 0
