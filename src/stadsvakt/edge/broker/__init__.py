"""The MQTT side of the edge: the topic scheme and the broker's generated configuration.

``topics`` (the scheme, pure), ``passwords`` (Mosquitto ``$7$`` hashes), ``tls``
(development certificates), ``mosquitto`` (the generated configuration and a broker
process for tests and development), ``embedded`` (the demo's in-process amqtt broker),
``client`` (TLS connections), ``gateway`` (the centre's receiving and publishing) and
``device`` (a device's side). See docs/edge.md.
"""
