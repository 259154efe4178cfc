-- ALR table 1-1 (assigned beneficiaries). The report period comes from the delivery name
-- (macro alr_report_columns: P.A####.ACO.QALR.2024Q4.D... quarterly, P.A####.ACO.AALR.Y2024.D...
-- annual). EnrollFlag1..12 are the 12 months ending with the period's last month.
with source as (
    -- depends_on: {{ source('lake', 'alr_1_1') }}
    select * from {{ lake_source('alr_1_1') }}
)

, renamed as (
    select
          bene_mbi_id
        , bene_death_dt
        {%- for i in range(1, 13) %}
        , enrollflag{{ i }}
        {%- endfor %}
        , {{ alr_report_columns() }}
        , source_file
        , line_number
        , delivery as delivery_id
        , delivery_date
    from source
)

select * from renamed
