"""Signed snapshots of an edge's doors' rights, and the deltas that keep them current."""
