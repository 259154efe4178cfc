"""Metrics tests use the session's built synthetic ACO (tests/conftest.py, `built_aco`)."""
