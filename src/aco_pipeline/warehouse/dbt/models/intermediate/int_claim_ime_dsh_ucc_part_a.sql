-- CCLF1 IME, DSH and UCC amounts per distinct Part A header version, for the expenditure
-- method of the CMS guide v4 (Appendix A phase 5, step 2: "Remove IME/DSH/UCC payments";
-- the five CCLF1 fields added in January 2019, IP v40 Appendix B CCLF1 fields 33-37).
-- Same identity and copy choice as int_claim_versions_part_a (claim_versions macro), so
-- version_key joins one-to-one to it; the amounts are unsigned, as delivered.
{{ config(**claim_incremental_config('part_a', changes='int_claim_changes_delivered')) }}
{{ claim_versions(
    'stg_cclf1'
  , identity=['cur_clm_uniq_id', 'adjustment_type', 'clm_efctv_dt']
  , claim_family='part_a'
  , columns=[
        'clm_mdcr_ip_pps_cptl_ime_amt', 'clm_oprtnl_ime_amt'
      , 'clm_mdcr_ip_pps_dsprprtnt_amt', 'clm_oprtnl_dsprprtnt_amt'
      , 'clm_hipps_uncompd_care_amt'
    ]
) }}
