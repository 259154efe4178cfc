-- 30-day all-cause readmissions (docs/utilization.md, a simplification of CMS's hospital-wide
-- readmission measure): one row per short-term acute inpatient stay (short-term hospital or
-- CAH, int_utilization_facility_stays). An index stay is one discharged alive, home or to
-- post-acute care: discharge status not 20 (died), 07 (left against medical advice), 02
-- (transferred to another short-term hospital) or 30 (still a patient). It is readmitted
-- when another short-term acute stay of the same beneficiary is admitted on or after the
-- discharge date and within 30 days of it; the first such stay is the readmission. Planned
-- readmissions, condition cohorts and risk adjustment are not applied.
-- enrollment_type / is_counted_month: the fct_member_month row of the discharge month
-- (docs/metrics.md, counted person-month).
with acute as (
    select stay_key, mr_mbi, admission_date, discharge_date, discharge_status, clm_idr_ld_dt
    from {{ ref('int_utilization_facility_stays') }}
    where stay_kind = 'inpatient' and stay_type = 'short_term'
)

, candidates as (
    select
          idx.stay_key
        , nxt.stay_key as readmission_stay_key
        , nxt.admission_date as readmission_date
        , nxt.clm_idr_ld_dt as readmission_idr_ld_dt
        , row_number() over (
            partition by idx.stay_key
            order by nxt.admission_date, nxt.stay_key
          ) as readmission_rank
    from acute as idx
    inner join acute as nxt
        on idx.mr_mbi = nxt.mr_mbi
        and idx.stay_key <> nxt.stay_key
        and nxt.admission_date >= idx.discharge_date
        and nxt.admission_date > idx.admission_date
        and nxt.admission_date <= {{ dbt.dateadd('day', 30, 'idx.discharge_date') }}
)

, first_readmission as (
    select stay_key, readmission_stay_key, readmission_date, readmission_idr_ld_dt
    from candidates
    where readmission_rank = 1
)

-- the discharge month's member-month
, member_months as (
    select mr_mbi, enrollment_month, enrollment_type, is_counted
    from {{ ref('fct_member_month') }}
)

select
      acute.stay_key
    , acute.mr_mbi
    , acute.admission_date
    , acute.discharge_date
    , {{ month_start('acute.discharge_date') }} as discharge_month
    , acute.discharge_status
    , coalesce(acute.discharge_status, '') not in ('20', '07', '02', '30') as is_index_stay
    , acute.clm_idr_ld_dt
    , first_readmission.readmission_stay_key
    , first_readmission.readmission_date
    , first_readmission.readmission_idr_ld_dt
    , {{ dbt.datediff('acute.discharge_date', 'first_readmission.readmission_date', 'day') }}
        as days_to_readmission
    , first_readmission.readmission_stay_key is not null as is_readmitted_30d
    , member_months.enrollment_type
    , coalesce(member_months.is_counted, false) as is_counted_month
from acute
left join first_readmission
    on acute.stay_key = first_readmission.stay_key
left join member_months
    on acute.mr_mbi = member_months.mr_mbi
    and {{ month_start('acute.discharge_date') }} = member_months.enrollment_month
