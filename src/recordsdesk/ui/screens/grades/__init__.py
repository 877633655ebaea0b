"""Grade entry: the section list and the roster."""
