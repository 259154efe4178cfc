-- CCLF4 Part A diagnosis codes, every delivered row with delivery attributes.
with source as (
    select * from {{ source('lake', 'cclf4') }}
)

, renamed as (
    select
          source.*
        , {{ cclf_delivery_columns() }}
    from source
)

select * from renamed
