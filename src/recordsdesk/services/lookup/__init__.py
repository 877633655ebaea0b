"""Finding a student in a keystroke: the counter's search, its index and per-database SQL.

The rest of the desk uses `search` (one search in a session), `reader` (the lookup screen's
long-lived connection) and `index` (suspending and rebuilding the name index around bulk
loads). `query`, `sqlite`, `postgres` and `vocabulary` are how a search runs."""

__all__ = [
    "index",
    "reader",
    "search",
]
