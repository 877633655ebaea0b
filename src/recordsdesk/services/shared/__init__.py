"""What every part of the office uses: errors, raw SQL helpers, clean text, files."""
