"""Alarm receivers: network servers that turn protocol messages into stored alarms.

Each receiver is adapter glue around a pure protocol core
(:mod:`stadsvakt.alarms.protocols`) and the alarm store
(:mod:`stadsvakt.alarms.store`).
"""
