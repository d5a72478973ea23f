"""Access control: zones, doors, schedules, holidays, profiles, grants, credentials, decisions."""
