-- AEXPU (benchmark years 1-3, delivered in a BNMRK bundle) cell grain, every delivery;
-- is_latest marks the latest delivery of each benchmark year for the performance year.
-- depends_on: {{ source('lake', 'aexpu_cells') }}
{{ report_cells('aexpu_cells', ['aco_id', 'performance_year', 'benchmark_year']) }}
