"""What a demo build leaves behind, in numbers, and the accounts to sign in with."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

# Friendly name -> table, in the order the summary prints them.
COUNTED_TABLES: dict[str, str] = {
    "students": "student",
    "programs": "program",
    "program_requirements": "program_requirement",
    "courses": "course",
    "prerequisites": "prerequisite",
    "terms": "term",
    "sections": "section",
    "enrollments": "enrollment",
    "transfer_credit": "transfer_credit",
    "holds": "hold",
    "contact_notes": "contact_note",
    "transcript_requests": "transcript_request",
    "release_consents": "release_consent",
    "disclosures": "disclosure",
    "admission_applications": "admission_application",
    "screening_items": "screening_item",
    "staff_users": "staff_user",
    "grading_scales": "grading_scale",
}


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    password: str


@dataclass(frozen=True)
class DemoSummary:
    """`counts` are COUNT(*) of each table after the build (or of the reused database)."""

    location: str
    counts: dict[str, int]
    accounts: tuple[DemoAccount, ...]
    seed: int | None
    reused: bool
    seconds: float

    def describe(self) -> str:
        verb = "Reused" if self.reused else "Built"
        took = "" if self.reused else f" in {self.seconds:.1f} s"
        seed = f" (seed {self.seed})" if self.seed is not None and not self.reused else ""
        width = max(len(name) for name in self.counts)
        lines = [f"{verb} the demo institution at {self.location}{seed}{took}."]
        lines += [f"  {name:<{width}}  {count:>12,}" for name, count in self.counts.items()]
        lines.append("Sign in to the demo desk as:")
        lines += [
            f"  {account.username:<15} {account.role:<10} password: {account.password}"
            for account in self.accounts
        ]
        return "\n".join(lines)


def count_rows(connection: Connection) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name, table in COUNTED_TABLES.items():
        counts[name] = int(connection.execute(text(f'SELECT COUNT(*) FROM "{table}"')).scalar_one())
    return counts
