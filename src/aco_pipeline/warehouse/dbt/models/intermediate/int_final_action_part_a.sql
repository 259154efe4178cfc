-- Part A (CCLF1) final action, IP v40 5.1.2 natural key: MR_MBI, CLM_BLG_PRVDR_OSCAR_NUM,
-- CLM_FROM_DT, CLM_THRU_DT; cancellations matched on CLM_PMT_AMT.
{{ final_action(
    'int_claim_versions_part_a'
  , natural_key=['mr_mbi', 'clm_blg_prvdr_oscar_num', 'clm_from_dt', 'clm_thru_dt']
  , amount='clm_pmt_amt'
) }}
