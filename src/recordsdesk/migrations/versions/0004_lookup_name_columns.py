"""Counter lookup index by kind of name, with apostrophes and hyphens folded.

Revision ID: 0004
Revises: 0003

The lookup ranks a student whose legal or preferred first or last name matches above one
matched only by a middle or former name, so the index must tell them apart; and a clerk types
"oc" or "o'c" for O'Connor, so a name holding an apostrophe or hyphen is also indexed with it
removed ("O'Connor" as o, connor and oconnor; "Smith-Jones" as smith, jones and smithjones).

SQLite: the FTS5 table of 0002 (five columns, external content on `student`) becomes one with
two columns, `main` (first, last and preferred names) and `other` (middle and former names),
holding its own copy of that text (the joined forms are not columns of `student`, so external
content cannot supply them). Same name, same tokenizer and prefix indexes, same trigger names.
PostgreSQL: `rd_name_search` also gives the joined forms; the trigram index is rebuilt. The
lookup tells main names apart there by rechecking the rows the index finds.

services/lookup/index.py writes the same text when a bulk load rebuilds the index
(tests/test_demo_lookup_index.py checks both agree).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME_COLUMNS = (
    "legal_first_name",
    "legal_middle_name",
    "legal_last_name",
    "preferred_name",
    "former_names",
)
MAIN_COLUMNS = ("legal_first_name", "legal_last_name", "preferred_name")
OTHER_COLUMNS = ("legal_middle_name", "former_names")
_COLS = ", ".join(NAME_COLUMNS)
_MARKS = ("'", "\u2019", "-")


def _joined(value: str) -> str:
    """SQL: `value` with every apostrophe and hyphen removed."""
    for mark in _MARKS:
        value = f"replace({value}, '{mark.replace(chr(39), chr(39) * 2)}', '')"
    return value


def _with_joined(value: str) -> str:
    """SQL: the name, then (when it holds a mark) the name with its marks removed."""
    holds = " OR ".join(f"instr({value}, '{m.replace(chr(39), chr(39) * 2)}') > 0" for m in _MARKS)
    return f"{value} || CASE WHEN {holds} THEN ' ' || {_joined(value)} ELSE '' END"


def _text(prefix: str, columns: Sequence[str]) -> str:
    return " || ' ' || ".join(_with_joined(f"coalesce({prefix}{c}, '')") for c in columns)


def _terms_select(prefix: str) -> str:
    parts = " UNION ".join(f"SELECT {prefix}.{c} AS v" for c in NAME_COLUMNS)
    return f"SELECT v FROM ({parts}) AS names WHERE v <> ''"


def _sqlite_insert(prefix: str) -> str:
    return (
        f"INSERT INTO student_name_fts(rowid, main, other) VALUES ({prefix}.id, "
        f"{_text(prefix + '.', MAIN_COLUMNS)}, {_text(prefix + '.', OTHER_COLUMNS)});"
    )


def _drop_sqlite() -> None:
    for suffix in ("ai", "ad", "au"):
        op.execute(f"DROP TRIGGER IF EXISTS student_name_fts_{suffix}")
    op.execute("DROP TABLE student_name_fts")


def _upgrade_sqlite() -> None:
    _drop_sqlite()
    op.execute(
        "CREATE VIRTUAL TABLE student_name_fts USING fts5(main, other, "
        "tokenize='unicode61 remove_diacritics 2', prefix='1 2 3')"
    )
    op.execute(
        f"""CREATE TRIGGER student_name_fts_ai AFTER INSERT ON student BEGIN
            {_sqlite_insert("new")}
            INSERT OR IGNORE INTO name_term(value) {_terms_select("new")};
        END"""
    )
    op.execute(
        """CREATE TRIGGER student_name_fts_ad AFTER DELETE ON student BEGIN
            DELETE FROM student_name_fts WHERE rowid = old.id;
        END"""
    )
    op.execute(
        f"""CREATE TRIGGER student_name_fts_au AFTER UPDATE OF {_COLS} ON student BEGIN
            DELETE FROM student_name_fts WHERE rowid = old.id;
            {_sqlite_insert("new")}
            INSERT OR IGNORE INTO name_term(value) {_terms_select("new")};
        END"""
    )
    op.execute(
        f"INSERT INTO student_name_fts(rowid, main, other) SELECT id, {_text('', MAIN_COLUMNS)}, "
        f"{_text('', OTHER_COLUMNS)} FROM student"
    )
    op.execute("INSERT INTO student_name_fts(student_name_fts) VALUES ('optimize')")


def _downgrade_sqlite() -> None:
    """Back to 0002's index (its statements, repeated: a migration never imports another)."""
    _drop_sqlite()
    values = {p: ", ".join(f"{p}.{c}" for c in NAME_COLUMNS) for p in ("new", "old")}
    op.execute(
        f"CREATE VIRTUAL TABLE student_name_fts USING fts5({_COLS}, content='student', "
        "content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='1 2 3')"
    )
    op.execute(
        f"""CREATE TRIGGER student_name_fts_ai AFTER INSERT ON student BEGIN
            INSERT INTO student_name_fts(rowid, {_COLS}) VALUES (new.id, {values["new"]});
            INSERT OR IGNORE INTO name_term(value) {_terms_select("new")};
        END"""
    )
    op.execute(
        f"""CREATE TRIGGER student_name_fts_ad AFTER DELETE ON student BEGIN
            INSERT INTO student_name_fts(student_name_fts, rowid, {_COLS})
                VALUES ('delete', old.id, {values["old"]});
        END"""
    )
    op.execute(
        f"""CREATE TRIGGER student_name_fts_au AFTER UPDATE OF {_COLS} ON student BEGIN
            INSERT INTO student_name_fts(student_name_fts, rowid, {_COLS})
                VALUES ('delete', old.id, {values["old"]});
            INSERT INTO student_name_fts(rowid, {_COLS}) VALUES (new.id, {values["new"]});
            INSERT OR IGNORE INTO name_term(value) {_terms_select("new")};
        END"""
    )
    op.execute("INSERT INTO student_name_fts(student_name_fts) VALUES ('rebuild')")


def _postgres_name_search(joined: bool) -> None:
    schema_row = op.get_bind().exec_driver_sql("SELECT quote_ident(current_schema())").first()
    assert schema_row is not None
    schema = schema_row[0]
    names = "concat_ws(' ', $1, $2, $3, $4, $5)"
    body = f"' ' || {schema}.rd_fold({names}) || ' '"
    if joined:
        body += f" || {schema}.rd_fold(regexp_replace({names}, '[''\u2019-]', '', 'g')) || ' '"
    op.execute(
        f"""CREATE OR REPLACE FUNCTION rd_name_search(text, text, text, text, text) RETURNS text
           LANGUAGE sql IMMUTABLE PARALLEL SAFE
           AS $$ SELECT {body} $$"""
    )
    # The index holds the function's old results: rebuild it.
    op.execute("REINDEX INDEX ix_student_name_search")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _upgrade_sqlite()
    else:
        _postgres_name_search(joined=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _downgrade_sqlite()
    else:
        _postgres_name_search(joined=False)
