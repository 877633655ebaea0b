"""The student record: the person, their profile and record, intake, notes, holds, departure.

`student` changes a record (every change audited), `profile` is the one read value of a
record's fields, `record` what the record screen shows, and `validation` the rules every way in
shares. `intake`, `notes`, `holds`, `departure` and `directory` (opt-out) are the counter's
other work on a record."""

__all__ = [
    "departure",
    "directory",
    "holds",
    "intake",
    "notes",
    "record",
    "student",
    "validation",
]
