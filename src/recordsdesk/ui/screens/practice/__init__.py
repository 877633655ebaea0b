"""The practice desk's exercise panel (F12 on a practice desk): the exercises with the trainee's
progress, each one's scenario, answers and its check."""

__all__ = ["panel"]
