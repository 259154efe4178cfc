-- Period-independent tie-out facts per current MBI (CMS guide v4 Appendix A phases 2-3): when
-- the monthly CCLF8 listed the beneficiary, when the BNEX listed them as opted out of data
-- sharing, when they had claims (Part A header, Part B and DME lines, the guide's files),
-- which ALRs listed them, and the death date. aco_pipeline.metrics.tieout combines these with
-- a report period and run-out.
with beneficiaries as (
    select mr_mbi, death_date, previous_mbi_count
    from {{ ref('dim_beneficiary') }}
)

, months as (
    select mr_mbi, enrollment_month, in_cclf8, opted_out
    from {{ ref('mart_tieout_beneficiary_month') }}
)

, cclf8 as (
    select
          mr_mbi
        , min(enrollment_month) as first_cclf8_month
        , max(enrollment_month) as last_cclf8_month
        , count(*) as cclf8_months
    from months
    where in_cclf8
    group by mr_mbi
)

, opt_out as (
    select
          mr_mbi
        , min(enrollment_month) as first_opt_out_month
        , max(enrollment_month) as last_opt_out_month
        , count(*) as opt_out_months
    from months
    where opted_out
    group by mr_mbi
)

-- the newest BNEX file's month: an opt-out listed there has not ended
, newest_bnex as (
    select max(reference_month) as newest_bnex_month
    from {{ ref('stg_bnex') }}
)

, claims as (
    select
          mr_mbi
        , {{ month_start('min(clm_thru_dt)') }} as first_claim_month
        , {{ month_start('max(clm_thru_dt)') }} as last_claim_month
        , count(*) as claim_versions
    from {{ ref('mart_scope_claim_records') }}
    group by mr_mbi
)

, alr as (
    select
          mr_mbi
        , count(*) as alr_reports_listed
        , min(period_end_month) as first_alr_period_end_month
        , max(period_end_month) as last_alr_period_end_month
    from {{ ref('mart_tieout_alr_listing') }}
    group by mr_mbi
)

select
      beneficiaries.mr_mbi
    , beneficiaries.death_date
    , cclf8.first_cclf8_month
    , cclf8.last_cclf8_month
    , cast(coalesce(cclf8.cclf8_months, 0) as {{ dbt.type_int() }}) as cclf8_months
    , opt_out.first_opt_out_month
    , opt_out.last_opt_out_month
    , cast(coalesce(opt_out.opt_out_months, 0) as {{ dbt.type_int() }}) as opt_out_months
    -- the guide's "full opt-out": no monthly CCLF8 listed the beneficiary before the opt-out
    , case
        when opt_out.mr_mbi is null then false
        when cclf8.first_cclf8_month is null then true
        when cclf8.first_cclf8_month >= opt_out.first_opt_out_month then true
        else false
      end as opted_out_before_any_cclf8
    , case
        when opt_out.mr_mbi is null then false
        when opt_out.last_opt_out_month = newest_bnex.newest_bnex_month then true
        else false
      end as opted_out_in_newest_bnex
    , claims.first_claim_month
    , claims.last_claim_month
    , cast(coalesce(claims.claim_versions, 0) as {{ dbt.type_int() }}) as claim_versions
    , cast(coalesce(alr.alr_reports_listed, 0) as {{ dbt.type_int() }}) as alr_reports_listed
    , alr.first_alr_period_end_month
    , alr.last_alr_period_end_month
    , beneficiaries.previous_mbi_count
from beneficiaries
cross join newest_bnex
left join cclf8
    on beneficiaries.mr_mbi = cclf8.mr_mbi
left join opt_out
    on beneficiaries.mr_mbi = opt_out.mr_mbi
left join claims
    on beneficiaries.mr_mbi = claims.mr_mbi
left join alr
    on beneficiaries.mr_mbi = alr.mr_mbi
