"""Benchmarks, run from the CLI as ``stadsvakt bench ...``; each prints JSON."""
