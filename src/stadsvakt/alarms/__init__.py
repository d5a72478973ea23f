"""Alarm reception (larmmottagning): transmitters, receivers and the alarms they deliver.

The pure protocol parsers live in :mod:`stadsvakt.alarms.protocols`; receivers and
services build on them.
"""
