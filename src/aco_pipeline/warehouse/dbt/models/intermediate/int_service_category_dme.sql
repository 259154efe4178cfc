-- Service category of every CCLF6 DME line version (all `dme`, paid under Part B); see
-- macros/service_category.sql.
{{ config(**claim_incremental_config('dme')) }}
{{ part_b_line_service_category('int_final_action_dme', 'int_claim_validity_dme', 'dme') }}
