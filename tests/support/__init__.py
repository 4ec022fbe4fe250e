"""Helpers shared by Stackling's pytest suites."""
