"""Edge devices: enrolment with a one-time code, their keys and MQTT credentials, status."""
