"""The office's own settings and the reference data every database starts with."""
