-- BNEX beneficiary data-sharing exclusions, one row per beneficiary per monthly file.
with source as (
    -- depends_on: {{ source('lake', 'bnex') }}
    select * from {{ lake_source('bnex') }}
)

, renamed as (
    select
          bene_mbi_id
        , exclusion_reason
        , source_file
        , line_number
        , delivery as delivery_id
        , delivery_date
        , {{ month_start(dbt.dateadd('month', -1, 'delivery_date')) }} as reference_month
    from source
)

select * from renamed
