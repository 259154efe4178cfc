-- The payments of CMS expenditure (IP v40 5.3.1 step 5; CMS guide v4 Appendix A phase 5):
-- every signed Part A header version and Part B / DME line version of fct_claim_payment (Part D
-- is not Medicare expenditure), with its Medicare part (IP v40 5.4), its CCLF1 IME/DSH/UCC
-- amounts (phase 5 step 2), its service category, and the enrollment type and counted flag of
-- its beneficiary's service month (guide Table 10 notes: "a given beneficiary's expenditures
-- may be divided among the four Medicare enrollment types"). One row per payment, so that the
-- expenditure report, the forecast and the tie-out can apply any period and run-out cut-off
-- (IDR load date, IP v40 3.4) and sum within this one table.
with payments as (
    select
          payment_key
        , claim_family
        , medicare_part
        , mr_mbi
        , clm_type_cd
        , service_date
        , service_month
        , clm_idr_ld_dt
        , signed_paid_amount
        , signed_ime_amount
        , signed_dsh_amount
        , signed_ucc_amount
    from {{ ref('fct_claim_payment') }}
    where claim_family in ('part_a', 'part_b', 'dme')
)

, categories as (
    select payment_key, service_category
    from {{ ref('mart_service_category_payment') }}
    where claim_family in ('part_a', 'part_b', 'dme')
)

-- the counted person-month of fct_member_month (one definition, docs/metrics.md)
, member_months as (
    select mr_mbi, enrollment_month, enrollment_type, is_counted
    from {{ ref('fct_member_month') }}
)

select
      payments.payment_key
    , payments.mr_mbi
    , payments.claim_family
    , payments.medicare_part
    , payments.clm_type_cd
    , coalesce(categories.service_category, 'uncategorised') as service_category
    , payments.service_date
    , payments.service_month
    , payments.clm_idr_ld_dt
    , cast(payments.signed_paid_amount as decimal(18, 2)) as signed_paid_amount
    , cast(payments.signed_ime_amount as decimal(18, 2)) as signed_ime_amount
    , cast(payments.signed_dsh_amount as decimal(18, 2)) as signed_dsh_amount
    , cast(payments.signed_ucc_amount as decimal(18, 2)) as signed_ucc_amount
    , member_months.enrollment_type
    , coalesce(member_months.is_counted, false) as is_counted
from payments
left join categories
    on payments.payment_key = categories.payment_key
left join member_months
    on payments.mr_mbi = member_months.mr_mbi
    and payments.service_month = member_months.enrollment_month
