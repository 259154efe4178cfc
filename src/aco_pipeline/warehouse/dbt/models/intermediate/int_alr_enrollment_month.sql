-- The ALR's own monthly enrollment flags (table 1-1 EnrollFlag1..12, CMS guide Appendix B
-- Table 13), one row per beneficiary and month. EnrollFlag k is month k of the 12 months
-- ending with the report period's last month. Overlapping reports: the newest ALR wins.
with alr as (
    select * from {{ ref('stg_alr_1_1') }}
)

, crosswalk as (
    select previous_mbi, current_mbi from {{ ref('int_mbi_crosswalk') }}
)

, months as (
    {%- for k in range(1, 13) %}
    select
          alr.bene_mbi_id
        , {{ month_start(dbt.dateadd('month', k - 12, 'alr.period_end_month')) }} as enrollment_month
        , alr.enrollflag{{ k }} as alr_enrollment_type
        , alr.delivery_id
        , alr.delivery_date
    from alr
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

, with_mr_mbi as (
    select
          months.*
        , coalesce(crosswalk.current_mbi, months.bene_mbi_id) as mr_mbi
    from months
    left join crosswalk
        on months.bene_mbi_id = crosswalk.previous_mbi
)

, newest_report as (
    select
          with_mr_mbi.*
        , row_number() over (
            partition by mr_mbi, enrollment_month
            order by delivery_date desc, delivery_id desc
          ) as report_rank
    from with_mr_mbi
    where alr_enrollment_type is not null
)

select
      mr_mbi
    , enrollment_month
    , alr_enrollment_type
    , delivery_id as alr_delivery_id
from newest_report
where report_rank = 1
