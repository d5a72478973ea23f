"""The decision benchmark: stadsvakt in-process, pycasbin, cedarpy, HTTP, index memory and
the delay from a deactivation to the first deny."""
