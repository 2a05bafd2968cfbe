"""Shared factories and helpers of the tests: test modules import these, never each other."""
