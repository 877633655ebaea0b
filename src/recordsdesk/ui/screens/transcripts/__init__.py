"""The transcript preview, its dialogs and how it opens."""
