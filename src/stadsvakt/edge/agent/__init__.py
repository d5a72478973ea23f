"""The edge agent (``stadsvakt edge --config edge.toml``): readers, outputs, door contacts."""
