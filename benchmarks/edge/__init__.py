"""``stadsvakt bench edge``: snapshots, door decisions, outage upload and revocation at the edge."""
