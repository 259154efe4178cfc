-- Who each ALR table 1-1 lists, per report and current MBI (CMS guide v4 Appendix A phase 2:
-- the assignment list is the report's beneficiary set; "XREF/Q" maps the MBIs it lists to the
-- current MBI of the CCLF crosswalk). One row per ALR report (delivery) and MR_MBI; the
-- tie-out (aco_pipeline.metrics.tieout) picks the report whose period holds its last month.
with alr as (
    select
          bene_mbi_id
        , bene_death_dt
        , report_type
        , period_end_month
        , delivery_id
        , delivery_date
    from {{ ref('stg_alr_1_1') }}
    where bene_mbi_id is not null
)

, crosswalk as (
    select previous_mbi, current_mbi from {{ ref('int_mbi_crosswalk') }}
)

, with_mr_mbi as (
    select
          alr.*
        , coalesce(crosswalk.current_mbi, alr.bene_mbi_id) as mr_mbi
    from alr
    left join crosswalk
        on alr.bene_mbi_id = crosswalk.previous_mbi
)

-- XREF/Q: listed under its current MBI, under a previous one, or both
, per_report as (
    select
          delivery_id as alr_delivery_id
        , delivery_date as alr_delivery_date
        , report_type
        , period_end_month
        , mr_mbi
        , count(distinct bene_mbi_id) as listed_mbis
        , max(case when bene_mbi_id = mr_mbi then 1 else 0 end) = 1 as listed_under_current_mbi
        , max(case when bene_mbi_id <> mr_mbi then 1 else 0 end) = 1 as listed_under_previous_mbi
        , min(bene_death_dt) as alr_death_dt
    from with_mr_mbi
    group by delivery_id, delivery_date, report_type, period_end_month, mr_mbi
)

-- report period: the quarter (quarterly ALR) or the year (annual ALR) ending period_end_month
, with_period as (
    select
          per_report.*
        , {{ month_start(dbt.dateadd('month',
              "case when report_type = 'quarterly' then -2 else -11 end",
              'period_end_month')) }} as period_start_month
    from per_report
)

select
      {{ key_of(['alr_delivery_id', 'mr_mbi']) }} as alr_listing_key
    , alr_delivery_id
    , alr_delivery_date
    , report_type
    , period_start_month
    , period_end_month
    , mr_mbi
    , cast(listed_mbis as {{ dbt.type_int() }}) as listed_mbis
    , listed_under_current_mbi
    , listed_under_previous_mbi
    , alr_death_dt
from with_period
