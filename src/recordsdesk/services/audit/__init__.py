"""The audit trail: every change to a record as a chained, keyed event; its checks."""
