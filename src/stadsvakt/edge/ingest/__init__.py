"""The centre's side of events uploaded by edge devices: each stored exactly once."""
