-- CCLF5 Part B physician lines: one row per distinct line version, MR_MBI attached.
-- Natural key (IP v40 5.1.2): MR_MBI, CLM_CNTL_NUM, plus CLM_LINE_NUM so cancelled lines net
-- against the right lines (5.3.2).
{{ config(**claim_incremental_config('part_b', changes='int_claim_changes_delivered')) }}
{%- set claim_diagnoses = [] %}
{%- for i in range(1, 13) %}{% do claim_diagnoses.append('clm_dgns_' ~ i ~ '_cd') %}{% endfor %}
{{ claim_versions(
    'stg_cclf5'
  , identity=['cur_clm_uniq_id', 'line_num', 'adjustment_type', 'clm_efctv_dt']
  , natural_key=['mr_mbi', 'clm_cntl_num', 'line_num']
  , claim_family='part_b'
  , columns=[
        'clm_type_cd', 'clm_cntl_num', 'clm_from_dt', 'clm_thru_dt', 'clm_line_from_dt'
      , 'clm_line_thru_dt', 'clm_line_hcpcs_cd', 'clm_line_cvrd_pd_amt', 'clm_idr_ld_dt'
      , 'clm_carr_pmt_dnl_cd', 'clm_prcsg_ind_cd', 'clm_rndrg_prvdr_tax_num', 'rndrg_prvdr_npi_num', 'clm_pos_cd'
      , 'clm_prvdr_spclty_cd', 'clm_rndrg_prvdr_npi_num', 'clm_line_alowd_chrg_amt'
      , 'dgns_prcdr_icd_ind', 'clm_line_dgns_cd'
    ] + claim_diagnoses
) }}
