"""Transcripts: the academic record behind each copy, GPA, releasing copies and printing.

`builder` makes the one frozen value every copy and the record screen read, `gpa` its
arithmetic, `meaning` what each posted mark counts for, `release` the copies and their log,
`printing` the system's printers, `standing` the academic standing decided at posting, `honours`
the Latin honours proposed at conferral, `rank` the class rank (secondary), `received` the
coursework other institutions sent, `transfer` its evaluation into transfer credit, and `totals`
each student's figures per term, stored and kept current for the reports."""

__all__ = [
    "builder",
    "gpa",
    "honours",
    "meaning",
    "printing",
    "rank",
    "received",
    "release",
    "standing",
    "totals",
    "transfer",
]
