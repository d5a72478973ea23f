"""The web UI fixtures (a city, its owner, a logged-in browser) for the people pages' tests."""

from tests.web.conftest import browser, city, owner

__all__ = ["browser", "city", "owner"]
