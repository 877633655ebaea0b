"""The catalog's course and term lists."""
