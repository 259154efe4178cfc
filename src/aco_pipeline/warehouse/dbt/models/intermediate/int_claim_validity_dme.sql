-- CCLF6 DME line versions with the CMS guide's validity flags (Appendix A phase 1, claim
-- types 81/82); see macros/claim_validity.sql.
{{ config(**claim_incremental_config('dme')) }}
{{ part_b_line_validity('int_final_action_dme', 'dme', ['81', '82']) }}
