-- Final-action valid Part A claims (CCLF1 headers) with what the utilization events need
-- (docs/utilization.md): service category and CCN facility type (int_service_category_part_a),
-- inpatient stay type (seed utilization_inpatient_stay_types), FQHC/RHC type of bill (seed
-- utilization_fqhc_rhc_bill_types), an ED revenue centre on any line (0450-0459, 0981, seed
-- revenue_code_categories), the discharge status BENE_PTNT_STUS_CD (of the version's newest
-- delivered copy, int_final_action_part_a) and first_loaded_date: the earliest IDR load date
-- of any version with the claim's natural key (IP v40 5.1.2), i.e. when the service was
-- first known, for run-out cut-offs (IP v40 3.4).
{{ config(**claim_incremental_config('part_a')) }}
with categorized as (
    select * from {{ claim_ref('int_service_category_part_a', rows='all') }}
)

, versions as (
    select
          version_key, natural_key, clm_from_dt, clm_thru_dt, clm_bill_freq_cd
        , trim(bene_ptnt_stus_cd) as bene_ptnt_stus_cd
    from {{ claim_ref('int_final_action_part_a', 'part_a', rows='natural_keys') }}
)

, first_loaded as (
    {{ first_loaded_by_natural_key('versions', 'categorized') }}
)

, revenue_categories as (
    select revenue_code_from, revenue_code_to, revenue_category
    from {{ ref('revenue_code_categories') }}
)

, ed_claims as (
    select distinct lines.cur_clm_uniq_id
    from {{ claim_ref('stg_cclf2', 'part_a') }} as lines
    inner join revenue_categories
        on trim(lines.clm_line_prod_rev_ctr_cd) between revenue_categories.revenue_code_from
            and revenue_categories.revenue_code_to
    where revenue_categories.revenue_category = 'ed'
)

, stay_types as (
    select ccn_key, stay_type from {{ ref('utilization_inpatient_stay_types') }}
)

, fqhc_rhc as (
    select clm_bill_fac_type_cd, clm_bill_clsfctn_cd, facility
    from {{ ref('utilization_fqhc_rhc_bill_types') }}
)

, final_valid as (
    select
          categorized.*
        , versions.natural_key
        , versions.clm_from_dt
        , versions.clm_bill_freq_cd
        , versions.bene_ptnt_stus_cd
    from categorized
    inner join versions
        on categorized.version_key = versions.version_key
    where categorized.is_final_action
        and not categorized.is_invalid
)

, attributed as (
    select
          {{ key_of(['final_valid.claim_family', 'final_valid.cur_clm_uniq_id', 'final_valid.clm_line_num']) }} as claim_key
        , final_valid.version_key
        , final_valid.cur_clm_uniq_id
        , final_valid.mr_mbi
        , final_valid.clm_type_cd
        , final_valid.service_category
        , final_valid.ccn
        , final_valid.ccn_facility_type
        , case
            when final_valid.clm_type_cd in ('60', '61')
                then coalesce(by_type.stay_type, by_unit.stay_type, 'other')
          end as stay_type
        , fqhc_rhc.facility as fqhc_rhc_facility
        , ed_claims.cur_clm_uniq_id is not null as has_ed_revenue
        , final_valid.bene_ptnt_stus_cd
        , final_valid.clm_bill_freq_cd
        , final_valid.clm_from_dt
        , final_valid.service_date as clm_thru_dt
        , final_valid.clm_idr_ld_dt
        , first_loaded.first_loaded_date
        , final_valid.signed_paid_amount as paid_amount
    from final_valid
    left join first_loaded
        on final_valid.natural_key = first_loaded.natural_key
    left join ed_claims
        on final_valid.cur_clm_uniq_id = ed_claims.cur_clm_uniq_id
    left join stay_types as by_type
        on final_valid.ccn_facility_type = by_type.ccn_key
    left join stay_types as by_unit
        on {{ dbt.length('final_valid.ccn') }} = 6
        and {{ dbt.concat(["'unit_'", 'substring(final_valid.ccn, 3, 1)']) }} = by_unit.ccn_key
    left join fqhc_rhc
        on trim(final_valid.clm_bill_fac_type_cd) = fqhc_rhc.clm_bill_fac_type_cd
        and trim(final_valid.clm_bill_clsfctn_cd) = fqhc_rhc.clm_bill_clsfctn_cd
)

select * from attributed
