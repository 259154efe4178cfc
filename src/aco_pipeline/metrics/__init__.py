"""Metrics computed once, in typed Python, for the CLI, the web app and BI tools alike."""
