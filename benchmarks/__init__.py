"""Benchmarks of stadsvakt (``stadsvakt bench …``); not part of the test suite."""
