"""What every part of the office uses: its errors, raw SQL, clean text and private files.

`errors` (messages for the person at the desk), `rawsql` (hot-path SQL on the driver
connection), `clean_text` and `clean_flush` (control characters refused in, escaped out),
`private_files` (0600 files in 0700 folders) and `frozen` (frozen values made quickly)."""

__all__ = [
    "clean_flush",
    "clean_text",
    "errors",
    "frozen",
    "private_files",
    "rawsql",
]
