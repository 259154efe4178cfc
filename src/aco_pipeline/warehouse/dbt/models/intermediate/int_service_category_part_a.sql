-- Service category and Medicare part of every CCLF1 Part A header version.
-- Claim type 60/61: inpatient_acute at a short-term hospital or CAH (CCN last four digits,
-- seed ccn_facility_type_ranges), else inpatient_other; 20/30 snf; 10 hha; 50 hospice;
-- 40 ed_visit when any revenue centre of the claim (CCLF2, joined on CUR_CLM_UNIQ_ID) is ED
-- (0450-0459, 0981; seed revenue_code_categories), else outpatient. One ED visit per
-- outpatient claim. medicare_part (IP v40 5.4): facility type + service classification
-- (seed institutional_medicare_part), A when the pair is not listed (as fct_claim_payment).
{{ config(**claim_incremental_config('part_a')) }}
with versions as (
    select * from {{ claim_ref('int_final_action_part_a', 'part_a') }}
)

, validity as (
    select version_key, is_invalid from {{ claim_ref('int_claim_validity_part_a', 'part_a') }}
)

, revenue_lines as (
    select distinct
          cur_clm_uniq_id
        , trim(clm_line_prod_rev_ctr_cd) as revenue_code
    from {{ claim_ref('stg_cclf2', 'part_a') }}
)

, revenue_categories as (
    select revenue_code_from, revenue_code_to, revenue_category
    from {{ ref('revenue_code_categories') }}
)

, ed_claims as (
    select distinct revenue_lines.cur_clm_uniq_id
    from revenue_lines
    inner join revenue_categories
        on revenue_lines.revenue_code between revenue_categories.revenue_code_from
            and revenue_categories.revenue_code_to
    where revenue_categories.revenue_category = 'ed'
)

, ccn_ranges as (
    select ccn_suffix_from, ccn_suffix_to, ccn_facility_type, is_acute_inpatient
    from {{ ref('ccn_facility_type_ranges') }}
)

, medicare_parts as (
    select clm_bill_fac_type_cd, clm_bill_clsfctn_cd, medicare_part
    from {{ ref('institutional_medicare_part') }}
)

, with_ccn as (
    select
          versions.*
        , coalesce(
            nullif(trim(versions.prvdr_oscar_num), ''), trim(versions.clm_blg_prvdr_oscar_num)
          ) as ccn
    from versions
)

, attributed as (
    select
          with_ccn.*
        , ccn_ranges.ccn_facility_type
        , coalesce(ccn_ranges.is_acute_inpatient, false) as is_acute_ccn
        , ed_claims.cur_clm_uniq_id is not null as has_ed_revenue
        , coalesce(medicare_parts.medicare_part, 'A') as medicare_part
        , coalesce(validity.is_invalid, false) as is_invalid
    from with_ccn
    left join ccn_ranges
        on {{ dbt.length('with_ccn.ccn') }} = 6
        and substring(with_ccn.ccn, 3, 4) between ccn_ranges.ccn_suffix_from
            and ccn_ranges.ccn_suffix_to
    left join ed_claims
        on with_ccn.cur_clm_uniq_id = ed_claims.cur_clm_uniq_id
    left join medicare_parts
        on trim(with_ccn.clm_bill_fac_type_cd) = medicare_parts.clm_bill_fac_type_cd
        and trim(with_ccn.clm_bill_clsfctn_cd) = medicare_parts.clm_bill_clsfctn_cd
    left join validity
        on with_ccn.version_key = validity.version_key
)

, categorized as (
    select
          'part_a' as claim_family
        , version_key
        , cur_clm_uniq_id
        , cast(null as {{ dbt.type_int() }}) as clm_line_num
        , mr_mbi
        , clm_type_cd
        , case
            when clm_type_cd in ('60', '61') and is_acute_ccn then 'inpatient_acute'
            when clm_type_cd in ('60', '61') then 'inpatient_other'
            when clm_type_cd in ('20', '30') then 'snf'
            when clm_type_cd = '10' then 'hha'
            when clm_type_cd = '50' then 'hospice'
            when clm_type_cd = '40' and has_ed_revenue then 'ed_visit'
            when clm_type_cd = '40' then 'outpatient'
          end as service_category
        , medicare_part
        , ccn
        , ccn_facility_type
        , clm_bill_fac_type_cd
        , clm_bill_clsfctn_cd
        , clm_thru_dt as service_date
        , clm_idr_ld_dt
        , cast(signed_paid_amount as decimal(15, 2)) as signed_paid_amount
        , is_final_action
        , is_invalid
        , case
            when clm_type_cd = '40' and has_ed_revenue and is_final_action and not is_invalid
                then {{ dbt.concat(["'a|'", 'cur_clm_uniq_id']) }}
          end as visit_key
        , clm_thru_dt as visit_date
    from attributed
)

select * from categorized
