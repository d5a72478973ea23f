"""Tests of stadsvakt.api."""
