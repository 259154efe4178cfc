-- CCLF9 MBI cross-reference: previous MBI -> current MBI as of each delivery.
with source as (
    -- depends_on: {{ source('lake', 'cclf9') }}
    select * from {{ lake_source('cclf9') }}
)

, renamed as (
    select
          crnt_num as current_mbi
        , prvs_num as previous_mbi
        , prvs_id_efctv_dt as previous_effective_dt
        , prvs_id_obslt_dt as previous_obsolete_dt
        , hicn_mbi_xref_ind
        , source_file
        , line_number
        , delivery_date
        , {{ cclf_delivery_columns() }}
    from source
)

select * from renamed
