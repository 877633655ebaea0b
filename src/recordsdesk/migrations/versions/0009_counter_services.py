"""Counter services: release consents, the disclosure log, verification letters, and codes
looked up by index.

Revision ID: 0009
Revises: 0008

- `release_consent`: the student's written consents (to whom, which records, purpose, signed,
  valid until, revoked), added and revoked by a clerk.
- `disclosure`: one row per release of a record outside the office (append-only: desks get no
  UPDATE or DELETE grant on it, `recordsdesk db grants`).
- `verification_letter`: every enrollment verification letter released, with its code.
- `institution`: the credit thresholds (full-time, half-time) per level the letters state
  enrollment status from.
- `transcript_request.record_digest`: SHA-256 of the figures a copy printed, so a lookup by
  verification code says whether the record changed since (empty for older copies); and an
  index on `verification_code`, which "is this document genuine?" looks up.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "release_consent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(), nullable=False),
        sa.Column("records", sa.String(), nullable=False),
        sa.Column("purpose", sa.String(), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("added_by_id", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoke_reason", sa.String(), nullable=False),
        sa.CheckConstraint("recipient <> ''", name=op.f("ck_release_consent_recipient_present")),
        sa.CheckConstraint("records <> ''", name=op.f("ck_release_consent_records_present")),
        sa.CheckConstraint(
            "valid_until IS NULL OR valid_until >= signed_on",
            name=op.f("ck_release_consent_valid_after_signed"),
        ),
        sa.CheckConstraint(
            "(revoked_at IS NULL) = (revoked_by_id IS NULL)",
            name=op.f("ck_release_consent_revocation_complete"),
        ),
        sa.ForeignKeyConstraint(
            ["added_by_id"],
            ["staff_user.id"],
            name=op.f("fk_release_consent_added_by_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"],
            ["staff_user.id"],
            name=op.f("fk_release_consent_revoked_by_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["student.id"], name=op.f("fk_release_consent_student_id_student")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_consent")),
    )
    with op.batch_alter_table("release_consent", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_release_consent_student_id"), ["student_id"], unique=False
        )

    op.create_table(
        "disclosure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("disclosed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disclosed_by_id", sa.Integer(), nullable=False),
        sa.Column("document", sa.String(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("recipient", sa.String(), nullable=False),
        sa.Column("purpose", sa.String(), nullable=False),
        sa.Column("basis", sa.String(), nullable=False),
        sa.Column("consent_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(), nullable=False),
        sa.CheckConstraint(
            "document IN ('transcript', 'verification_letter', 'export', 'report', 'oral')",
            name=op.f("ck_disclosure_document_valid"),
        ),
        sa.CheckConstraint(
            "basis IN ('student_request', 'consent', 'directory', 'school_official', "
            "'other_school', 'financial_aid', 'court_order', 'health_safety')",
            name=op.f("ck_disclosure_basis_valid"),
        ),
        sa.CheckConstraint(
            "basis <> 'consent' OR consent_id IS NOT NULL",
            name=op.f("ck_disclosure_consent_named"),
        ),
        sa.ForeignKeyConstraint(
            ["consent_id"],
            ["release_consent.id"],
            name=op.f("fk_disclosure_consent_id_release_consent"),
        ),
        sa.ForeignKeyConstraint(
            ["disclosed_by_id"],
            ["staff_user.id"],
            name=op.f("fk_disclosure_disclosed_by_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["student.id"], name=op.f("fk_disclosure_student_id_student")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosure")),
    )
    with op.batch_alter_table("disclosure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_disclosure_student_id"), ["student_id"], unique=False)

    op.create_table(
        "verification_letter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(), nullable=False),
        sa.Column("terms", sa.String(), nullable=False),
        sa.Column("format", sa.String(), nullable=False),
        sa.Column("verification_code", sa.String(), nullable=False),
        sa.Column("content_digest", sa.String(), nullable=False),
        sa.Column("record_digest", sa.String(), nullable=False),
        sa.CheckConstraint(
            "format IN ('pdf', 'text', 'html', 'json', 'print')",
            name=op.f("ck_verification_letter_format_valid"),
        ),
        sa.CheckConstraint("terms <> ''", name=op.f("ck_verification_letter_terms_present")),
        sa.ForeignKeyConstraint(
            ["issued_by_id"],
            ["staff_user.id"],
            name=op.f("fk_verification_letter_issued_by_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["student.id"], name=op.f("fk_verification_letter_student_id_student")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_letter")),
    )
    op.create_index(
        op.f("ix_verification_letter_student_id"), "verification_letter", ["student_id"]
    )
    op.create_index(
        op.f("ix_verification_letter_verification_code"),
        "verification_letter",
        ["verification_code"],
    )

    # Plain ALTERs (not a batch): SQLite adds the column in place instead of rebuilding the
    # table, so its definition keeps the order every other path to head gives it.
    op.add_column(
        "transcript_request",
        sa.Column("record_digest", sa.String(), nullable=False, server_default=sa.text("''")),
    )
    op.create_index(
        op.f("ix_transcript_request_verification_code"),
        "transcript_request",
        ["verification_code"],
        unique=False,
    )
    for column, default in (
        ("full_time_credits_undergraduate", "12"),
        ("half_time_credits_undergraduate", "6"),
        ("full_time_credits_graduate", "9"),
        ("half_time_credits_graduate", "4.5"),
    ):
        op.add_column(
            "institution",
            sa.Column(
                column,
                sa.Numeric(precision=5, scale=2),
                nullable=False,
                server_default=sa.text(default),
            ),
        )


def downgrade() -> None:
    for column in (
        "half_time_credits_graduate",
        "full_time_credits_graduate",
        "half_time_credits_undergraduate",
        "full_time_credits_undergraduate",
    ):
        op.drop_column("institution", column)
    op.drop_index(op.f("ix_verification_letter_verification_code"), "verification_letter")
    op.drop_index(op.f("ix_verification_letter_student_id"), "verification_letter")
    op.drop_table("verification_letter")
    op.drop_index(op.f("ix_transcript_request_verification_code"), "transcript_request")
    op.drop_column("transcript_request", "record_digest")
    with op.batch_alter_table("disclosure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disclosure_student_id"))
    op.drop_table("disclosure")
    with op.batch_alter_table("release_consent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_release_consent_student_id"))
    op.drop_table("release_consent")
