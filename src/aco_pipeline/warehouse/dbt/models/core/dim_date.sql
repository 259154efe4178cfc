-- One row per calendar day from January 1 of the earliest year to December 31 of the latest
-- year in the data (claim from/service dates, enrollment months). Portable day generator:
-- a cross join of five digit sets (0..99,999 days), no engine-specific series function.
with bounds as (
    select
          min(first_date) as first_date
        , max(last_date) as last_date
    from (
        select min(clm_from_dt) as first_date, max(service_date) as last_date
        from {{ ref('fct_claim') }}
        union all
        select min(enrollment_month) as first_date, max(enrollment_month) as last_date
        from {{ ref('fct_member_month') }}
    ) as spans
)

, span as (
    select
          cast({{ dbt.date_trunc('year', 'first_date') }} as date) as start_date
        , cast({{ dbt.dateadd('day', -1, dbt.dateadd('year', 1, dbt.date_trunc('year', 'last_date'))) }} as date)
            as end_date
    from bounds
    where first_date is not null
)

, digits as (
    {%- for d in range(10) %}
    select {{ d }} as digit{% if not loop.last %} union all{% endif %}
    {%- endfor %}
)

, day_numbers as (
    select
          d1.digit
        + d2.digit * 10
        + d3.digit * 100
        + d4.digit * 1000
        + d5.digit * 10000 as day_number
    from digits as d1
    cross join digits as d2
    cross join digits as d3
    cross join digits as d4
    cross join digits as d5
)

, days as (
    select cast({{ dbt.dateadd('day', 'day_numbers.day_number', 'span.start_date') }} as date) as date_day
    from span
    cross join day_numbers
    where day_numbers.day_number <= {{ dbt.datediff('span.start_date', 'span.end_date', 'day') }}
)

select
      date_day
    , {{ month_start('date_day') }} as month_start
    , cast(extract(year from date_day) as {{ dbt.type_int() }}) as year_number
    , cast(extract(quarter from date_day) as {{ dbt.type_int() }}) as quarter_number
    , cast(extract(month from date_day) as {{ dbt.type_int() }}) as month_number
    , cast(extract(day from date_day) as {{ dbt.type_int() }}) as day_of_month
    , {{ month_start(dbt.dateadd('month',
          '-1 * ((cast(extract(month from date_day) as ' ~ dbt.type_int() ~ ') - 1) % 3)',
          'date_day')) }} as quarter_start
from days
