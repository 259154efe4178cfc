-- NCBP non-claims based payments, one row per delivered line. The columns are not public
-- (docs/cms-reports.md): BENE_MBI_ID, PAYMENT_MONTH (YYYY-MM), PAYMENT_AMT, PROGRAM_NAME.
with source as (
    -- depends_on: {{ source('lake', 'ncbp') }}
    select * from {{ lake_source('ncbp') }}
)

select
      BENE_MBI_ID as bene_mbi_id
    , PAYMENT_MONTH as payment_month
    , try_cast(PAYMENT_AMT as decimal(18, 2)) as payment_amount
    , PROGRAM_NAME as program_name
    , source_file
    , line_number
    , delivery as delivery_id
    , delivery_date
from source
