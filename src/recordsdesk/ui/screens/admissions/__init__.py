"""The admission screening screen."""
