"""Stackling's control library."""

__version__ = "0.1.0"
