"""The registration sheet and its dialogs."""
