"""The office's rules. Plain functions that take a Session and the acting staff member."""
