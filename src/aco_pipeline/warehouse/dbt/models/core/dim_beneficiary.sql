-- One row per current MBI (MR_MBI, IP v40 5.1.1) seen in any CCLF8, ALR, BNEX or
-- final-action claim. Demographics come from the newest CCLF8 (monthly or run-out) that
-- lists the beneficiary; NULL for beneficiaries no CCLF8 lists (in_cclf8 false: opted out
-- before their first delivery, or claims without a CCLF8 row - see mart_data_quality).
with cclf8 as (
    select * from {{ ref('int_beneficiary_deliveries') }}
)

, crosswalk as (
    select previous_mbi, current_mbi, is_resolved from {{ ref('int_mbi_crosswalk') }}
)

, newest_ranked as (
    select
          cclf8.*
        , row_number() over (
            partition by mr_mbi
            order by delivery_date desc, delivery_id desc
          ) as delivery_rank
    from cclf8
)

, newest as (
    select * from newest_ranked where delivery_rank = 1
)

, deliveries_seen as (
    select
          mr_mbi
        , min(delivery_date) as first_delivery_date
        , max(delivery_date) as last_delivery_date
        , count(distinct delivery_id) as cclf8_deliveries
    from cclf8
    group by mr_mbi
)

, previous_mbis as (
    select current_mbi as mr_mbi, count(*) as previous_mbi_count
    from crosswalk
    where is_resolved
    group by current_mbi
)

, alr_mbis as (
    select distinct coalesce(crosswalk.current_mbi, alr.bene_mbi_id) as mr_mbi
    from {{ ref('stg_alr_1_1') }} as alr
    left join crosswalk
        on alr.bene_mbi_id = crosswalk.previous_mbi
)

, bnex_mbis as (
    select distinct coalesce(crosswalk.current_mbi, bnex.bene_mbi_id) as mr_mbi
    from {{ ref('stg_bnex') }} as bnex
    left join crosswalk
        on bnex.bene_mbi_id = crosswalk.previous_mbi
)

, all_mbis as (
    select mr_mbi from newest
    union
    select mr_mbi from alr_mbis
    union
    select mr_mbi from bnex_mbis
    union
    select distinct mr_mbi from {{ ref('fct_claim') }}
)

, beneficiaries as (
    select
          all_mbis.mr_mbi
        , newest.mr_mbi is not null as in_cclf8
        , alr_mbis.mr_mbi is not null as in_alr
        , bnex_mbis.mr_mbi is not null as in_bnex
        , newest.bene_mbi_id as newest_cclf8_mbi
        , newest.bene_dob as birth_date
        , nullif(trim(newest.bene_1st_name), '') as first_name
        , nullif(trim(newest.bene_last_name), '') as last_name
        , newest.bene_death_dt as death_date
        , newest.bene_sex_cd as sex_cd
        , newest.bene_mdcr_stus_cd as medicare_status_cd
        , newest.bene_dual_stus_cd as dual_status_cd
        , newest.bene_orgnl_entlmt_rsn_cd as original_entitlement_reason_cd
        , newest.bene_fips_state_cd as fips_state_cd
        , newest.bene_fips_cnty_cd as fips_county_cd
        , newest.delivery_id as newest_cclf8_delivery_id
        , deliveries_seen.first_delivery_date
        , deliveries_seen.last_delivery_date
        , coalesce(deliveries_seen.cclf8_deliveries, 0) as cclf8_deliveries
        , coalesce(previous_mbis.previous_mbi_count, 0) as previous_mbi_count
    from all_mbis
    left join newest
        on all_mbis.mr_mbi = newest.mr_mbi
    left join deliveries_seen
        on all_mbis.mr_mbi = deliveries_seen.mr_mbi
    left join previous_mbis
        on all_mbis.mr_mbi = previous_mbis.mr_mbi
    left join alr_mbis
        on all_mbis.mr_mbi = alr_mbis.mr_mbi
    left join bnex_mbis
        on all_mbis.mr_mbi = bnex_mbis.mr_mbi
)

select * from beneficiaries
