-- One row per beneficiary (MR_MBI) and month that a monthly CCLF8 or an ALR covers:
-- the CCLF-derived enrollment type (CMS guide Appendix B) beside the ALR's EnrollFlag, and
-- the month's flags alive, opted_out and assigned (docs/synthetic-data.md, ground truth
-- beneficiary_month).
with cclf as (
    select mr_mbi, enrollment_month, enrollment_type, died_before_month
    from {{ ref('int_enrollment_month') }}
)

, alr as (
    select mr_mbi, enrollment_month, alr_enrollment_type
    from {{ ref('int_alr_enrollment_month') }}
)

, joined as (
    select
          coalesce(cclf.mr_mbi, alr.mr_mbi) as mr_mbi
        , coalesce(cclf.enrollment_month, alr.enrollment_month) as enrollment_month
        , cclf.enrollment_type
        , alr.alr_enrollment_type
        , cclf.died_before_month
        , cclf.mr_mbi is not null as in_cclf8
        , alr.mr_mbi is not null as in_alr
    from cclf
    full outer join alr
        on cclf.mr_mbi = alr.mr_mbi
        and cclf.enrollment_month = alr.enrollment_month
)

, crosswalk as (
    select previous_mbi, current_mbi from {{ ref('int_mbi_crosswalk') }}
)

-- death date from the newest CCLF8 (monthly or run-out) that lists the beneficiary
, newest_cclf8 as (
    select
          mr_mbi
        , bene_death_dt
        , row_number() over (
            partition by mr_mbi
            order by delivery_date desc, delivery_id desc
          ) as delivery_rank
    from {{ ref('int_beneficiary_deliveries') }}
)

, death as (
    select mr_mbi, bene_death_dt
    from newest_cclf8
    where delivery_rank = 1
)

-- BNEX: a monthly file lists everyone opted out by then; its month is the reference month
-- of the delivery it accompanies (the month before its creation date)
, bnex_months as (
    select distinct
          coalesce(crosswalk.current_mbi, bnex.bene_mbi_id) as mr_mbi
        , bnex.reference_month as enrollment_month
    from {{ ref('stg_bnex') }} as bnex
    left join crosswalk
        on bnex.bene_mbi_id = crosswalk.previous_mbi
)

-- assigned: listed in the ALR table 1-1 whose report period (quarter, or year for an annual
-- ALR) contains the month; NULL when no ALR's period contains it
, alr_reports as (
    select distinct
          delivery_id
        , period_end_month
        , {{ month_start(dbt.dateadd('month',
              "case when report_type = 'quarterly' then -2 else -11 end",
              'period_end_month')) }} as period_start_month
    from {{ ref('stg_alr_1_1') }}
)

, alr_listed as (
    select distinct
          coalesce(crosswalk.current_mbi, alr.bene_mbi_id) as mr_mbi
        , alr.delivery_id
    from {{ ref('stg_alr_1_1') }} as alr
    left join crosswalk
        on alr.bene_mbi_id = crosswalk.previous_mbi
)

, month_reports as (
    select
          joined.mr_mbi
        , joined.enrollment_month
        , alr_reports.delivery_id as alr_delivery_id
    from joined
    inner join alr_reports
        on joined.enrollment_month >= alr_reports.period_start_month
        and joined.enrollment_month <= alr_reports.period_end_month
)

, assignment as (
    select
          month_reports.mr_mbi
        , month_reports.enrollment_month
        , max(case when alr_listed.mr_mbi is not null then 1 else 0 end) as listed
    from month_reports
    left join alr_listed
        on month_reports.mr_mbi = alr_listed.mr_mbi
        and month_reports.alr_delivery_id = alr_listed.delivery_id
    group by month_reports.mr_mbi, month_reports.enrollment_month
)

, flagged as (
    select
          joined.mr_mbi
        , joined.enrollment_month
        , joined.enrollment_type
        , joined.alr_enrollment_type
        , joined.died_before_month
        , joined.in_cclf8
        , joined.in_alr
        , case
            when death.bene_death_dt is not null
                and death.bene_death_dt < joined.enrollment_month then false
            else true
          end as alive
        , bnex_months.mr_mbi is not null as opted_out
        , case
            when assignment.listed = 1 then true
            when assignment.listed = 0 then false
          end as assigned
    from joined
    left join death
        on joined.mr_mbi = death.mr_mbi
    left join bnex_months
        on joined.mr_mbi = bnex_months.mr_mbi
        and joined.enrollment_month = bnex_months.enrollment_month
    left join assignment
        on joined.mr_mbi = assignment.mr_mbi
        and joined.enrollment_month = assignment.enrollment_month
)

-- the enrollment type's label beside its code (seed enrollment_type_codes)
, enrollment_types as (
    select enrollment_type, description as enrollment_type_label
    from {{ ref('enrollment_type_codes') }}
)

-- is_counted: the one definition of a counted person-month, the denominator of every
-- per-capita and per-1,000 metric (docs/metrics.md): an enrollment type 1-4 (CMS guide
-- Appendix B; 0 = not eligible or dead), alive, not opted out of data sharing (BNEX: the
-- ACO receives none of their claims, so counting the month would understate spend), and not
-- known to be unassigned (assigned true, or NULL when no ALR covers the month).
select
      {{ key_of(['mr_mbi', 'enrollment_month']) }} as member_month_key
    , flagged.*
    , coalesce(
        flagged.enrollment_type between 1 and 4
        and flagged.alive
        and not flagged.opted_out
        and (flagged.assigned is null or flagged.assigned)
      , false) as is_counted
    , enrollment_types.enrollment_type_label
from flagged
left join enrollment_types
    on flagged.enrollment_type = enrollment_types.enrollment_type
