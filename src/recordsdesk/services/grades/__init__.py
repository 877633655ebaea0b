"""Marks: scales, the section roster, entering and posting grades, marks imports."""
