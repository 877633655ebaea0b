"""Transcripts: building one, GPA, releasing copies and printing them."""
