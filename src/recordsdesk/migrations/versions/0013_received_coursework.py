"""Coursework received in PESC transcripts, and the articulation rules that evaluate it.

Revision ID: 0013
Revises: 0012

- `external_transcript`: one sending institution's record for one student, from one received
  document (institution, its identifiers, the document's id, kind and version, the file).
- `external_course` and `external_summary`: its courses and GPA blocks exactly as sent; a course
  evaluated into transfer credit names the `transfer_credit` row and the `articulation` rule.
- `articulation`: external institution + course -> our course or elective credit at a level,
  with the minimum mark, remembered for the next student from that institution.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "articulation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_key", sa.String(length=200), nullable=False),
        sa.Column("institution", sa.String(length=200), nullable=False),
        sa.Column("course_code", sa.String(length=60), nullable=False),
        sa.Column("equivalent_course_id", sa.Integer(), nullable=True),
        sa.Column("elective_level", sa.String(length=20), nullable=False),
        sa.Column("minimum_mark", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "equivalent_course_id IS NOT NULL OR elective_level <> ''",
            name=op.f("ck_articulation_has_target"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff_user.id"],
            name=op.f("fk_articulation_created_by_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["equivalent_course_id"],
            ["course.id"],
            name=op.f("fk_articulation_equivalent_course_id_course"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_articulation")),
        sa.UniqueConstraint(
            "institution_key",
            "course_code",
            name=op.f("uq_articulation_institution_key_course_code"),
        ),
    )
    op.create_table(
        "external_transcript",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("institution", sa.String(length=200), nullable=False),
        sa.Column("institution_ids", sa.String(), nullable=False),
        sa.Column("institution_key", sa.String(length=200), nullable=False),
        sa.Column("document_id", sa.String(length=100), nullable=False),
        sa.Column("document_kind", sa.String(length=20), nullable=False),
        sa.Column("document_version", sa.String(length=20), nullable=False),
        sa.Column("file_name", sa.String(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["received_by_id"],
            ["staff_user.id"],
            name=op.f("fk_external_transcript_received_by_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["student.id"], name=op.f("fk_external_transcript_student_id_student")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_transcript")),
    )
    op.create_index(
        op.f("ix_external_transcript_institution_key"), "external_transcript", ["institution_key"]
    )
    op.create_index(
        op.f("ix_external_transcript_student_id"), "external_transcript", ["student_id"]
    )
    op.create_table(
        "external_course",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("external_transcript_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("session_designator", sa.String(length=20), nullable=False),
        sa.Column("session_name", sa.String(), nullable=False),
        sa.Column("course_code", sa.String(length=60), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("credits_attempted", sa.Numeric(precision=8, scale=3), nullable=True),
        sa.Column("credits_earned", sa.Numeric(precision=8, scale=3), nullable=True),
        sa.Column("credit_unit", sa.String(length=40), nullable=False),
        sa.Column("quality_points", sa.Numeric(precision=8, scale=3), nullable=True),
        sa.Column("mark", sa.String(length=20), nullable=False),
        sa.Column("scale_code", sa.String(length=20), nullable=False),
        sa.Column("grade_status", sa.String(length=40), nullable=False),
        sa.Column("repeat_code", sa.String(length=40), nullable=False),
        sa.Column("transfer_credit_id", sa.Integer(), nullable=True),
        sa.Column("articulation_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["articulation_id"],
            ["articulation.id"],
            name=op.f("fk_external_course_articulation_id_articulation"),
        ),
        sa.ForeignKeyConstraint(
            ["external_transcript_id"],
            ["external_transcript.id"],
            name=op.f("fk_external_course_external_transcript_id_external_transcript"),
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["student.id"], name=op.f("fk_external_course_student_id_student")
        ),
        sa.ForeignKeyConstraint(
            ["transfer_credit_id"],
            ["transfer_credit.id"],
            name=op.f("fk_external_course_transfer_credit_id_transfer_credit"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_course")),
    )
    op.create_index(op.f("ix_external_course_student_id"), "external_course", ["student_id"])
    op.create_index(
        "ix_external_course_transcript", "external_course", ["external_transcript_id", "position"]
    )
    op.create_table(
        "external_summary",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("external_transcript_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("session_designator", sa.String(length=20), nullable=False),
        sa.Column("session_name", sa.String(), nullable=False),
        sa.Column("summary_type", sa.String(length=40), nullable=False),
        sa.Column("summary_level", sa.String(length=40), nullable=False),
        sa.Column("credits_attempted", sa.Numeric(precision=8, scale=3), nullable=True),
        sa.Column("credits_earned", sa.Numeric(precision=8, scale=3), nullable=True),
        sa.Column("credits_for_gpa", sa.Numeric(precision=8, scale=3), nullable=True),
        sa.Column("quality_points", sa.Numeric(precision=9, scale=3), nullable=True),
        sa.Column("credit_unit", sa.String(length=40), nullable=False),
        sa.Column("gpa", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["external_transcript_id"],
            ["external_transcript.id"],
            name=op.f("fk_external_summary_external_transcript_id_external_transcript"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_summary")),
    )
    op.create_index(
        "ix_external_summary_transcript", "external_summary", ["external_transcript_id", "position"]
    )


def downgrade() -> None:
    for table in ("external_summary", "external_course", "external_transcript", "articulation"):
        op.drop_table(table)
