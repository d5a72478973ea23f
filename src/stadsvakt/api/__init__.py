"""The HTTP API: router assembly, dependencies, request ids and RFC 9457 problems."""
