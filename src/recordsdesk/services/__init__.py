"""The office's rules: plain functions that take a Session and the acting staff member.

One package per part of the office (people, admissions, registration, grades, transcripts,
lookup, access, audit, catalog, interchange, reports, ...); docs/architecture.md maps them.
"""
