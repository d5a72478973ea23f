"""Tests of the JSON alarm inputs."""
