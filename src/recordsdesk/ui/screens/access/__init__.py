"""Signing in, locking the desk and managing staff accounts."""
