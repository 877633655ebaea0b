"""Counter lookup index: accent-folded name search kept in step with the student table.

Revision ID: 0002
Revises: 0001

SQLite: an FTS5 table over the five name columns (unicode61 tokenizer, diacritics removed, with
1-3 letter prefix indexes so one-letter queries stay fast), external content on `student`, kept
in step by triggers; an expression index on lower(email). PostgreSQL: the pg_trgm and unaccent
extensions, an immutable folding function and a GIN trigram index on the folded names.

Both engines also keep `name_term`, the distinct name values ever written (append-only), from
which the lookup service builds its misspelling dictionary.

Triggers are used rather than service code so that every writer (services, imports, a DBA's
SQL) keeps the index right in the same transaction. Bulk loaders (the demo builder) suspend them
and rebuild the index in one pass through services/lookup/index.py, which names these objects
too (tests/test_demo_lookup_index.py checks the names agree). A later
migration that rebuilds the student table in SQLite batch mode drops its triggers: it must
recreate them (tests/test_lookup_index.py checks they exist at head).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME_COLUMNS = (
    "legal_first_name",
    "legal_middle_name",
    "legal_last_name",
    "preferred_name",
    "former_names",
)
_COLS = ", ".join(NAME_COLUMNS)


def _values(prefix: str) -> str:
    return ", ".join(f"{prefix}.{c}" for c in NAME_COLUMNS)


def _terms_select(prefix: str) -> str:
    """The non-empty name values of one row, as a SELECT usable inside a trigger."""
    parts = " UNION ".join(f"SELECT {prefix}.{c} AS v" for c in NAME_COLUMNS)
    return f"SELECT v FROM ({parts}) AS names WHERE v <> ''"


def _upgrade_sqlite() -> None:
    op.execute("CREATE TABLE name_term (id INTEGER PRIMARY KEY, value TEXT NOT NULL UNIQUE)")
    op.execute(
        f"CREATE VIRTUAL TABLE student_name_fts USING fts5({_COLS}, content='student', "
        "content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='1 2 3')"
    )
    op.execute(
        f"""CREATE TRIGGER student_name_fts_ai AFTER INSERT ON student BEGIN
            INSERT INTO student_name_fts(rowid, {_COLS}) VALUES (new.id, {_values("new")});
            INSERT OR IGNORE INTO name_term(value) {_terms_select("new")};
        END"""
    )
    op.execute(
        f"""CREATE TRIGGER student_name_fts_ad AFTER DELETE ON student BEGIN
            INSERT INTO student_name_fts(student_name_fts, rowid, {_COLS})
                VALUES ('delete', old.id, {_values("old")});
        END"""
    )
    op.execute(
        f"""CREATE TRIGGER student_name_fts_au AFTER UPDATE OF {_COLS} ON student BEGIN
            INSERT INTO student_name_fts(student_name_fts, rowid, {_COLS})
                VALUES ('delete', old.id, {_values("old")});
            INSERT INTO student_name_fts(rowid, {_COLS}) VALUES (new.id, {_values("new")});
            INSERT OR IGNORE INTO name_term(value) {_terms_select("new")};
        END"""
    )
    op.execute("INSERT INTO student_name_fts(student_name_fts) VALUES ('rebuild')")
    for column in NAME_COLUMNS:
        op.execute(
            f"INSERT OR IGNORE INTO name_term(value) "
            f"SELECT DISTINCT {column} FROM student WHERE {column} <> ''"
        )
    op.execute("CREATE INDEX ix_student_email_folded ON student (lower(email))")


def _upgrade_postgresql() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    # unaccent() is only STABLE (its dictionary could change); index expressions need an
    # IMMUTABLE function, so the dictionary is named explicitly in a wrapper we own.
    op.execute(
        """CREATE FUNCTION rd_fold(text) RETURNS text
           LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
           AS $$ SELECT regexp_replace(
                    lower(public.unaccent('public.unaccent'::regdictionary, $1)),
                    '[^[:alnum:]]+', ' ', 'g') $$"""
    )
    # Every name part folded, separated and framed by spaces: "% gar%" is a word prefix.
    # rd_fold is called by its schema-qualified name: pg_restore (and any session) may rebuild
    # the index with an empty search_path, where an unqualified call is not found. A `SET
    # search_path` clause on the function would do it too, but stops the planner inlining it.
    schema = op.get_bind().execute(sa.text("SELECT quote_ident(current_schema())")).scalar_one()
    op.execute(
        f"""CREATE FUNCTION rd_name_search(text, text, text, text, text) RETURNS text
           LANGUAGE sql IMMUTABLE PARALLEL SAFE
           AS $$ SELECT ' ' || {schema}.rd_fold(concat_ws(' ', $1, $2, $3, $4, $5)) || ' ' $$"""
    )
    op.execute(
        f"CREATE INDEX ix_student_name_search ON student "
        f"USING gin (rd_name_search({_COLS}) gin_trgm_ops)"
    )
    op.execute("CREATE INDEX ix_student_email_folded ON student (lower(email) text_pattern_ops)")
    op.execute("CREATE TABLE name_term (id SERIAL PRIMARY KEY, value TEXT NOT NULL UNIQUE)")
    op.execute(
        f"""CREATE FUNCTION rd_name_term_keep() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO name_term(value) {_terms_select("NEW")}
                    ON CONFLICT (value) DO NOTHING;
                RETURN NULL;
            END $$"""
    )
    op.execute(
        f"""CREATE TRIGGER student_name_term AFTER INSERT OR UPDATE OF {_COLS} ON student
            FOR EACH ROW EXECUTE FUNCTION rd_name_term_keep()"""
    )
    for column in NAME_COLUMNS:
        op.execute(
            f"INSERT INTO name_term(value) SELECT DISTINCT {column} FROM student "
            f"WHERE {column} <> '' ON CONFLICT (value) DO NOTHING"
        )


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _upgrade_sqlite()
    else:
        _upgrade_postgresql()


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP INDEX ix_student_email_folded")
        for suffix in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER student_name_fts_{suffix}")
        op.execute("DROP TABLE student_name_fts")
        op.execute("DROP TABLE name_term")
    else:
        op.execute("DROP TRIGGER student_name_term ON student")
        op.execute("DROP FUNCTION rd_name_term_keep()")
        op.execute("DROP TABLE name_term")
        op.execute("DROP INDEX ix_student_email_folded")
        op.execute("DROP INDEX ix_student_name_search")
        op.execute("DROP FUNCTION rd_name_search(text, text, text, text, text)")
        op.execute("DROP FUNCTION rd_fold(text)")
        # The extensions stay: other objects in the database may use them.
