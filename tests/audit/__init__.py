"""Tests of stadsvakt.audit."""
