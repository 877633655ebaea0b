"""The Textual desk. The only package that imports Textual; it reaches data through services."""
