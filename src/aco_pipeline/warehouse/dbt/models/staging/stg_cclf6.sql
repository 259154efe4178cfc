-- CCLF6 Part B DME line items, every delivered row with delivery attributes.
with source as (
    -- depends_on: {{ source('lake', 'cclf6') }}
    select * from {{ lake_source('cclf6') }}
)

, renamed as (
    select
          source.*
        , cast(clm_line_num as {{ dbt.type_int() }}) as line_num
        , {{ adjustment_type('clm_adjsmt_type_cd') }} as adjustment_type
        , {{ cclf_delivery_columns() }}
    from source
)

select * from renamed
