"""Transmitter supervision: a path-failure alarm for a silent transmitter, a restore on return."""
