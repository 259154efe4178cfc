-- CCLF1 Part A header versions with the CMS guide's validity flags (Appendix A phase 1):
-- claim types 20/30 (SNF), 50 (hospice), 60 (inpatient; 61 full-encounter treated alike) are
-- valid when CLM_MDCR_NPMT_RSN_CD is blank; 10 (HHA) and 40 (outpatient) also need a
-- facility type CLM_BILL_FAC_TYPE_CD other than RNHCI '4'/'5' (seed
-- rnhci_facility_type_codes). Part A claims are denied as a whole (IP v40 3.2).
-- records_delivered / duplicate_records: lake rows of the version and its re-sent copies
-- (guide Table 1 row 2: same CUR_CLM_UNIQ_ID).
{{ config(**claim_incremental_config('part_a')) }}
with versions as (
    select * from {{ claim_ref('int_final_action_part_a', 'part_a') }}
)

, rnhci as (
    select clm_bill_fac_type_cd from {{ ref('rnhci_facility_type_codes') }}
)

, coded as (
    select
          versions.*
        , coalesce(trim(versions.clm_mdcr_npmt_rsn_cd), '') <> '' as has_nonpayment_reason
        , rnhci.clm_bill_fac_type_cd is not null as is_rnhci_facility
    from versions
    left join rnhci
        on trim(versions.clm_bill_fac_type_cd) = rnhci.clm_bill_fac_type_cd
)

, reasoned as (
    select
          coded.*
        , case
            when clm_type_cd not in ('10', '20', '30', '40', '50', '60', '61')
                then 'claim_type_not_listed'
            when has_nonpayment_reason then 'nonpayment_reason_code'
            when clm_type_cd in ('10', '40') and is_rnhci_facility then 'rnhci_facility_type'
          end as invalid_reason
    from coded
)

, flagged as (
    select
          'part_a' as claim_family
        , version_key
        , cur_clm_uniq_id
        , cast(null as {{ dbt.type_int() }}) as clm_line_num
        , mr_mbi
        , clm_type_cd
        , adjustment_type
        , clm_thru_dt
        , clm_efctv_dt
        , clm_idr_ld_dt
        , cast(signed_paid_amount as decimal(15, 2)) as signed_paid_amount
        , cast(copies_delivered as {{ dbt.type_int() }}) as records_delivered
        , cast(copies_delivered - 1 as {{ dbt.type_int() }}) as duplicate_records
        , invalid_reason is not null as is_invalid
        , invalid_reason
        , case invalid_reason
            when 'nonpayment_reason_code' then clm_mdcr_npmt_rsn_cd
            when 'rnhci_facility_type' then clm_bill_fac_type_cd
            when 'claim_type_not_listed' then clm_type_cd
          end as invalid_code
        , is_final_action
    from reasoned
)

select * from flagged
