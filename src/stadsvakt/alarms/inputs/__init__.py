"""Technical and door alarms as JSON, over HTTP (``POST /api/v1/alarms/inputs``) and MQTT.

Driftlarm (technical alarms) come from building systems: water leaks, temperature,
ventilation, power. Door alarms come from access controllers: door forced, door held
open. Both send the same JSON message (:mod:`.schema`); :mod:`.json_input` turns it
into :class:`~stadsvakt.alarms.normalise.AlarmRecord` without I/O, :mod:`.service`
stores what arrives over HTTP, :mod:`stadsvakt.alarms.receivers.mqtt` what arrives
over MQTT.
"""
