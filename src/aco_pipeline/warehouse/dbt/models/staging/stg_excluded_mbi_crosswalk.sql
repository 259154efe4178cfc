-- The excluded-beneficiary MBI crosswalk CMS sends (MBI), one row per delivered line; dates
-- as printed (YYYYMMDD text, empty = NULL).
with source as (
    -- depends_on: {{ source('lake', 'mbi_crosswalk') }}
    select * from {{ lake_source('mbi_crosswalk') }}
)

select
      try_cast(PERFORMANCE_YEAR as int) as performance_year
    , REPORT_MONTH as report_month
    , CURRENT_BENE_MBI as current_mbi
    , PREVIOUS_BENE_MBI as previous_mbi
    , PREVIOUS_IDENTIFIER_EFFECTIVE_DATE as previous_effective_date_text
    , PREVIOUS_IDENTIFIER_OBSOLETE_DATE as previous_obsolete_date_text
    , source_file
    , line_number
    , delivery as delivery_id
    , delivery_date
from source
