"""Access control: zones, doors, schedules, holidays, profiles, grants, credentials, decisions."""

from stadsvakt.access import reactions

# Loading access control makes it follow the directory's events (stadsvakt.events).
reactions.install()
