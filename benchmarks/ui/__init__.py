"""``stadsvakt bench ui``: the admin UI's lists and pickers in the full-scale city."""
