"""Admission screening: applications, their checklist and the decision."""
