"""``stadsvakt bench dc09``: DC-09 alarm reception against pysiaalarm, and supervision."""
