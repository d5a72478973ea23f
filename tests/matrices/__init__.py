"""Authorization matrix rows per feature: each module defines ``MATRIX`` like
``tests/auth/test_matrix.py`` (``(method, path) -> (roles allowed, call)``); that test
merges them and fails when an API endpoint has no row anywhere."""
