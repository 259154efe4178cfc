-- CCLF6 Part B DME lines: one row per distinct line version, MR_MBI attached.
-- Natural key (IP v40 5.1.2): MR_MBI, CLM_CNTL_NUM, plus CLM_LINE_NUM so cancelled lines net
-- against the right lines (5.3.2).
{{ config(**claim_incremental_config('dme', changes='int_claim_changes_delivered')) }}
{{ claim_versions(
    'stg_cclf6'
  , identity=['cur_clm_uniq_id', 'line_num', 'adjustment_type', 'clm_efctv_dt']
  , natural_key=['mr_mbi', 'clm_cntl_num', 'line_num']
  , claim_family='dme'
  , columns=[
        'clm_type_cd', 'clm_cntl_num', 'clm_from_dt', 'clm_thru_dt', 'clm_line_from_dt'
      , 'clm_line_thru_dt', 'clm_line_hcpcs_cd', 'clm_line_cvrd_pd_amt', 'clm_idr_ld_dt'
      , 'clm_carr_pmt_dnl_cd', 'clm_prcsg_ind_cd', 'payto_prvdr_npi_num', 'ordrg_prvdr_npi_num', 'clm_pos_cd'
    ]
) }}
