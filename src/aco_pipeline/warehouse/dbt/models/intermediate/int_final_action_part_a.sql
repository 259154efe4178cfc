-- Part A (CCLF1) final action, IP v40 5.1.2 natural key: MR_MBI, CLM_BLG_PRVDR_OSCAR_NUM,
-- CLM_FROM_DT, CLM_THRU_DT; cancellations matched on CLM_PMT_AMT.
{{ config(**claim_incremental_config('part_a')) }}
{{ final_action(
    'int_claim_versions_part_a'
  , claim_family='part_a'
  , amount='clm_pmt_amt'
) }}
