-- Part B DME (CCLF6) final action per line, IP v40 5.1.2 natural key MR_MBI, CLM_CNTL_NUM,
-- plus CLM_LINE_NUM; cancellations matched on CLM_LINE_CVRD_PD_AMT.
{{ config(**claim_incremental_config('dme')) }}
{{ final_action(
    'int_claim_versions_dme'
  , claim_family='dme'
  , amount='clm_line_cvrd_pd_amt'
) }}
