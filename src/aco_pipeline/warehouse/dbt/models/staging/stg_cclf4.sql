-- CCLF4 Part A diagnosis codes, every delivered row with delivery attributes.
with source as (
    -- depends_on: {{ source('lake', 'cclf4') }}
    select * from {{ lake_source('cclf4') }}
)

, renamed as (
    select
          source.*
        , {{ cclf_delivery_columns() }}
    from source
)

select * from renamed
