"""The audit trail: every change to a record as a chained, keyed event, and its checks.

Services write events with `trail` in the caller's transaction; `detail` shapes an import's
per-student event and puts any event's change in words; `view` serves the viewer,
`verify` rechecks the chain, `anchor` and `key` keep its head and its secret outside the
database."""

__all__ = [
    "anchor",
    "detail",
    "key",
    "trail",
    "verify",
    "view",
]
