"""The compiled in-memory decision index: ``state`` (pure data), ``loader`` (from the
database), ``follower`` (one per process, following the ``access_changes`` feed)."""
