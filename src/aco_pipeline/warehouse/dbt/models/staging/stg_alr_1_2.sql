-- ALR table 1-2 (assigned beneficiaries by ACO participant TIN): per beneficiary and TIN,
-- B_EM_LINE_CNT_T, the primary care service lines the beneficiary received from the TIN in
-- the assignment window (cclf-notes.md, "Assignment List Report (ALR)"). The report period
-- and the report id come from the delivery name (macro alr_report_columns).
with source as (
    -- depends_on: {{ source('lake', 'alr_1_2') }}
    select * from {{ lake_source('alr_1_2') }}
)

, renamed as (
    select
          bene_mbi_id
        , tin
        , master_id
        , b_em_line_cnt_t
        , {{ alr_report_columns() }}
        , source_file
        , line_number
        , delivery as delivery_id
        , delivery_date
    from source
)

select * from renamed
