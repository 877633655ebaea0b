"""recordsdesk: the desk an academic records office works from."""

__version__ = "0.1.0"
