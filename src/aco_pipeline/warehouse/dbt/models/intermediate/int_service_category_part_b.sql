-- Service category of every CCLF5 Part B physician line version (ED visit, office visit,
-- other Part B); see macros/service_category.sql.
{{ config(**claim_incremental_config('part_b')) }}
{{ part_b_line_service_category('int_final_action_part_b', 'int_claim_validity_part_b', 'part_b') }}
