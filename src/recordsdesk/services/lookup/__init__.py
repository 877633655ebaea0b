"""Finding a student in a keystroke: the search, its index and per-database readers."""
