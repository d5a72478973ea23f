"""The incidents tests' centre: a municipality running a centre, one it serves, another."""

from tests.centre.incidents.conftest import Centre, actor, centre

__all__ = ["Centre", "actor", "centre"]
