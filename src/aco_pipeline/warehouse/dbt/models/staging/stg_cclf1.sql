-- CCLF1 Part A claim headers, every delivered row (re-sends included) with delivery attributes.
with source as (
    -- depends_on: {{ source('lake', 'cclf1') }}
    select * from {{ lake_source('cclf1') }}
)

, renamed as (
    select
          source.*
        , {{ adjustment_type('clm_adjsmt_type_cd') }} as adjustment_type
        , {{ cclf_delivery_columns() }}
    from source
)

select * from renamed
