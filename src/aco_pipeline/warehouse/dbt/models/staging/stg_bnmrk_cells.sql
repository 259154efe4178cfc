-- BNMRK cell grain, every delivery: March preliminary, June and October deliveries of a
-- performance year stand beside each other; is_latest marks the latest
-- (cms_reports.deliveries.latest).
-- depends_on: {{ source('lake', 'bnmrk_cells') }}
{{ report_cells('bnmrk_cells', ['aco_id', 'performance_year']) }}
