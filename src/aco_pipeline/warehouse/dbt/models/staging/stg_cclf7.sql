-- CCLF7 Part D events (PDEs), every delivered row with delivery attributes.
with source as (
    -- depends_on: {{ source('lake', 'cclf7') }}
    select * from {{ lake_source('cclf7') }}
)

, renamed as (
    select
          source.*
        , {{ adjustment_type('clm_adjsmt_type_cd') }} as adjustment_type
        , {{ cclf_delivery_columns() }}
    from source
)

select * from renamed
