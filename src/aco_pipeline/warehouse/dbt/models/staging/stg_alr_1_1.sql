-- ALR table 1-1 (assigned beneficiaries). The report period comes from the file name:
-- P.A####.ACO.QALR.2024Q4.D...  (quarterly) or P.A####.ACO.AALR.Y2024.D... (annual).
-- EnrollFlag1..12 are the 12 months ending with the period's last month.
with source as (
    -- depends_on: {{ source('lake', 'alr_1_1') }}
    select * from {{ lake_source('alr_1_1') }}
)

, period as (
    select
          source.*
        , {{ dbt.split_part('delivery', "'.'", 4) }} as report_kind
        , {{ dbt.split_part('delivery', "'.'", 5) }} as period_text
    from source
)

, dated as (
    select
          period.*
        , case when report_kind = 'QALR' then substring(period_text, 1, 4)
               else substring(period_text, 2, 4) end as report_year
        , case when report_kind = 'QALR'
               then cast(substring(period_text, 6, 1) as {{ dbt.type_int() }})
               else 4 end as report_quarter
    from period
)

, renamed as (
    select
          bene_mbi_id
        , bene_death_dt
        {%- for i in range(1, 13) %}
        , enrollflag{{ i }}
        {%- endfor %}
        , case when report_kind = 'QALR' then 'quarterly' else 'annual' end as report_type
        , {{ month_start(dbt.dateadd('month', 'report_quarter * 3 - 1',
              "cast(" ~ dbt.concat(['report_year', "'-01-01'"]) ~ " as date)")) }} as period_end_month
        , source_file
        , line_number
        , delivery as delivery_id
        , delivery_date
    from dated
)

select * from renamed
