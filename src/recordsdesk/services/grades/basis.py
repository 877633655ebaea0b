"""Grading bases: how one enrollment is graded, and the marks each basis other than `graded`
takes. A graded enrollment takes its course's scale; the others take the same marks on any
scale (P/NP, S/U, CR/NC, AU), so a registrar can key a pass/no pass course in a letter-graded
section and a legacy history can carry one.

P, S and CR earn the course's credit outside the GPA; NP, U and NC earn nothing; AU attempts
nothing. Whether NP enters the GPA as an F is the institution's `np_counts_as_f` setting, read by
the transcript arithmetic, not here.
"""

from __future__ import annotations

from dataclasses import dataclass

from recordsdesk.models import GradingBasis
from recordsdesk.services.shared.errors import ValidationFailed

GRADED = GradingBasis.GRADED.value
AUDIT = GradingBasis.AUDIT.value
NO_PASS = "NP"


@dataclass(frozen=True)
class BasisMark:
    """One mark of a basis and what it means for credit (none of them has grade points)."""

    mark: str
    description: str
    earns_credit: bool
    is_passing: bool
    counts_attempted: bool = True


@dataclass(frozen=True)
class Basis:
    code: str
    label: str  # as a sentence names it: "pass/no pass"
    short: str  # as a narrow column shows it: "P/NP"
    marks: tuple[BasisMark, ...]


BASES: dict[str, Basis] = {
    b.code: b
    for b in (
        Basis(GRADED, "graded", "", ()),
        Basis(
            GradingBasis.PASS_NO_PASS.value,
            "pass/no pass",
            "P/NP",
            (BasisMark("P", "Pass", True, True), BasisMark("NP", "No pass", False, False)),
        ),
        Basis(
            GradingBasis.SATISFACTORY.value,
            "satisfactory/unsatisfactory",
            "S/U",
            (
                BasisMark("S", "Satisfactory", True, True),
                BasisMark("U", "Unsatisfactory", False, False),
            ),
        ),
        Basis(
            GradingBasis.CREDIT.value,
            "credit/no credit",
            "CR/NC",
            (BasisMark("CR", "Credit", True, True), BasisMark("NC", "No credit", False, False)),
        ),
        Basis(AUDIT, "audit", "AU", (BasisMark("AU", "Audit", False, False, False),)),
    )
}
#: Each basis mark -> the basis it implies (P -> pass_no_pass), for a history that carries marks.
MARK_BASIS: dict[str, str] = {m.mark: b.code for b in BASES.values() for m in b.marks}
BASIS_MARKS: dict[str, BasisMark] = {m.mark: m for b in BASES.values() for m in b.marks}


def parse_basis(raw: str, field: str = "grading_basis") -> str:
    """A basis as a person writes it: its code (`pass_no_pass`), its short form (`P/NP`) or its
    label, in any case. Raises ValidationFailed(field, ...) listing the bases."""
    text = raw.strip().casefold().replace("-", "_").replace(" ", "_")
    for basis in BASES.values():
        names = {basis.code, basis.label.replace(" ", "_"), basis.short.casefold()}
        if text in names - {""}:
            return basis.code
    raise ValidationFailed(field, f"{raw.strip()!r} is not a grading basis ({', '.join(BASES)}).")


def parse_bases(raw: str, field: str = "grading_bases") -> tuple[str, ...]:
    """A comma-separated list of bases, each once, in the order given; `graded` when empty."""
    found: list[str] = []
    for part in raw.split(","):
        if part.strip():
            code = parse_basis(part, field)
            if code not in found:
                found.append(code)
    return tuple(found) or (GRADED,)


def allowed_bases(stored: str) -> tuple[str, ...]:
    """A course's stored `grading_bases`, read leniently (an unknown word is skipped)."""
    return tuple(p.strip() for p in stored.split(",") if p.strip() in BASES) or (GRADED,)


def short_name(code: str) -> str:
    """The basis as the roster and transcript columns show it: empty for graded."""
    basis = BASES.get(code)
    return basis.short if basis is not None else code


def label(code: str) -> str:
    basis = BASES.get(code)
    return basis.label if basis is not None else code


def implied_basis(mark: str) -> str | None:
    """The basis a mark belongs to, or None for a mark of a course's own scale (or W, I)."""
    return MARK_BASIS.get(mark.strip().upper())


def bases_text(stored: str) -> str:
    """A course's bases as a narrow column lists them: `graded, P/NP, AU`."""
    return ", ".join(short_name(b) or b for b in allowed_bases(stored))
