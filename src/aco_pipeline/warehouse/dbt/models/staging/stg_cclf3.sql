-- CCLF3 Part A procedure codes, every delivered row with delivery attributes.
with source as (
    select * from {{ source('lake', 'cclf3') }}
)

, renamed as (
    select
          source.*
        , {{ cclf_delivery_columns() }}
    from source
)

select * from renamed
