-- CCLF3 Part A procedure codes, every delivered row with delivery attributes.
with source as (
    -- depends_on: {{ source('lake', 'cclf3') }}
    select * from {{ lake_source('cclf3') }}
)

, renamed as (
    select
          source.*
        , {{ cclf_delivery_columns() }}
    from source
)

select * from renamed
