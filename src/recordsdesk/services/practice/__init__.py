"""The practice desk behind `recordsdesk practice`: a trainee's own demo institution, exercises
read from files (`data/practice/`), each checked from the database and the audit trail, and the
trainee's results for the supervisor."""

__all__ = ["condition", "desk", "exercise", "progress"]
