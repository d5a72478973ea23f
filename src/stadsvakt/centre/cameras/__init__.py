"""The centre's cameras: snapshots with an activation, kept as evidence, every view logged.

* :mod:`.models` – cameras, snapshots, views;
* :mod:`.images` – is it a picture (PNG, JPEG, GIF, WebP headers), and how large;
* :mod:`.fetch` – fetching snapshots in parallel over HTTP with a strict time limit
  and size cap (a camera that hangs or answers garbage gives a reason, never a wait);
* :mod:`.service` – registry, the cameras near an activation, keeping and showing
  evidence, purging it after the retention setting.
"""
