"""Directory: people, their assignments (position in a unit, start to end), groups and training."""
