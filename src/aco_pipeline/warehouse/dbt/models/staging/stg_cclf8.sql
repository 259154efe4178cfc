-- CCLF8 beneficiary demographics, one row per delivered record (several per delivery are
-- possible: key BENE_MBI_ID, BENE_RNG_BGN_DT, BENE_RNG_END_DT).
with source as (
    -- depends_on: {{ source('lake', 'cclf8') }}
    select * from {{ lake_source('cclf8') }}
)

, renamed as (
    select
          source.*
        , {{ cclf_delivery_columns() }}
    from source
)

select * from renamed
