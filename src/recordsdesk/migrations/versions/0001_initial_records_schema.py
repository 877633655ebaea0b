"""Initial records schema: the whole domain from day one (see DESIGN.md glossary).

Revision ID: 0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "grading_scale",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('letter', 'pass_fail', 'non_grade', 'percentage', 'standards')",
            name=op.f("ck_grading_scale_kind_valid"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grading_scale")),
        sa.UniqueConstraint("code", name=op.f("uq_grading_scale_code")),
    )
    op.create_table(
        "program",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("level", sa.String(), nullable=False),
        sa.Column("award", sa.String(), nullable=False),
        sa.Column("department", sa.String(), nullable=False),
        sa.Column("required_credits", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column("min_gpa", sa.Numeric(precision=4, scale=2), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "level IN ('elementary', 'secondary', 'undergraduate', 'graduate')",
            name=op.f("ck_program_level_valid"),
        ),
        sa.CheckConstraint(
            "required_credits >= 0", name=op.f("ck_program_required_credits_nonnegative")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_program")),
        sa.UniqueConstraint("code", name=op.f("uq_program_code")),
    )
    op.create_table(
        "staff_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("full_name", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("password_hash", sa.String(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "role IN ('clerk', 'registrar', 'admin')", name=op.f("ck_staff_user_role_valid")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_user")),
        sa.UniqueConstraint("username", name=op.f("uq_staff_user_username")),
    )
    op.create_table(
        "term",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("add_drop_deadline", sa.Date(), nullable=True),
        sa.Column("withdraw_deadline", sa.Date(), nullable=True),
        sa.Column("grades_due", sa.Date(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.CheckConstraint(
            "status IN ('planned', 'registration_open', 'in_progress', 'grading', 'closed')",
            name=op.f("ck_term_status_valid"),
        ),
        sa.CheckConstraint(
            "add_drop_deadline IS NULL OR add_drop_deadline <= end_date",
            name=op.f("ck_term_add_drop_in_term"),
        ),
        sa.CheckConstraint("start_date <= end_date", name=op.f("ck_term_dates_ordered")),
        sa.CheckConstraint(
            "withdraw_deadline IS NULL OR withdraw_deadline <= end_date",
            name=op.f("ck_term_withdraw_in_term"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_term")),
        sa.UniqueConstraint("code", name=op.f("uq_term_code")),
    )
    with op.batch_alter_table("term", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_term_status"), ["status"], unique=False)

    op.create_table(
        "course",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("credits", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("department", sa.String(), nullable=False),
        sa.Column("level", sa.String(), nullable=False),
        sa.Column("grading_scale_id", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Numeric(precision=3, scale=2), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("repeat_limit", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "level IN ('elementary', 'secondary', 'undergraduate', 'graduate')",
            name=op.f("ck_course_level_valid"),
        ),
        sa.CheckConstraint("credits >= 0", name=op.f("ck_course_credits_nonnegative")),
        sa.CheckConstraint("weight >= 0", name=op.f("ck_course_weight_nonnegative")),
        sa.ForeignKeyConstraint(
            ["grading_scale_id"],
            ["grading_scale.id"],
            name=op.f("fk_course_grading_scale_id_grading_scale"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course")),
        sa.UniqueConstraint("code", name=op.f("uq_course_code")),
    )
    with op.batch_alter_table("course", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_course_grading_scale_id"), ["grading_scale_id"], unique=False
        )

    op.create_table(
        "grade_mark",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scale_id", sa.Integer(), nullable=False),
        sa.Column("mark", sa.String(length=10), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("points", sa.Numeric(precision=4, scale=2), nullable=True),
        sa.Column("counts_in_gpa", sa.Boolean(), nullable=False),
        sa.Column("earns_credit", sa.Boolean(), nullable=False),
        sa.Column("counts_attempted", sa.Boolean(), nullable=False),
        sa.Column("is_passing", sa.Boolean(), nullable=False),
        sa.Column("min_percent", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("max_percent", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(min_percent IS NULL AND max_percent IS NULL) OR (min_percent IS NOT NULL AND max_percent IS NOT NULL AND min_percent <= max_percent)",
            name=op.f("ck_grade_mark_percent_band"),
        ),
        sa.CheckConstraint(
            "NOT counts_in_gpa OR points IS NOT NULL", name=op.f("ck_grade_mark_gpa_needs_points")
        ),
        sa.CheckConstraint(
            "points IS NULL OR points >= 0", name=op.f("ck_grade_mark_points_nonnegative")
        ),
        sa.ForeignKeyConstraint(
            ["scale_id"], ["grading_scale.id"], name=op.f("fk_grade_mark_scale_id_grading_scale")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grade_mark")),
        sa.UniqueConstraint("scale_id", "mark", name=op.f("uq_grade_mark_scale_id_mark")),
    )
    with op.batch_alter_table("grade_mark", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_grade_mark_scale_id"), ["scale_id"], unique=False)

    op.create_table(
        "institution",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("short_name", sa.String(), nullable=False),
        sa.Column("level", sa.String(), nullable=False),
        sa.Column("address", sa.String(), nullable=False),
        sa.Column("phone", sa.String(), nullable=False),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("website", sa.String(), nullable=False),
        sa.Column("registrar_name", sa.String(), nullable=False),
        sa.Column("default_grading_scale_id", sa.Integer(), nullable=True),
        sa.Column("student_number_pattern", sa.String(), nullable=False),
        sa.Column("student_number_seq", sa.Integer(), nullable=False),
        sa.Column("repeat_policy", sa.String(), nullable=False),
        sa.Column("gpa_rounding", sa.String(), nullable=False),
        sa.Column("gpa_decimals", sa.Integer(), nullable=False),
        sa.Column("deans_list_min_gpa", sa.Numeric(precision=4, scale=2), nullable=False),
        sa.Column("probation_below_gpa", sa.Numeric(precision=4, scale=2), nullable=False),
        sa.Column("max_credit_load", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("incomplete_days", sa.Integer(), nullable=False),
        sa.Column("idle_lock_minutes", sa.Integer(), nullable=False),
        sa.Column("minor_age_years", sa.Integer(), nullable=False),
        sa.Column("demo", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "gpa_rounding IN ('half_up', 'truncate')",
            name=op.f("ck_institution_gpa_rounding_valid"),
        ),
        sa.CheckConstraint(
            "level IN ('elementary', 'secondary', 'tertiary')",
            name=op.f("ck_institution_level_valid"),
        ),
        sa.CheckConstraint(
            "repeat_policy IN ('latest', 'highest', 'all')",
            name=op.f("ck_institution_repeat_policy_valid"),
        ),
        sa.CheckConstraint(
            "gpa_decimals BETWEEN 0 AND 4", name=op.f("ck_institution_gpa_decimals_range")
        ),
        sa.CheckConstraint(
            "idle_lock_minutes >= 0", name=op.f("ck_institution_idle_lock_nonnegative")
        ),
        sa.CheckConstraint(
            "max_credit_load > 0", name=op.f("ck_institution_max_credit_load_positive")
        ),
        sa.ForeignKeyConstraint(
            ["default_grading_scale_id"],
            ["grading_scale.id"],
            name=op.f("fk_institution_default_grading_scale_id_grading_scale"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institution")),
    )
    op.create_table(
        "student",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_number", sa.String(length=20), nullable=False),
        sa.Column("legal_first_name", sa.String(), nullable=False),
        sa.Column("legal_middle_name", sa.String(), nullable=False),
        sa.Column("legal_last_name", sa.String(), nullable=False),
        sa.Column("preferred_name", sa.String(), nullable=False),
        sa.Column("former_names", sa.String(), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("phone", sa.String(), nullable=False),
        sa.Column("address_line1", sa.String(), nullable=False),
        sa.Column("address_line2", sa.String(), nullable=False),
        sa.Column("city", sa.String(), nullable=False),
        sa.Column("region", sa.String(), nullable=False),
        sa.Column("postal_code", sa.String(), nullable=False),
        sa.Column("country", sa.String(), nullable=False),
        sa.Column("guardian_name", sa.String(), nullable=False),
        sa.Column("guardian_relationship", sa.String(), nullable=False),
        sa.Column("guardian_phone", sa.String(), nullable=False),
        sa.Column("guardian_email", sa.String(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=True),
        sa.Column("grade_level", sa.String(length=20), nullable=False),
        sa.Column("class_year", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("entry_term_id", sa.Integer(), nullable=True),
        sa.Column("admission_date", sa.Date(), nullable=True),
        sa.Column("departure_date", sa.Date(), nullable=True),
        sa.Column("departure_reason", sa.String(), nullable=False),
        sa.Column("degree_conferred", sa.String(), nullable=False),
        sa.Column("conferral_date", sa.Date(), nullable=True),
        sa.Column("honours", sa.String(), nullable=False),
        sa.Column("confidential", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("legal_last_name <> ''", name=op.f("ck_student_last_name_present")),
        sa.CheckConstraint(
            "status IN ('applicant', 'admitted', 'active', 'on_leave', 'withdrawn', 'suspended', 'graduated', 'transferred_out')",
            name=op.f("ck_student_status_valid"),
        ),
        sa.CheckConstraint(
            "status NOT IN ('withdrawn', 'graduated', 'transferred_out') OR departure_date IS NOT NULL",
            name=op.f("ck_student_departure_dated"),
        ),
        sa.CheckConstraint(
            "status NOT IN ('withdrawn', 'graduated', 'transferred_out') OR departure_reason <> ''",
            name=op.f("ck_student_departure_reasoned"),
        ),
        sa.CheckConstraint(
            "departure_date IS NULL OR admission_date IS NULL OR admission_date <= departure_date",
            name=op.f("ck_student_dates_ordered"),
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_student_version_positive")),
        sa.ForeignKeyConstraint(
            ["entry_term_id"], ["term.id"], name=op.f("fk_student_entry_term_id_term")
        ),
        sa.ForeignKeyConstraint(
            ["program_id"], ["program.id"], name=op.f("fk_student_program_id_program")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_student")),
        sa.UniqueConstraint("student_number", name=op.f("uq_student_student_number")),
    )
    with op.batch_alter_table("student", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_student_birth_date"), ["birth_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_student_email"), ["email"], unique=False)
        batch_op.create_index(batch_op.f("ix_student_program_id"), ["program_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_student_status"), ["status"], unique=False)

    op.create_table(
        "admission_application",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("entry_term_id", sa.Integer(), nullable=True),
        sa.Column("applied_on", sa.Date(), nullable=False),
        sa.Column("decision", sa.String(), nullable=False),
        sa.Column("decision_date", sa.Date(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("notes", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "decision = 'pending' OR decision_date IS NOT NULL",
            name=op.f("ck_admission_application_decision_dated"),
        ),
        sa.CheckConstraint(
            "decision IN ('pending', 'admit', 'deny', 'waitlist')",
            name=op.f("ck_admission_application_decision_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["staff_user.id"],
            name=op.f("fk_admission_application_decided_by_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_term_id"], ["term.id"], name=op.f("fk_admission_application_entry_term_id_term")
        ),
        sa.ForeignKeyConstraint(
            ["program_id"], ["program.id"], name=op.f("fk_admission_application_program_id_program")
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["student.id"], name=op.f("fk_admission_application_student_id_student")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admission_application")),
    )
    with op.batch_alter_table("admission_application", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_admission_application_student_id"), ["student_id"], unique=False
        )

    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_username", sa.String(), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.String(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=True),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("prev_hash", sa.String(), nullable=False),
        sa.Column("entry_hash", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["staff_user.id"], name=op.f("fk_audit_event_actor_id_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["student.id"], name=op.f("fk_audit_event_student_id_student")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index("ix_audit_event_entity", ["entity", "entity_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_event_occurred_at"), ["occurred_at"], unique=False
        )
        batch_op.create_index(
            "ix_audit_event_student_occurred", ["student_id", "occurred_at"], unique=False
        )

    op.create_table(
        "contact_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("body", sa.String(), nullable=False),
        sa.CheckConstraint("body <> ''", name=op.f("ck_contact_note_body_present")),
        sa.ForeignKeyConstraint(
            ["author_id"], ["staff_user.id"], name=op.f("fk_contact_note_author_id_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["student.id"], name=op.f("fk_contact_note_student_id_student")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_note")),
    )
    with op.batch_alter_table("contact_note", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contact_note_student_id"), ["student_id"], unique=False
        )

    op.create_table(
        "hold",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("hold_type", sa.String(), nullable=False),
        sa.Column("blocks_registration", sa.Boolean(), nullable=False),
        sa.Column("blocks_transcript", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("placed_by_id", sa.Integer(), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_by_id", sa.Integer(), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("release_reason", sa.String(), nullable=False),
        sa.CheckConstraint(
            "hold_type IN ('financial', 'registrar', 'advising', 'disciplinary', 'health', 'library')",
            name=op.f("ck_hold_hold_type_valid"),
        ),
        sa.CheckConstraint("reason <> ''", name=op.f("ck_hold_reason_present")),
        sa.CheckConstraint(
            "(released_at IS NULL) = (released_by_id IS NULL)",
            name=op.f("ck_hold_release_complete"),
        ),
        sa.CheckConstraint(
            "blocks_registration OR blocks_transcript", name=op.f("ck_hold_blocks_something")
        ),
        sa.ForeignKeyConstraint(
            ["placed_by_id"], ["staff_user.id"], name=op.f("fk_hold_placed_by_id_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["released_by_id"], ["staff_user.id"], name=op.f("fk_hold_released_by_id_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["student.id"], name=op.f("fk_hold_student_id_student")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hold")),
    )
    with op.batch_alter_table("hold", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hold_student_id"), ["student_id"], unique=False)

    op.create_table(
        "prerequisite",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("required_course_id", sa.Integer(), nullable=False),
        sa.Column("min_mark", sa.String(length=10), nullable=False),
        sa.CheckConstraint(
            "course_id <> required_course_id", name=op.f("ck_prerequisite_not_self")
        ),
        sa.ForeignKeyConstraint(
            ["course_id"], ["course.id"], name=op.f("fk_prerequisite_course_id_course")
        ),
        sa.ForeignKeyConstraint(
            ["required_course_id"],
            ["course.id"],
            name=op.f("fk_prerequisite_required_course_id_course"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prerequisite")),
        sa.UniqueConstraint(
            "course_id",
            "required_course_id",
            name=op.f("uq_prerequisite_course_id_required_course_id"),
        ),
    )
    with op.batch_alter_table("prerequisite", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_prerequisite_course_id"), ["course_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_prerequisite_required_course_id"), ["required_course_id"], unique=False
        )

    op.create_table(
        "program_requirement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("min_mark", sa.String(length=10), nullable=True),
        sa.ForeignKeyConstraint(
            ["course_id"], ["course.id"], name=op.f("fk_program_requirement_course_id_course")
        ),
        sa.ForeignKeyConstraint(
            ["program_id"], ["program.id"], name=op.f("fk_program_requirement_program_id_program")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_program_requirement")),
        sa.UniqueConstraint(
            "program_id", "course_id", name=op.f("uq_program_requirement_program_id_course_id")
        ),
    )
    with op.batch_alter_table("program_requirement", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_program_requirement_course_id"), ["course_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_program_requirement_program_id"), ["program_id"], unique=False
        )

    op.create_table(
        "section",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("term_id", sa.Integer(), nullable=False),
        sa.Column("section_code", sa.String(length=10), nullable=False),
        sa.Column("instructor", sa.String(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("waitlist_capacity", sa.Integer(), nullable=False),
        sa.Column("meeting_days", sa.String(length=7), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=True),
        sa.Column("end_time", sa.Time(), nullable=True),
        sa.Column("room", sa.String(), nullable=False),
        sa.Column("grades_posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("grades_posted_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("capacity >= 0", name=op.f("ck_section_capacity_nonnegative")),
        sa.CheckConstraint(
            "start_time IS NULL OR end_time IS NULL OR start_time < end_time",
            name=op.f("ck_section_times_ordered"),
        ),
        sa.CheckConstraint("waitlist_capacity >= 0", name=op.f("ck_section_waitlist_nonnegative")),
        sa.ForeignKeyConstraint(
            ["course_id"], ["course.id"], name=op.f("fk_section_course_id_course")
        ),
        sa.ForeignKeyConstraint(
            ["grades_posted_by_id"],
            ["staff_user.id"],
            name=op.f("fk_section_grades_posted_by_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(["term_id"], ["term.id"], name=op.f("fk_section_term_id_term")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_section")),
        sa.UniqueConstraint(
            "term_id",
            "course_id",
            "section_code",
            name=op.f("uq_section_term_id_course_id_section_code"),
        ),
    )
    with op.batch_alter_table("section", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_section_course_id"), ["course_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_section_term_id"), ["term_id"], unique=False)

    op.create_table(
        "transcript_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("official", sa.Boolean(), nullable=False),
        sa.Column("recipient", sa.String(), nullable=False),
        sa.Column("format", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_by_id", sa.Integer(), nullable=True),
        sa.Column("verification_code", sa.String(), nullable=False),
        sa.Column("note", sa.String(), nullable=False),
        sa.CheckConstraint(
            "format IN ('pdf', 'text', 'html', 'json', 'print')",
            name=op.f("ck_transcript_request_format_valid"),
        ),
        sa.CheckConstraint(
            "status IN ('requested', 'released', 'refused', 'cancelled')",
            name=op.f("ck_transcript_request_status_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["released_by_id"],
            ["staff_user.id"],
            name=op.f("fk_transcript_request_released_by_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["staff_user.id"],
            name=op.f("fk_transcript_request_requested_by_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["student.id"], name=op.f("fk_transcript_request_student_id_student")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transcript_request")),
    )
    with op.batch_alter_table("transcript_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_transcript_request_student_id"), ["student_id"], unique=False
        )

    op.create_table(
        "transfer_credit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("source_institution", sa.String(), nullable=False),
        sa.Column("source_course_code", sa.String(), nullable=False),
        sa.Column("source_course_title", sa.String(), nullable=False),
        sa.Column("credits", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("mark", sa.String(length=10), nullable=False),
        sa.Column("equivalent_course_id", sa.Integer(), nullable=True),
        sa.Column("awarded_on", sa.Date(), nullable=False),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("credits >= 0", name=op.f("ck_transfer_credit_credits_nonnegative")),
        sa.ForeignKeyConstraint(
            ["entered_by_id"],
            ["staff_user.id"],
            name=op.f("fk_transfer_credit_entered_by_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["equivalent_course_id"],
            ["course.id"],
            name=op.f("fk_transfer_credit_equivalent_course_id_course"),
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["student.id"], name=op.f("fk_transfer_credit_student_id_student")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer_credit")),
    )
    with op.batch_alter_table("transfer_credit", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_transfer_credit_student_id"), ["student_id"], unique=False
        )

    op.create_table(
        "enrollment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("section_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("waitlist_position", sa.Integer(), nullable=True),
        sa.Column("credits", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("mark", sa.String(length=10), nullable=True),
        sa.Column("grade_status", sa.String(), nullable=False),
        sa.Column("mark_entered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("mark_entered_by_id", sa.Integer(), nullable=True),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("posted_by_id", sa.Integer(), nullable=True),
        sa.Column("incomplete_expires", sa.Date(), nullable=True),
        sa.Column("override_reason", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "grade_status = 'none' OR mark IS NOT NULL", name=op.f("ck_enrollment_graded_has_mark")
        ),
        sa.CheckConstraint(
            "grade_status IN ('none', 'entered', 'posted')",
            name=op.f("ck_enrollment_grade_status_valid"),
        ),
        sa.CheckConstraint(
            "status <> 'waitlisted' OR waitlist_position IS NOT NULL",
            name=op.f("ck_enrollment_waitlist_positioned"),
        ),
        sa.CheckConstraint(
            "status IN ('registered', 'waitlisted', 'dropped', 'withdrawn', 'completed')",
            name=op.f("ck_enrollment_status_valid"),
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_enrollment_version_positive")),
        sa.ForeignKeyConstraint(
            ["mark_entered_by_id"],
            ["staff_user.id"],
            name=op.f("fk_enrollment_mark_entered_by_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["posted_by_id"], ["staff_user.id"], name=op.f("fk_enrollment_posted_by_id_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["section_id"], ["section.id"], name=op.f("fk_enrollment_section_id_section")
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["student.id"], name=op.f("fk_enrollment_student_id_student")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrollment")),
        sa.UniqueConstraint(
            "student_id", "section_id", name=op.f("uq_enrollment_student_id_section_id")
        ),
    )
    with op.batch_alter_table("enrollment", schema=None) as batch_op:
        batch_op.create_index(
            "ix_enrollment_section_status", ["section_id", "status"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_enrollment_student_id"), ["student_id"], unique=False)

    op.create_table(
        "screening_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["admission_application.id"],
            name=op.f("fk_screening_item_application_id_admission_application"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["staff_user.id"],
            name=op.f("fk_screening_item_recorded_by_id_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_item")),
        sa.UniqueConstraint(
            "application_id", "item", name=op.f("uq_screening_item_application_id_item")
        ),
    )
    with op.batch_alter_table("screening_item", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_screening_item_application_id"), ["application_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("screening_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_screening_item_application_id"))

    op.drop_table("screening_item")
    with op.batch_alter_table("enrollment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enrollment_student_id"))
        batch_op.drop_index("ix_enrollment_section_status")

    op.drop_table("enrollment")
    with op.batch_alter_table("transfer_credit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transfer_credit_student_id"))

    op.drop_table("transfer_credit")
    with op.batch_alter_table("transcript_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transcript_request_student_id"))

    op.drop_table("transcript_request")
    with op.batch_alter_table("section", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_section_term_id"))
        batch_op.drop_index(batch_op.f("ix_section_course_id"))

    op.drop_table("section")
    with op.batch_alter_table("program_requirement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_program_requirement_program_id"))
        batch_op.drop_index(batch_op.f("ix_program_requirement_course_id"))

    op.drop_table("program_requirement")
    with op.batch_alter_table("prerequisite", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prerequisite_required_course_id"))
        batch_op.drop_index(batch_op.f("ix_prerequisite_course_id"))

    op.drop_table("prerequisite")
    with op.batch_alter_table("hold", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hold_student_id"))

    op.drop_table("hold")
    with op.batch_alter_table("contact_note", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_note_student_id"))

    op.drop_table("contact_note")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_event_student_occurred")
        batch_op.drop_index(batch_op.f("ix_audit_event_occurred_at"))
        batch_op.drop_index("ix_audit_event_entity")
        batch_op.drop_index(batch_op.f("ix_audit_event_actor_id"))

    op.drop_table("audit_event")
    with op.batch_alter_table("admission_application", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_admission_application_student_id"))

    op.drop_table("admission_application")
    with op.batch_alter_table("student", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_student_status"))
        batch_op.drop_index(batch_op.f("ix_student_program_id"))
        batch_op.drop_index(batch_op.f("ix_student_email"))
        batch_op.drop_index(batch_op.f("ix_student_birth_date"))

    op.drop_table("student")
    op.drop_table("institution")
    with op.batch_alter_table("grade_mark", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_grade_mark_scale_id"))

    op.drop_table("grade_mark")
    with op.batch_alter_table("course", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_course_grading_scale_id"))

    op.drop_table("course")
    with op.batch_alter_table("term", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_term_status"))

    op.drop_table("term")
    op.drop_table("staff_user")
    op.drop_table("program")
    op.drop_table("grading_scale")
