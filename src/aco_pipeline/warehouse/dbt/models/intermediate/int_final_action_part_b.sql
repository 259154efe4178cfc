-- Part B physician (CCLF5) final action per line, IP v40 5.1.2 natural key MR_MBI,
-- CLM_CNTL_NUM, plus CLM_LINE_NUM so cancelled lines net against the right lines (5.3.2);
-- cancellations matched on CLM_LINE_CVRD_PD_AMT.
{{ config(**claim_incremental_config('part_b')) }}
{{ final_action(
    'int_claim_versions_part_b'
  , claim_family='part_b'
  , amount='clm_line_cvrd_pd_amt'
) }}
