"""The imports screen."""
