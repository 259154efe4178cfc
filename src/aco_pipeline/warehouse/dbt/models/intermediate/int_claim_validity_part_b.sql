-- CCLF5 Part B physician line versions with the CMS guide's validity flags (Appendix A
-- phase 1, claim types 71/72); see macros/claim_validity.sql.
{{ config(**claim_incremental_config('part_b')) }}
{{ part_b_line_validity('int_final_action_part_b', 'part_b', ['71', '72']) }}
