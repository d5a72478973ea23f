"""Doors that keep working: edge devices beside the doors, enrolled with the centre, that
decide with the centre's own ``decide()`` on a signed snapshot of their doors' rights,
kept current by deltas over MQTT, and upload their events when they can.

``devices`` (enrolment, keys, status), ``broker`` (the MQTT topic scheme and the broker's
generated configuration), ``snapshot`` (signed snapshots and deltas), ``agent`` (the
edge agent: OSDP readers, outputs, door contacts, its event buffer), ``ingest`` (the
centre's side of uploaded events)."""
