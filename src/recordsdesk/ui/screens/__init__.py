"""One module per screen of the desk, each with its own `.tcss` beside it."""
