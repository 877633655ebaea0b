"""Each student's figures per term, stored for the reports, and the triggers that keep them
from going stale unnoticed.

Revision ID: 0016
Revises: 0015

- `term_totals`: one row per student and term (models/totals.py says what each column holds),
  computed by services/reports/totals.py with the transcript's rules.
- `term_totals_stale`: students whose rows a change made stale. Triggers append to it on every
  write that changes what the rows come from: an enrollment added, removed, or changed in its
  student, section, status, credits, posting, or (posted) mark or grading basis; transfer credit
  added, removed or changed; a section moved to another course or term; a course's credits,
  weight or scale changed; a term's start date changed; a student's program changed. PostgreSQL
  notes inserted and deleted rows once per statement (a COPY of a million enrollments adds one
  statement's work), changed rows per row.
- `term_totals_basis`: what the rows were computed under (repeat policy, NP as F, the marks of
  every scale); the refresh rebuilds every row when it differs, so a change of policy or scale
  needs no trigger.

The rows of an existing database are built here, by the same code that refreshes them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SUMS = (
    "attempted",
    "earned",
    "gpa_credits",
    "quality_points",
    "weighted_points",
    "cum_attempted",
    "cum_earned",
    "cum_gpa_credits",
    "cum_quality_points",
    "cum_weighted_points",
)
# An enrollment change matters when it moves the row, changes its status or credits, posts or
# unposts it, or changes a posted mark or its basis (entering an unposted mark does not).
ENROLLMENT_CHANGED = (
    "OLD.student_id IS DISTINCT FROM NEW.student_id "
    "OR OLD.section_id IS DISTINCT FROM NEW.section_id "
    "OR OLD.status IS DISTINCT FROM NEW.status "
    "OR OLD.credits IS DISTINCT FROM NEW.credits "
    "OR (OLD.grade_status IS DISTINCT FROM NEW.grade_status "
    "AND (OLD.grade_status = 'posted' OR NEW.grade_status = 'posted')) "
    "OR (OLD.grade_status = 'posted' AND (OLD.mark IS DISTINCT FROM NEW.mark "
    "OR OLD.grading_basis IS DISTINCT FROM NEW.grading_basis))"
)
_STALE = "INSERT INTO term_totals_stale (student_id)"
# (table, columns whose change matters, condition, students to note), for row-level triggers.
_CHANGES = (
    ("enrollment", "student_id, section_id, status, credits, grade_status, mark, grading_basis",
     ENROLLMENT_CHANGED, "SELECT OLD.student_id UNION SELECT NEW.student_id"),
    ("transfer_credit", "student_id, credits",
     "OLD.student_id IS DISTINCT FROM NEW.student_id OR OLD.credits IS DISTINCT FROM NEW.credits",
     "SELECT OLD.student_id UNION SELECT NEW.student_id"),
    ("section", "course_id, term_id",
     "OLD.course_id IS DISTINCT FROM NEW.course_id OR OLD.term_id IS DISTINCT FROM NEW.term_id",
     "SELECT DISTINCT student_id FROM enrollment WHERE section_id = NEW.id"),
    ("course", "credits, weight, grading_scale_id",
     "OLD.credits IS DISTINCT FROM NEW.credits OR OLD.weight IS DISTINCT FROM NEW.weight "
     "OR OLD.grading_scale_id IS DISTINCT FROM NEW.grading_scale_id",
     "SELECT DISTINCT e.student_id FROM enrollment e JOIN section s ON s.id = e.section_id "
     "WHERE s.course_id = NEW.id"),
    ("term", "start_date", "OLD.start_date IS DISTINCT FROM NEW.start_date",
     "SELECT DISTINCT e.student_id FROM enrollment e JOIN section s ON s.id = e.section_id "
     "WHERE s.term_id = NEW.id"),
    ("student", "program_id", "OLD.program_id IS DISTINCT FROM NEW.program_id",
     "SELECT NEW.id"),
)  # fmt: skip
#: Tables whose inserted and deleted rows carry the student noted.
_ROWS_OF_STUDENTS = ("enrollment", "transfer_credit")


def _create_tables() -> None:
    op.create_table(
        "term_totals",
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("term_id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=True),
        sa.Column("posted", sa.Integer(), nullable=False),
        *(sa.Column(n, sa.Numeric(precision=12, scale=4), nullable=False) for n in _SUMS),
        sa.Column("term_gpa_raw", sa.Float(), nullable=True),
        sa.Column("cum_gpa_raw", sa.Float(), nullable=True),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("seat_credits", sa.Numeric(precision=12, scale=4), nullable=False),
        sa.Column("withdrawn", sa.Integer(), nullable=False),
        sa.Column("in_progress", sa.Numeric(precision=12, scale=4), nullable=False),
        sa.Column("cum_in_progress", sa.Numeric(precision=12, scale=4), nullable=False),
        sa.Column("toward_degree", sa.Numeric(precision=12, scale=4), nullable=False),
        sa.Column("latest", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("student_id", "term_id", name=op.f("pk_term_totals")),
    )
    op.create_index(
        "ix_term_totals_term",
        "term_totals",
        ["term_id", "program_id", "posted", "seats", "seat_credits", "withdrawn",
         "term_gpa_raw", "cum_gpa_raw"],
    )  # fmt: skip
    op.create_index("ix_term_totals_latest", "term_totals", ["latest", "cum_gpa_raw"])
    op.create_index(
        "ix_term_totals_degree", "term_totals", ["latest", "program_id", "toward_degree"]
    )
    op.create_table(
        "term_totals_stale",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_term_totals_stale")),
    )
    op.create_table(
        "term_totals_basis",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_term_totals_basis")),
    )


def _sqlite_triggers() -> None:
    for table in _ROWS_OF_STUDENTS:
        op.execute(
            f"CREATE TRIGGER term_totals_{table}_ai AFTER INSERT ON {table} BEGIN "
            f"{_STALE} VALUES (NEW.student_id); END"
        )
        op.execute(
            f"CREATE TRIGGER term_totals_{table}_ad AFTER DELETE ON {table} BEGIN "
            f"{_STALE} VALUES (OLD.student_id); END"
        )
    for table, columns, changed, students in _CHANGES:
        condition = changed.replace("IS DISTINCT FROM", "IS NOT")
        op.execute(
            f"CREATE TRIGGER term_totals_{table}_au AFTER UPDATE OF {columns} ON {table} "
            f"WHEN {condition} BEGIN {_STALE} {students}; END"
        )


def _postgres_triggers() -> None:
    for transition in ("new", "old"):
        op.execute(
            f"CREATE FUNCTION term_totals_note_{transition}() RETURNS trigger LANGUAGE plpgsql "
            f"AS $$ BEGIN {_STALE} SELECT DISTINCT student_id FROM {transition}_rows; "
            "RETURN NULL; END $$"
        )
    for table in _ROWS_OF_STUDENTS:
        for event, transition, suffix in (("INSERT", "new", "ai"), ("DELETE", "old", "ad")):
            op.execute(
                f"CREATE TRIGGER term_totals_{table}_{suffix} AFTER {event} ON {table} "
                f"REFERENCING {transition.upper()} TABLE AS {transition}_rows "
                f"FOR EACH STATEMENT EXECUTE FUNCTION term_totals_note_{transition}()"
            )
    for table, columns, changed, students in _CHANGES:
        op.execute(
            f"CREATE FUNCTION term_totals_note_{table}() RETURNS trigger LANGUAGE plpgsql "
            f"AS $$ BEGIN {_STALE} {students}; RETURN NULL; END $$"
        )
        op.execute(
            f"CREATE TRIGGER term_totals_{table}_au AFTER UPDATE OF {columns} ON {table} "
            f"FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION term_totals_note_{table}()"
        )


def upgrade() -> None:
    _create_tables()
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_triggers()
    else:
        _postgres_triggers()
    from recordsdesk.services.transcripts.totals import rebuild

    rebuild(op.get_bind())


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    names = [f"{t}_{s}" for t in _ROWS_OF_STUDENTS for s in ("ai", "ad")]
    names += [f"{table}_au" for table, *_rest in _CHANGES]
    for name in names:
        table = name.rsplit("_", 1)[0]
        if sqlite:
            op.execute(f"DROP TRIGGER term_totals_{name}")
        else:
            op.execute(f"DROP TRIGGER term_totals_{name} ON {table}")
    if not sqlite:
        for suffix in ("new", "old", *(table for table, *_rest in _CHANGES)):
            op.execute(f"DROP FUNCTION term_totals_note_{suffix}()")
    op.drop_table("term_totals_basis")
    op.drop_table("term_totals_stale")
    op.drop_index("ix_term_totals_degree", table_name="term_totals")
    op.drop_index("ix_term_totals_latest", table_name="term_totals")
    op.drop_index("ix_term_totals_term", table_name="term_totals")
    op.drop_table("term_totals")
