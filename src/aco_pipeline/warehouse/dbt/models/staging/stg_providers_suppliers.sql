-- The provider/supplier list (PATB zip: Providers and Suppliers List CSV), one row per line.
with source as (
    -- depends_on: {{ source('lake', 'providers_suppliers') }}
    select * from {{ lake_source('providers_suppliers') }}
)

select
      TIN as tin
    , NPI as npi
    , source_file
    , line_number
    , delivery as delivery_id
    , delivery_date
from source
