"""`python -m aco_pipeline` runs the `aco` CLI."""

from aco_pipeline.cli import main

main()
