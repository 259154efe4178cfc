-- The participant list (PATB zip: Participants List CSV), one row per delivered line.
with source as (
    -- depends_on: {{ source('lake', 'participants') }}
    select * from {{ lake_source('participants') }}
)

select
      TIN as tin
    , PARTICIPANT_LEGAL_BUSINESS_NAME as legal_business_name
    , source_file
    , line_number
    , delivery as delivery_id
    , delivery_date
from source
