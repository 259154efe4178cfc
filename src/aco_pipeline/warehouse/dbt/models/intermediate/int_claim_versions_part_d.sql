-- CCLF7 Part D events: one row per distinct PDE version, MR_MBI attached, with the IP v40
-- 5.1.2 natural key of a PDE plus MR_MBI (service date, service provider id and qualifier,
-- dispensing status, prescription service reference number, fill number).
{{ config(**claim_incremental_config('part_d', changes='int_claim_changes_delivered')) }}
{{ claim_versions(
    'stg_cclf7'
  , identity=['cur_clm_uniq_id', 'adjustment_type', 'clm_efctv_dt']
  , natural_key=['mr_mbi', 'clm_line_from_dt', 'prvdr_srvc_id_qlfyr_cd'
      , 'clm_srvc_prvdr_gnrc_id_num', 'clm_dspnsng_stus_cd'
      , 'clm_line_rx_srvc_rfrnc_num', 'clm_line_rx_fill_num']
  , claim_family='part_d'
  , columns=[
        'clm_type_cd', 'clm_line_from_dt', 'prvdr_srvc_id_qlfyr_cd'
      , 'clm_srvc_prvdr_gnrc_id_num', 'clm_dspnsng_stus_cd', 'clm_line_rx_srvc_rfrnc_num'
      , 'clm_line_rx_fill_num', 'clm_line_ndc_cd', 'clm_line_bene_pmt_amt', 'clm_idr_ld_dt'
    ]
) }}
