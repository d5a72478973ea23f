"""stadsvakt: an open, vendor-neutral security platform for Swedish municipalities."""

__version__ = "0.1.0"
