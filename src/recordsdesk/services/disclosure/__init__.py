"""Counter services: what may be told to whom, what left the office, and whether a document
the office issued is genuine.

`consents` keeps the student's release consents, `log` the disclosure log (one row per record
released outside the office), `letters` the enrollment verification letters, and `genuine`
answers a verification code with the document's facts."""

__all__ = [
    "consents",
    "genuine",
    "letters",
    "log",
]
