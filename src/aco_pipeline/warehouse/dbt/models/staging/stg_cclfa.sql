-- CCLFA Part A benefit enhancement and demonstration codes, every delivered row with delivery attributes.
with source as (
    -- depends_on: {{ source('lake', 'cclfa') }}
    select * from {{ lake_source('cclfa') }}
)

, renamed as (
    select
          source.*
        , {{ cclf_delivery_columns() }}
    from source
)

select * from renamed
