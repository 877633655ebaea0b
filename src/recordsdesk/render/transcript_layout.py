"""The transcript's page layout, shared by every renderer: a transcript in, pages of lines out.

Text, PDF, HTML and the desk's preview all draw these same pages, so the preview is the printed
page: same line breaks, same page breaks. A page is a fixed grid (WIDTH cells by PAGE_LINES
lines); each line is a few spans placed at a column, with a style name the renderers map to
bold or dim. Terms are kept together: a term never starts at the foot of a page apart from its
courses; one too long for any page continues under a repeated heading.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from rich.cells import cell_len, set_cell_size

from recordsdesk.services.grades.basis import label as basis_label
from recordsdesk.services.grades.basis import short_name as basis_short
from recordsdesk.services.shared.clean_text import printable
from recordsdesk.services.transcripts.builder import CourseLine, TermRecord, Transcript

WIDTH = 88
PAGE_LINES = 60
HEADER_LINES = 3
FOOTER_LINES = 2
BODY_LINES = PAGE_LINES - HEADER_LINES - FOOTER_LINES
DASH = "—"
#: What every page made on a practice desk (`recordsdesk practice`) says, in its header rule.
PRACTICE_MARK = "PRACTICE · made on a practice desk · not a record of any student"
PRACTICE_RULE = f"── {PRACTICE_MARK} ".ljust(WIDTH, "─")


@dataclass(frozen=True)
class Span:
    """Text placed at a column. Control characters in it (a name stored by an old version
    with an escape sequence) are replaced by visible stand-ins here, the one place every
    renderer's text passes, so no terminal or printer obeys them."""

    col: int
    text: str
    style: str = ""  # "", "bold", "title", "dim", "warn"

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", printable(self.text))


@dataclass(frozen=True)
class Line:
    spans: tuple[Span, ...] = ()

    @property
    def text(self) -> str:
        """The line as plain text, each span padded to its column by terminal cell width."""
        out = ""
        for span in self.spans:
            gap = span.col - cell_len(out)
            out += " " * max(gap, 1 if out else 0) + span.text
        return out.rstrip()


@dataclass(frozen=True)
class Page:
    number: int
    count: int
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class RenderOptions:
    """How to draw a copy: official or not, which GPA, and the release facts printed on it."""

    official: bool = False
    weighted: bool = False
    issued_on: date | None = None
    verification_code: str = ""
    registrar_name: str = ""


def amount(value: Decimal | None) -> str:
    """Credits and quality points: two places, more only when the exact value needs them."""
    if value is None:
        return DASH
    cents = value.quantize(Decimal("0.01"))
    return f"{cents if cents == value else value.normalize():f}"


def gpa_text(value: Decimal | None) -> str:
    """A GPA exactly as the policy rounded it ("3.25"); a dash when nothing counts yet."""
    return DASH if value is None else f"{value:f}"


def fit(text: str, width: int) -> str:
    """Crop (with an ellipsis) or keep text so it takes at most `width` cells (control
    characters counted as the one-cell stand-ins they are drawn as)."""
    text = printable(text)
    if cell_len(text) <= width:
        return text
    return set_cell_size(text, width - 1).rstrip() + "…"


def right(text: str, end: int) -> Span:
    """A span whose last cell is at column `end` (for figures)."""
    return Span(max(end - cell_len(text), 0), text)


def line(*spans: Span) -> Line:
    return Line(tuple(spans))


BLANK = Line()


def _pair(label: str, value: str, col: int = 0) -> list[Span]:
    return [Span(col, label, "dim"), Span(col + 16, fit(value, 42 - 16 + 2) if value else DASH)]


def _identity(t: Transcript) -> list[Line]:
    s = t.student
    inst = t.institution
    contact = "  ·  ".join(x for x in (inst.phone, inst.email, inst.website) if x)
    lines = [line(Span(0, fit(inst.name, WIDTH), "title"))]
    if inst.address:
        lines.append(line(Span(0, fit(inst.address, WIDTH))))
    if contact:
        lines.append(line(Span(0, fit(contact, WIDTH), "dim")))
    program = f"{s.program_code} {s.program_name}".strip()
    lines.append(BLANK)
    lines.append(line(Span(0, "Name", "dim"), Span(16, fit(s.name, WIDTH - 16), "bold")))
    left = [
        ("Student number", s.student_number),
        ("Birth date", s.birth_date.isoformat() if s.birth_date else ""),
        ("Program", program),
    ]
    right_col = [
        ("Status", s.status.replace("_", " ")),
        ("Admitted", s.admission_date.isoformat() if s.admission_date else ""),
        ("Degree", s.degree_conferred),
    ]
    for (l_label, l_value), (r_label, r_value) in zip(left, right_col, strict=True):
        lines.append(line(*_pair(l_label, l_value), *_pair(r_label, r_value, 46)))
    lines.append(line(Span(0, "Graduation", "dim"), Span(16, fit(t.graduation_status, WIDTH - 16))))
    lines.append(BLANK)
    return lines


def _transfer(t: Transcript) -> list[Line]:
    if not t.transfer:
        return []
    lines = [
        line(Span(0, "TRANSFER CREDIT", "bold"), Span(40, "earns credit; not in the GPA", "dim")),
        line(
            Span(2, "Institution", "dim"),
            Span(30, "Course", "dim"),
            Span(44, "Equivalent", "dim"),
            right("Credits", 64),
            Span(66, "Mark", "dim"),
        ),
    ]
    for tr in t.transfer:
        course = f"{tr.source_course_code} {tr.source_course_title}".strip()
        lines.append(
            line(
                Span(2, fit(tr.source_institution, 26)),
                Span(30, fit(course, 13)),
                Span(44, fit(tr.awarded_as or DASH, 12)),
                right(amount(tr.credits), 64),
                Span(66, tr.mark),
            )
        )
    lines.append(
        line(Span(2, "Transfer credits earned", "dim"), right(amount(t.transfer_credits), 64))
    )
    lines.append(BLANK)
    return lines


def _course_head(progress: bool, weighted: bool) -> Line:
    if progress:
        return line(
            Span(2, "Course", "dim"),
            Span(15, "Title", "dim"),
            Span(50, "Mark", "dim"),
            Span(56, "Meaning", "dim"),
        )
    return line(
        Span(2, "Course", "dim"),
        Span(15, "Title", "dim"),
        right("Att", 55),
        right("Earned", 63),
        Span(65, "Mark", "dim"),
        right("WQP" if weighted else "QP", 78),
        Span(80, "Repeat", "dim"),
    )


def _course(c: CourseLine, progress: bool, weighted: bool) -> Line:
    if progress:
        return line(
            Span(2, fit(c.course_code, 12)),
            Span(15, fit(c.title, 34)),
            Span(50, c.mark, "bold"),
            Span(56, fit(c.mark_description, WIDTH - 56)),
        )
    points = c.weighted_points if weighted else c.quality_points
    flag = ("incl" if c.repeat == "included" else "EXCL") if c.repeated else ""
    spans = [
        Span(2, fit(c.course_code, 12)),
        Span(15, fit(c.title, 34)),
        right(amount(c.credits_attempted), 55),
        right(amount(c.credits_earned), 63),
        Span(65, c.mark, "bold"),
        right(amount(points), 78),
        Span(80, flag, "warn" if flag == "EXCL" else ""),
    ]
    if c.grading_basis != "graded":  # after the mark: P/NP, S/U, CR/NC, AU
        spans.insert(5, Span(69, basis_short(c.grading_basis), "dim"))
    return line(*spans)


def _figures(label: str, totals_att: Decimal, earned: Decimal, gpa_value: str, extra: str) -> Line:
    return line(
        Span(2, label, "dim"),
        right(amount(totals_att), 55),
        right(amount(earned), 63),
        Span(65, "GPA", "dim"),
        right(gpa_value, 78),
        Span(80, extra, "dim"),
    )


def _term(t: Transcript, term: TermRecord, weighted: bool) -> tuple[Line, list[Line]]:
    progress = t.progress_only
    heading = line(Span(0, f"{term.code}  {term.name}", "bold"), Span(60, term.standing, "bold"))
    body = [_course_head(progress, weighted)]
    body += [_course(c, progress, weighted) for c in term.courses]
    if progress:
        body.append(
            line(
                Span(2, "Credits earned this term", "dim"),
                right(amount(term.totals.credits_earned), 63),
            )
        )
    else:
        term_gpa = term.weighted_gpa if weighted else term.gpa
        cum_gpa = term.cumulative_weighted_gpa if weighted else term.cumulative_gpa
        body.append(
            _figures(
                "Term",
                term.totals.credits_attempted,
                term.totals.credits_earned,
                gpa_text(term_gpa),
                "W" if weighted else "",
            )
        )
        body.append(
            _figures(
                "Cumulative",
                term.cumulative.credits_attempted,
                term.cumulative.credits_earned,
                gpa_text(cum_gpa),
                "W" if weighted else "",
            )
        )
    body.append(BLANK)
    return heading, body


def _in_progress(t: Transcript) -> list[Line]:
    if not t.in_progress:
        return []
    lines = [line(Span(0, "COURSES IN PROGRESS", "bold"))]
    for c in t.in_progress:
        lines.append(
            line(
                Span(2, fit(c.term_code, 8)),
                Span(11, fit(c.course_code, 12)),
                Span(24, fit(c.title, 34)),
                right(amount(c.credits), 63),
                Span(65, "IP"),
            )
        )
    lines.append(BLANK)
    return lines


def _summary(t: Transcript, options: RenderOptions) -> list[Line]:
    c = t.cumulative
    lines = [line(Span(0, "TOTALS", "bold"))]
    lines.append(line(Span(2, "Credits attempted", "dim"), right(amount(c.credits_attempted), 40)))
    lines.append(
        line(Span(2, "Credits earned (incl. transfer)", "dim"), right(amount(c.credits_earned), 40))
    )
    if not t.progress_only:
        lines.append(line(Span(2, "GPA credits", "dim"), right(amount(c.gpa_credits), 40)))
        points = c.weighted_points if options.weighted else c.quality_points
        label = "Weighted quality points" if options.weighted else "Quality points"
        lines.append(line(Span(2, label, "dim"), right(amount(points), 40)))
        lines.append(line(Span(2, "Cumulative GPA", "bold"), right(gpa_text(t.cumulative_gpa), 40)))
        if t.weighted_available:
            lines.append(
                line(
                    Span(2, "Cumulative weighted GPA", "bold"),
                    right(gpa_text(t.cumulative_weighted_gpa), 40),
                )
            )
        used = sorted({c.grading_basis for term in t.terms for c in term.courses} - {"graded"})
        if used:
            named = "; ".join(f"{basis_short(b)} {basis_label(b)}" for b in used)
            no_pass = "NP counts as F (0 points)" if t.policy.np_counts_as_f else "NP is not in it"
            for text in (
                f"Grading basis: {named}.",
                f"P, S and CR earn credit outside the GPA; {no_pass}.",
            ):
                lines.append(line(Span(2, fit(text, WIDTH - 2), "dim")))
        if t.class_rank is not None:
            lines.append(line(Span(2, fit(t.class_rank.describe(), WIDTH - 2), "bold")))
        p = t.policy
        rounding = "rounded half-up" if p.rounding == "half_up" else "truncated"
        lines.append(
            line(
                Span(
                    2,
                    fit(
                        f"GPA policy: repeated courses count the {p.repeat_policy} attempt"
                        f"{'s' if p.repeat_policy == 'all' else ''}; "
                        f"{rounding} to {p.decimals} decimals.",
                        WIDTH - 2,
                    ),
                    "dim",
                )
            )
        )
    else:
        lines.append(
            line(Span(2, "Standards-based progress record: no grade point average.", "dim"))
        )
    lines.append(BLANK)
    return lines


def _release(options: RenderOptions) -> list[Line]:
    issued = options.issued_on.isoformat() if options.issued_on else DASH
    if not options.official:
        return [
            line(
                Span(
                    0,
                    f"UNOFFICIAL COPY issued {issued}: not valid as an official transcript.",
                    "warn",
                )
            )
        ]
    return [
        BLANK,
        line(Span(0, "_" * 40)),
        line(Span(0, fit(f"Registrar: {options.registrar_name or DASH}", 60))),
        line(Span(0, "Issued", "dim"), Span(16, issued)),
        line(Span(0, "Verification", "dim"), Span(16, options.verification_code or DASH, "bold")),
    ]


def _header(t: Transcript, options: RenderOptions, number: int, count: int) -> list[Line]:
    kind = "OFFICIAL TRANSCRIPT" if options.official else "UNOFFICIAL TRANSCRIPT"
    who = f"{t.student.name}  ·  {t.student.student_number}"
    page = f"Page {number} of {count}"
    # On a practice desk the rule under the header carries the mark: same line count, so a
    # practice copy paginates as a real one would.
    rule = (
        line(Span(0, PRACTICE_RULE, "warn"))
        if t.institution.practice
        else line(Span(0, "─" * WIDTH, "dim"))
    )
    return [
        line(
            Span(0, fit(t.institution.short_name or t.institution.name, 50), "bold"),
            Span(WIDTH - cell_len(kind), kind, "bold" if options.official else "warn"),
        ),
        line(Span(0, fit(who, WIDTH - len(page) - 2)), right(page, WIDTH)),
        rule,
    ]


def _footer(options: RenderOptions) -> list[Line]:
    note = (
        f"Official transcript · verification {options.verification_code}"
        if options.official
        else "UNOFFICIAL · for information only"
    )
    return [BLANK, line(Span(0, fit(note, WIDTH), "dim" if options.official else "warn"))]


def _paginate(blocks: Sequence[tuple[Line | None, list[Line]]]) -> list[list[Line]]:
    """Fill pages with blocks kept whole; a block longer than a page continues under its
    heading repeated with "(continued)"."""
    pages: list[list[Line]] = [[]]
    for heading, body in blocks:
        block = ([heading] if heading else []) + body
        page = pages[-1]
        if len(block) > BODY_LINES - len(page) and page:
            if len(block) <= BODY_LINES or len(page) > BODY_LINES - 4:
                pages.append([])
        for item in block:
            page = pages[-1]
            if len(page) >= BODY_LINES:
                pages.append([])
                page = pages[-1]
                if heading is not None:
                    first = heading.spans[0]
                    page.append(line(Span(0, f"{first.text} (continued)", first.style)))
            if not page and item == BLANK:
                continue
            page.append(item)
    return pages


def layout(t: Transcript, options: RenderOptions) -> tuple[Page, ...]:
    """The transcript as pages of WIDTH x PAGE_LINES cells, headers and footers included."""
    blocks: list[tuple[Line | None, list[Line]]] = [(None, _identity(t))]
    if t.transfer:
        blocks.append((None, _transfer(t)))
    for term in t.terms:
        blocks.append(_term(t, term, options.weighted and t.weighted_available))
    if t.in_progress:
        blocks.append((None, _in_progress(t)))
    blocks.append((None, _summary(t, options)))
    blocks.append((None, _release(options)))
    bodies = _paginate(blocks)
    count = len(bodies)
    pages = []
    for number, body in enumerate(bodies, start=1):
        filler = [BLANK] * (BODY_LINES - len(body))
        lines = _header(t, options, number, count) + body + filler + _footer(options)
        pages.append(Page(number, count, tuple(lines)))
    return tuple(pages)
