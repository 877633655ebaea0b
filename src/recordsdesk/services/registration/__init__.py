"""Registering students in sections under the institution's rules."""
