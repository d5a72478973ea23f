"""API schemas of the access model: places, schedules, profiles, grants, credentials, catalogue."""
