"""Renderers: transcript and report values in, documents out (no database, no UI)."""
