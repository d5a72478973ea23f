"""Signed snapshots of an edge's doors' rights, and the deltas that keep them current.

Centre side: :mod:`.build` (snapshots), :mod:`.delta` (deltas). Edge side, pure:
:mod:`.state` (``SnapshotState``, a ``DecisionState``) and :mod:`.verify` (the refusal
rules). Both: :mod:`.codec`. See ``docs/edge-snapshots.md``.
"""
