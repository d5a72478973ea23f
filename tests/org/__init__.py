"""Tests of stadsvakt.org."""
