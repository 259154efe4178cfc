-- CCLFB Part B benefit enhancement and demonstration codes, every delivered row with delivery attributes.
with source as (
    -- depends_on: {{ source('lake', 'cclfb') }}
    select * from {{ lake_source('cclfb') }}
)

, renamed as (
    select
          source.*
        , {{ cclf_delivery_columns() }}
    from source
)

select * from renamed
