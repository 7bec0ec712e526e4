"""The package version: the one place it is written (the generated ``__init__`` imports it)."""

__version__ = "1.20260818.0"
