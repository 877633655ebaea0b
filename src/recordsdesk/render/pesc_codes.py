"""What the desk's academic standing and Latin honours are called in PESC documents, shared by
the College and the High School Transcript writers.

PESC has no "academic standing" element: the nearest is an `AcademicSummary`'s `Delinquencies`,
whose codes say good standing, probation, suspension or exclusion on GPA grounds. A warning has
no code of its own and goes as `Other` (the summary's note names it). Latin honours go in an
`AcademicHonors` with an `HonorsLevel` (first, second, third highest); any other honours
(a school's "With honors") keep their title without a level.
"""

from __future__ import annotations

from recordsdesk.services.transcripts.builder import DEANS_LIST, GOOD_STANDING, STANDING_LABELS
from recordsdesk.services.transcripts.honours import CUM, MAGNA, SUMMA

#: The desk's standing values (services.transcripts.standing) -> PESC `Delinquencies` codes.
STANDING_CODES = {
    "good": "GoodStanding",
    "warning": "Other",
    "probation": "ProbationGPA",
    "suspension": "SuspensionGPA",
    "dismissal": "ExclusionAcademic",
}
#: A standing as the transcript prints it -> its code (the dean's list is good standing).
_CODE_BY_LABEL = {
    GOOD_STANDING: "GoodStanding",
    DEANS_LIST: "GoodStanding",
    **{STANDING_LABELS[value]: code for value, code in STANDING_CODES.items() if value != "good"},
}
#: Latin honours -> PESC `HonorsLevel`.
HONOURS_LEVELS = {
    SUMMA.casefold(): "FirstHighest",
    MAGNA.casefold(): "SecondHighest",
    CUM.casefold(): "ThirdHighest",
}


def standing_code(printed: str) -> str | None:
    """The `Delinquencies` code of a term's standing as printed ("Academic probation" ->
    ProbationGPA); None when the term has none (no GPA yet, a progress record)."""
    return _CODE_BY_LABEL.get(printed.strip())


def honours_level(honours: str) -> str | None:
    """The `HonorsLevel` of Latin honours ("Magna cum laude" -> SecondHighest), None for any
    other title."""
    return HONOURS_LEVELS.get(" ".join(honours.split()).casefold())
