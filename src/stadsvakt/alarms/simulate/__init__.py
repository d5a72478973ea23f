"""Simulated devices that send alarms to stadsvakt's receivers, for demos, load and tests."""
