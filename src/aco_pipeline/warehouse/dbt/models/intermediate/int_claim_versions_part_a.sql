-- CCLF1 Part A claim headers: one row per distinct version, MR_MBI and the IP v40 5.1.2
-- natural key attached (MR_MBI, CLM_BLG_PRVDR_OSCAR_NUM, CLM_FROM_DT, CLM_THRU_DT).
{{ config(**claim_incremental_config('part_a', changes='int_claim_changes_delivered')) }}
{{ claim_versions(
    'stg_cclf1'
  , identity=['cur_clm_uniq_id', 'adjustment_type', 'clm_efctv_dt']
  , natural_key=['mr_mbi', 'clm_blg_prvdr_oscar_num', 'clm_from_dt', 'clm_thru_dt']
  , claim_family='part_a'
  , columns=[
        'clm_type_cd', 'clm_blg_prvdr_oscar_num', 'prvdr_oscar_num', 'clm_from_dt'
      , 'clm_thru_dt', 'clm_pmt_amt', 'clm_idr_ld_dt', 'clm_mdcr_npmt_rsn_cd'
      , 'clm_bill_fac_type_cd', 'clm_bill_clsfctn_cd', 'clm_bill_freq_cd', 'clm_cntl_num'
      , 'clm_org_cntl_num', 'dgns_drg_cd', 'prncpl_dgns_cd', 'clm_blg_prvdr_npi_num'
      , 'bene_ptnt_stus_cd', 'admtg_dgns_cd', 'dgns_prcdr_icd_ind'
    ]
) }}
