"""Helpers shared by Stackling's pytest suites."""

# Objects made by tests carry this prefix so a failed run is easy to clean up by hand.
TEST_PREFIX = "stktest-"
