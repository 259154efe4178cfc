-- QEXPU cell grain, every delivery. A later QEXPU of the same quarter supersedes the earlier
-- one: is_superseded (is_latest the one that stands); cms_reports.deliveries.superseded.
-- depends_on: {{ source('lake', 'qexpu_cells') }}
{{ report_cells('qexpu_cells', ['aco_id', 'period'], superseded=true) }}
