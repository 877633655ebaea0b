"""The audit trail viewer."""
