-- BEUR beneficiary-level expenditure fractions by enrollment type, one row per delivered line.
with source as (
    -- depends_on: {{ source('lake', 'beur') }}
    select * from {{ lake_source('beur') }}
)

select
      BENE_MBI_ID as bene_mbi_id
    , try_cast(RPT_YR_NUM as int) as report_year
    , try_cast(PRFMNC_YR_NUM as int) as performance_year
    , try_cast(RPT_QTR_NUM as int) as report_quarter
    , try_cast(ESRD_FRAC as decimal(20, 16)) as esrd_fraction
    , try_cast(DSBL_FRAC as decimal(20, 16)) as disabled_fraction
    , try_cast(AGDU_FRAC as decimal(20, 16)) as aged_dual_fraction
    , try_cast(AGND_FRAC as decimal(20, 16)) as aged_non_dual_fraction
    , source_file
    , line_number
    , delivery as delivery_id
    , delivery_date
from source
