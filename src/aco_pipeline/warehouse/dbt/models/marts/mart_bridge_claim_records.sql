-- The reconciliation bridge's claim records (`aco report bridge`, docs/bridge.md): every
-- distinct Part A header / Part B line / DME line version of mart_scope_claim_records (CMS
-- guide v4 Appendix A phase 1: copies delivered, duplicates, invalid) with what the later
-- steps need: the service and IDR load dates (period and run-out, IP v40 3.4), the Medicare
-- part and signed IME/DSH/UCC amounts of fct_claim_payment (IP v40 5.3.1, 5.4; guide phase 5
-- step 2) and the status of the beneficiary-month of service in fct_member_month.
-- Built in full on every build (not claim-incremental): a new CCLF8, ALR or BNEX changes the
-- month status of claims that no new claim file touches.
{{ config(materialized='table') }}
with records as (
    select
          scope_record_key
        , claim_family
        , clm_type_cd
        , records_delivered
        , duplicate_records
        , is_invalid
        , clm_thru_dt
        , clm_idr_ld_dt
        , signed_paid_amount
    from {{ ref('mart_scope_claim_records') }}
)

, payments as (
    select
          payment_key
        , mr_mbi
        , service_month
        , medicare_part
        , signed_ime_amount
        , signed_dsh_amount
        , signed_ucc_amount
    from {{ ref('fct_claim_payment') }}
    where claim_family in ('part_a', 'part_b', 'dme')
)

, member_months as (
    select
          mr_mbi
        , enrollment_month
        , enrollment_type
        , alive
        , opted_out
        , assigned
        , is_counted
    from {{ ref('fct_member_month') }}
)

-- month_status: why a payment's beneficiary-month is or is not a counted person-month
-- (fct_member_month.is_counted, the one definition), the first reason that applies:
-- not_enrolled (no CCLF8 row for the month, enrollment type 0 = not eligible, or died before
-- the month; CMS guide Appendix B), opted_out (BNEX), unassigned (an ALR covering the month
-- does not list the beneficiary), else counted.
, classified as (
    select
          records.scope_record_key as bridge_record_key
        , records.claim_family
        , payments.medicare_part
        , records.clm_type_cd
        , records.records_delivered
        , records.duplicate_records
        , records.is_invalid
        , records.clm_thru_dt as service_date
        , payments.service_month
        , records.clm_idr_ld_dt
        , records.signed_paid_amount
        , payments.signed_ime_amount
        , payments.signed_dsh_amount
        , payments.signed_ucc_amount
        , member_months.assigned
        , case
            when coalesce(member_months.is_counted, false) then 'counted'
            when member_months.mr_mbi is null
                or member_months.enrollment_type is null
                or member_months.enrollment_type not between 1 and 4
                or not coalesce(member_months.alive, false) then 'not_enrolled'
            when member_months.opted_out then 'opted_out'
            else 'unassigned'
          end as month_status
    from records
    inner join payments
        on records.scope_record_key = payments.payment_key
    left join member_months
        on payments.mr_mbi = member_months.mr_mbi
        and payments.service_month = member_months.enrollment_month
)

select * from classified
