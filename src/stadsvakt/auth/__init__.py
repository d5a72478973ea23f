"""Users of stadsvakt itself: accounts, roles and permissions as data, sessions and API tokens."""
