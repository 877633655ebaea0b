"""The counter's lookup: the search screen and its results table."""
