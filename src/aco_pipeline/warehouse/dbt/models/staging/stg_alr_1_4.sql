-- ALR table 1-4 (assigned beneficiaries by ACO participant TIN and NPI): per beneficiary,
-- TIN and individual NPI, NPI_USED (whether the NPI was used for assignment) and PCS_COUNT
-- (primary care services at the TIN/NPI) (cclf-notes.md, "Assignment List Report (ALR)").
-- The report period and the report id come from the delivery name (macro
-- alr_report_columns).
with source as (
    -- depends_on: {{ source('lake', 'alr_1_4') }}
    select * from {{ lake_source('alr_1_4') }}
)

, renamed as (
    select
          bene_mbi_id
        , tin
        , npi
        , npi_used
        , pcs_count
        , {{ alr_report_columns() }}
        , source_file
        , line_number
        , delivery as delivery_id
        , delivery_date
    from source
)

select * from renamed
