"""The warehouse: a dbt project (package data in `dbt/`) built from the lake by `aco build`."""
