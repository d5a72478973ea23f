"""Tests of transmitter supervision."""
