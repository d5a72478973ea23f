"""Data portability: export and import of a municipality's whole access configuration in a
documented JSON format with a published JSON Schema (``export-schema.json``)."""
