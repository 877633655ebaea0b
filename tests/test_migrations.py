"""Migrations build exactly the models' schema, upgrade old databases in place, and refuse
databases that recordsdesk did not make. Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import CheckConstraint, Connection, Engine, MetaData, Table, func, inspect, select
from sqlmodel import Session, SQLModel
from sqlmodel import select as sql_select

import recordsdesk.models  # noqa: F401  (registers every table on the metadata)
from recordsdesk.cli import main
from recordsdesk.db import (
    MIGRATIONS_DIR,
    DatabaseUnavailable,
    current_revision,
    head_revision,
    make_engine,
    migration_config,
    open_database,
    upgrade,
)
from recordsdesk.models import (
    GradeMark,
    GradingScale,
    Institution,
    StaffUser,
    Student,
)
from recordsdesk.resources import load_json
from recordsdesk.services.access.actor import SYSTEM_USERNAME
from recordsdesk.services.lookup import index as lookup_index

pytestmark = [
    pytest.mark.db,
    # SQLite reflection cannot read expression indexes; _index_names checks them instead.
    pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index"),
]

# Oldest first: the path an old database travels to head.
SCRIPTS = ScriptDirectory(str(MIGRATIONS_DIR))
REVISIONS = [script.revision for script in reversed(list(SCRIPTS.walk_revisions()))]


@pytest.fixture
def bare_engine(empty_database_url: str) -> Iterator[Engine]:
    """An engine on an empty database, not migrated or seeded."""
    engine = make_engine(empty_database_url)
    yield engine
    engine.dispose()


def model_check_names() -> dict[str, set[str]]:
    return {
        name: {str(c.name) for c in table.constraints if isinstance(c, CheckConstraint)}
        for name, table in SQLModel.metadata.tables.items()
    }


def _unmodelled(dialect: str, kind: str) -> set[str]:
    """The lookup index's own tables or indexes (migration 0002), which the models do not
    describe: left out of the comparison with the models and checked to exist at head instead."""
    tables, indexes = lookup_index.unmodelled_objects(dialect)
    return set(tables if kind == "tables" else indexes)


def _is_unmodelled_table(dialect: str, name: str) -> bool:
    return lookup_index.is_unmodelled(name, "table")


def _modelled_only(dialect: str) -> Any:
    """An Alembic include_object hook that leaves the declared unmodelled objects out."""

    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        if not reflected or compare_to is not None or name is None:
            return True
        if type_ == "table":
            return not _is_unmodelled_table(dialect, name)
        if type_ == "index":
            return name not in _unmodelled(dialect, "indexes")
        return True

    return include


def database_check_names(connection: Connection) -> dict[str, set[str]]:
    inspector = inspect(connection)
    dialect = connection.dialect.name
    return {
        name: {str(c["name"]) for c in inspector.get_check_constraints(name)}
        for name in inspector.get_table_names()
        if name != "alembic_version" and not _is_unmodelled_table(dialect, name)
    }


def _index_names(connection: Connection) -> set[str]:
    """Every index, expression indexes included (SQLite's reflection skips those)."""
    if connection.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'index'"
    else:
        query = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
    return {str(name) for name in connection.exec_driver_sql(query).scalars()}


def assert_schema_matches_models(engine: Engine) -> None:
    with engine.connect() as connection:
        dialect = connection.dialect.name
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "include_object": _modelled_only(dialect)},
        )
        assert compare_metadata(context, SQLModel.metadata) == []
        # compare_metadata ignores CHECK constraints; compare them by name.
        assert database_check_names(connection) == model_check_names()
        # What was left out of the comparison must really be there.
        inspector = inspect(connection)
        tables = set(inspector.get_table_names())
        assert _unmodelled(dialect, "tables") <= tables
        assert _unmodelled(dialect, "indexes") <= _index_names(connection)


def test_revisions_form_one_line_from_base_to_head() -> None:
    assert REVISIONS, "no migrations"
    assert REVISIONS[-1] == head_revision()
    assert SCRIPTS.get_heads() == [head_revision()]


def test_upgrade_to_head_builds_exactly_the_models_schema(bare_engine: Engine) -> None:
    upgrade(bare_engine)
    assert current_revision(bare_engine) == head_revision()
    assert_schema_matches_models(bare_engine)
    checks = model_check_names()
    assert sum(len(names) for names in checks.values()) >= 40
    assert "ck_student_departure_dated" in checks["student"]


def test_downgrade_to_base_and_upgrade_again(bare_engine: Engine) -> None:
    upgrade(bare_engine)
    command.downgrade(migration_config(bare_engine), "base")
    with bare_engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
    assert current_revision(bare_engine) is None
    upgrade(bare_engine)
    assert current_revision(bare_engine) == head_revision()
    assert_schema_matches_models(bare_engine)


def _reference_counts(engine: Engine) -> dict[str, int]:
    def count(model: type[SQLModel], *where: Any) -> int:
        with engine.connect() as connection:
            query = select(func.count()).select_from(model).where(*where)
            return int(connection.execute(query).scalar_one())

    return {
        "scales": count(GradingScale),
        "marks": count(GradeMark),
        "institutions": count(Institution),
        "system users": count(StaffUser, StaffUser.username == SYSTEM_USERNAME),
    }


def test_opening_twice_is_idempotent(empty_database_url: str) -> None:
    first = open_database(empty_database_url)
    after_first = _reference_counts(first)
    first.dispose()
    second = open_database(empty_database_url)
    try:
        assert _reference_counts(second) == after_first
        assert after_first["institutions"] == 1
        assert after_first["system users"] == 1
        assert after_first["scales"] == len(load_json("grading_scales.json")["scales"])
        assert current_revision(second) == head_revision()
    finally:
        second.dispose()


# --- old databases ------------------------------------------------------------------------------

# One row per table an old database would hold. Only the columns a revision has are written, so
# the same data can be put in at any revision; a revision that adds a NOT NULL column without a
# default must add a value here.
OLD_ROWS: list[tuple[str, dict[str, Any]]] = [
    (
        "staff_user",
        {
            "id": 500,
            "username": "old.registrar",
            "full_name": "Old Registrar",
            "role": "registrar",
            "password_hash": "",
            "active": True,
            "created_at": "2019-08-01 09:00:00+00:00",
            "failed_logins": 0,
        },
    ),
    (
        "grading_scale",
        {"id": 500, "code": "OLD", "name": "Old scale", "kind": "letter", "description": ""},
    ),
    (
        "grade_mark",
        {
            "id": 500,
            "scale_id": 500,
            "mark": "A",
            "description": "",
            "points": "4.00",
            "counts_in_gpa": True,
            "earns_credit": True,
            "counts_attempted": True,
            "is_passing": True,
            "sort_order": 0,
        },
    ),
    (
        "program",
        {
            "id": 500,
            "code": "OLDBA",
            "name": "Old BA",
            "level": "undergraduate",
            "award": "BA",
            "department": "Arts",
            "required_credits": "120.00",
            "active": True,
        },
    ),
    (
        "course",
        {
            "id": 500,
            "code": "HIST101",
            "title": "World History",
            "credits": "3.00",
            "department": "History",
            "level": "undergraduate",
            "grading_scale_id": 500,
            "weight": "0.00",
            "description": "",
            "repeat_limit": 1,
            "active": True,
        },
    ),
    (
        "term",
        {
            "id": 500,
            "code": "2019FA",
            "name": "Fall 2019",
            "start_date": "2019-09-02",
            "end_date": "2019-12-20",
            "status": "closed",
        },
    ),
    (
        "section",
        {
            "id": 500,
            "course_id": 500,
            "term_id": 500,
            "section_code": "01",
            "instructor": "Prof. Ng",
            "capacity": 30,
            "waitlist_capacity": 5,
            "meeting_days": "TR",
            "room": "H 101",
        },
    ),
    (
        "student",
        {
            "id": 500,
            "student_number": "201900042",
            "legal_first_name": "Zoë",
            "legal_middle_name": "",
            "legal_last_name": "O'Brien-Nakamura",
            "preferred_name": "Zo",
            "former_names": "",
            "birth_date": "2001-02-03",
            "email": "zoe@example.edu",
            "phone": "",
            "address_line1": "",
            "address_line2": "",
            "city": "",
            "region": "",
            "postal_code": "",
            "country": "",
            "guardian_name": "",
            "guardian_relationship": "",
            "guardian_phone": "",
            "guardian_email": "",
            "program_id": 500,
            "grade_level": "",
            "class_year": 2023,
            "status": "graduated",
            "entry_term_id": 500,
            "admission_date": "2019-08-15",
            "departure_date": "2023-05-20",
            "departure_reason": "Graduated",
            "degree_conferred": "BA",
            "honours": "",
            "confidential": True,
            "created_at": "2019-08-15 10:00:00+00:00",
            "updated_at": "2023-05-20 10:00:00+00:00",
            "version": 3,
        },
    ),
    (
        "enrollment",
        {
            "id": 500,
            "student_id": 500,
            "section_id": 500,
            "status": "completed",
            "registered_at": "2019-08-20 10:00:00+00:00",
            "mark": "A",
            "grade_status": "posted",
            "override_reason": "",
            "version": 2,
        },
    ),
    (
        "hold",
        {
            "id": 500,
            "student_id": 500,
            "hold_type": "library",
            "blocks_registration": False,
            "blocks_transcript": True,
            "reason": "Overdue books",
            "placed_by_id": 500,
            "placed_at": "2023-04-01 10:00:00+00:00",
            "release_reason": "",
        },
    ),
]


def _coerce(table: Table, values: dict[str, Any]) -> dict[str, Any]:
    """Only the columns this revision has, with dates, times and decimals as Python values."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name not in table.c:
            continue
        python_type = getattr(table.c[name].type, "python_type", None)
        if isinstance(value, str) and python_type is date:
            value = date.fromisoformat(value)
        elif isinstance(value, str) and python_type is Decimal:
            value = Decimal(value)
        elif isinstance(value, str) and name.endswith("_at"):
            value = datetime.fromisoformat(value)
        out[name] = value
    return out


def put_old_data(engine: Engine) -> None:
    """Write OLD_ROWS with plain SQL against the tables as this revision reflects them."""
    with engine.begin() as connection:
        metadata = MetaData()
        metadata.reflect(connection)
        for table_name, values in OLD_ROWS:
            table = metadata.tables[table_name]
            connection.execute(table.insert().values(**_coerce(table, values)))


def assert_old_data_intact(engine: Engine) -> None:
    with engine.connect() as connection:
        metadata = MetaData()
        metadata.reflect(connection)
        student = metadata.tables["student"]
        row = connection.execute(select(student).where(student.c.id == 500)).mappings().one()
        assert row["student_number"] == "201900042"
        assert row["legal_first_name"] == "Zoë"
        assert row["legal_last_name"] == "O'Brien-Nakamura"
        assert row["status"] == "graduated"
        assert row["version"] == 3
        for table_name, _values in OLD_ROWS:
            table = metadata.tables[table_name]
            count = connection.execute(
                select(func.count()).select_from(table).where(table.c.id == 500)
            ).scalar_one()
            assert count == 1, table_name


def _assert_orm_reads_old_student(engine: Engine) -> None:
    with Session(engine) as session:
        student = session.get(Student, 500)
        assert student is not None
        assert student.legal_last_name == "O'Brien-Nakamura"
        assert student.departure_date == date(2023, 5, 20)
        assert student.confidential is True
        mark = session.exec(sql_select(GradeMark).where(GradeMark.scale_id == 500)).one()
        assert mark.points == Decimal("4.00")


def test_every_revision_upgrades_old_data_in_place(bare_engine: Engine) -> None:
    """Data written at the first revision survives each step to head, one revision at a time
    (with a single revision today this checks the data at 0001 and the no-op upgrade)."""
    upgrade(bare_engine, REVISIONS[0])
    put_old_data(bare_engine)
    assert_old_data_intact(bare_engine)
    for revision in REVISIONS[1:]:
        upgrade(bare_engine, revision)
        assert current_revision(bare_engine) == revision
        assert_old_data_intact(bare_engine)
    assert_schema_matches_models(bare_engine)


@pytest.mark.parametrize("start", REVISIONS)
def test_opening_an_older_database_upgrades_it(empty_database_url: str, start: str) -> None:
    engine = make_engine(empty_database_url)
    upgrade(engine, start)
    put_old_data(engine)
    engine.dispose()

    opened = open_database(empty_database_url)
    try:
        assert current_revision(opened) == head_revision()
        assert_old_data_intact(opened)
        _assert_orm_reads_old_student(opened)
        assert _reference_counts(opened)["institutions"] == 1
    finally:
        opened.dispose()


def test_db_upgrade_command_upgrades_an_older_database(
    empty_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = make_engine(empty_database_url)
    upgrade(engine, REVISIONS[0])
    put_old_data(engine)
    engine.dispose()

    assert main(["db", "upgrade", "--database", empty_database_url]) == 0
    assert head_revision() in capsys.readouterr().out

    engine = make_engine(empty_database_url)
    try:
        assert current_revision(engine) == head_revision()
        assert_old_data_intact(engine)
    finally:
        engine.dispose()


def test_database_with_foreign_tables_is_refused_untouched(bare_engine: Engine) -> None:
    with bare_engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE ledger (id INTEGER PRIMARY KEY, note TEXT)")
        connection.exec_driver_sql("INSERT INTO ledger (id, note) VALUES (1, 'keep me')")
    url = bare_engine.url.render_as_string(hide_password=False)

    with pytest.raises(DatabaseUnavailable, match="not made by recordsdesk"):
        open_database(url)

    with bare_engine.connect() as connection:
        assert inspect(connection).get_table_names() == ["ledger"]
        note = connection.exec_driver_sql("SELECT note FROM ledger WHERE id = 1").scalar_one()
        assert note == "keep me"


# --- shipped grading scales ---------------------------------------------------------------------


def _marks(session: Session, code: str) -> dict[str, GradeMark]:
    scale = session.exec(sql_select(GradingScale).where(GradingScale.code == code)).one()
    rows = session.exec(sql_select(GradeMark).where(GradeMark.scale_id == scale.id)).all()
    return {row.mark: row for row in rows}


def _optional_decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def test_every_shipped_scale_is_loaded_as_written(engine: Engine) -> None:
    spec = load_json("grading_scales.json")
    with Session(engine) as session:
        for scale_spec in spec["scales"]:
            scale = session.exec(
                sql_select(GradingScale).where(GradingScale.code == scale_spec["code"])
            ).one()
            assert (scale.name, scale.kind) == (scale_spec["name"], scale_spec["kind"])
            rows = session.exec(
                sql_select(GradeMark)
                .where(GradeMark.scale_id == scale.id)
                .order_by(GradeMark.sort_order)
            ).all()
            assert [r.mark for r in rows] == [m["mark"] for m in scale_spec["marks"]]
            for row, mark_spec in zip(rows, scale_spec["marks"], strict=True):
                assert row.points == _optional_decimal(mark_spec.get("points")), row.mark
                assert row.min_percent == _optional_decimal(mark_spec.get("min_percent"))
                assert row.max_percent == _optional_decimal(mark_spec.get("max_percent"))
                assert row.counts_in_gpa is mark_spec["counts_in_gpa"]
                assert row.earns_credit is mark_spec["earns_credit"]
                assert row.counts_attempted is mark_spec["counts_attempted"]
                assert row.is_passing is mark_spec["is_passing"]


def test_the_scales_a_records_office_expects(engine: Engine) -> None:
    with Session(engine) as session:
        plus_minus = _marks(session, "US-PM")
        assert plus_minus["A-"].points == Decimal("3.70")
        assert plus_minus["B+"].points == Decimal("3.30")
        assert plus_minus["F"].earns_credit is False and plus_minus["F"].counts_in_gpa is True

        thirds = _marks(session, "US-PM-67")
        assert thirds["A-"].points == Decimal("3.67")
        assert thirds["B+"].points == Decimal("3.33")

        pass_fail = _marks(session, "PASS-FAIL")
        assert set(pass_fail) == {"P", "NP"}
        assert not any(m.counts_in_gpa for m in pass_fail.values())
        assert pass_fail["P"].earns_credit and not pass_fail["NP"].earns_credit

        non_grade = _marks(session, "NON-GRADE")
        assert set(non_grade) == {"W", "I", "AU", "IP", "TR"}
        assert not any(m.counts_in_gpa for m in non_grade.values())
        assert non_grade["TR"].earns_credit

        bands = sorted(_marks(session, "PCT-SEC").values(), key=lambda m: m.min_percent or 0)
        assert all(m.min_percent is not None and m.max_percent is not None for m in bands)
        assert bands[0].min_percent == Decimal("0") and bands[-1].max_percent == Decimal("100")
        for lower, upper in zip(bands, bands[1:], strict=False):
            assert lower.max_percent is not None and upper.min_percent is not None
            assert upper.min_percent - lower.max_percent == Decimal("0.01")  # no gap, no overlap
        assert [m.mark for m in bands] == ["F", "D", "C", "B", "A"]

        assert set(_marks(session, "SBG-4")) == {"1", "2", "3", "4"}

        institution = session.exec(sql_select(Institution)).one()
        default = session.get(GradingScale, institution.default_grading_scale_id)
        assert default is not None and default.code == "US-PM"


def test_autogenerate_proposes_nothing_at_head(engine: Engine) -> None:
    """`alembic check` through our env.py: a new revision made at head would be empty, so it
    would not propose dropping the lookup index that lives outside the models."""
    from alembic import command

    from recordsdesk.db import migration_config

    command.check(migration_config(engine))
