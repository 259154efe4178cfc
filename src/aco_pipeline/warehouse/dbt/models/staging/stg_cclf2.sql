-- CCLF2 Part A revenue centre lines, every delivered row with delivery attributes.
with source as (
    -- depends_on: {{ source('lake', 'cclf2') }}
    select * from {{ lake_source('cclf2') }}
)

, renamed as (
    select
          source.*
        , cast(clm_line_num as {{ dbt.type_int() }}) as line_num
        , {{ cclf_delivery_columns() }}
    from source
)

select * from renamed
