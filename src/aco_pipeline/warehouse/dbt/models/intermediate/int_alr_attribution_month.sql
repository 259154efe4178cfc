-- ALR attribution per current MBI and month (docs/providers.md): every month of an ALR
-- report's period (its quarter; the year for an annual ALR) that the report's table 1-2
-- lists the beneficiary for takes that report's TIN and NPI (int_alr_attribution). Several
-- reports covering a month and listing the beneficiary: the newest (delivery date, then
-- report id) wins, as in int_alr_enrollment_month.
with reports as (
    select * from {{ ref('int_alr_attribution') }}
)

, month_offsets as (
    {%- for k in range(12) %}
    select {{ k }} as month_offset
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

, covered_months as (
    select
          reports.*
        , {{ month_start(dbt.dateadd('month', 'month_offsets.month_offset',
                                     'reports.period_start_month')) }} as attribution_month
    from reports
    cross join month_offsets
)

, in_period as (
    select *
    from covered_months
    where attribution_month <= period_end_month
)

, newest_report as (
    select
          in_period.*
        , row_number() over (
            partition by mr_mbi, attribution_month
            order by alr_delivery_date desc, alr_report_id desc
          ) as report_rank
    from in_period
)

select
      {{ key_of(['mr_mbi', 'attribution_month']) }} as attribution_key
    , mr_mbi
    , attribution_month
    , alr_report_id
    , report_type
    , period_start_month
    , period_end_month
    , alr_delivery_date
    , alr_tin
    , tin_em_lines
    , tins_listed
    , is_tin_tie
    , alr_npi
    , npi_pcs_count
    , is_npi_used
    , is_npi_tie
from newest_report
where report_rank = 1
