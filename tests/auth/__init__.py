"""Tests of stadsvakt.auth."""
