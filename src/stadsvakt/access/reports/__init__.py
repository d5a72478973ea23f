"""Access reports: orphan credentials, who can open a door, what a person can open."""
