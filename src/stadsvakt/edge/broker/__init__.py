"""The MQTT side of the edge: the topic scheme and the broker's generated configuration."""
