"""The JSON inputs' counters, in the process's metrics registry (``GET /metrics``)."""

from __future__ import annotations

from stadsvakt.alarms.metrics import REGISTRY, Metrics

JSON_MESSAGES = "stadsvakt_json_messages_total"
JSON_REJECTED = "stadsvakt_json_rejected_total"
MQTT_CONNECTED = "stadsvakt_mqtt_connected"
MQTT_CONNECTS = "stadsvakt_mqtt_connects_total"


def describe_json_metrics(metrics: Metrics) -> None:
    """Declare the JSON inputs' metrics (HTTP and MQTT)."""
    metrics.describe(JSON_MESSAGES, "JSON alarm messages accepted, by transport and kind")
    metrics.describe(JSON_REJECTED, "JSON alarm messages refused, by reason and transport")
    metrics.describe(MQTT_CONNECTED, "1 while the MQTT input is connected to its broker", "gauge")
    metrics.describe(MQTT_CONNECTS, "MQTT connection attempts, by outcome")


describe_json_metrics(REGISTRY)
